// Container paths → directories on this machine. A step refers to its pod's filesystem
// (/tekton/results, /workspace/<ws>, a volume's mountPath); locally each of those mounts is a
// directory, and every path in argv, env and workingDir is rewritten to it. Pure.

export interface Mount {
  containerPath: string;
  hostPath: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites every occurrence of a mount's container path that stands as a path: at the start of the
 * string or after `=`, `,`, `:` or whitespace (`--out=/scratch/a.json`, `a:/scratch/b`), and followed
 * by `/`, the end, or one of those separators. The longest mount wins (`/workspace/data` before
 * `/workspace`).
 */
export function mapPaths(s: string, mounts: readonly Mount[]): string {
  let out = s;
  const sorted = [...mounts].sort((a, b) => b.containerPath.length - a.containerPath.length);
  const placeholders: string[] = [];
  for (const m of sorted) {
    const re = new RegExp(`(^|[=,:\\s])${escapeRegExp(m.containerPath)}(?=$|[/,:\\s])`, 'g');
    out = out.replace(re, (_all, lead: string) => {
      placeholders.push(m.hostPath);
      // A placeholder keeps a shorter mount from matching inside an already mapped host path.
      return `${lead}\u0000${placeholders.length - 1}\u0000`;
    });
  }
  return out.replace(/\u0000(\d+)\u0000/g, (_all, i: string) => placeholders[Number(i)] ?? '');
}
