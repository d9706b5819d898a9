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
 * by `/`, the end, or one of those separators. One pass, longest mount first, so `/workspace/data`
 * wins over `/workspace` and a mapped path is never mapped again.
 */
export function mapPaths(s: string, mounts: readonly Mount[]): string {
  if (mounts.length === 0) return s;
  const byPath = new Map(mounts.map((m) => [m.containerPath, m.hostPath]));
  const alternatives = [...byPath.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const re = new RegExp(`(^|[=,:\\s])(${alternatives.join('|')})(?=$|[/,:\\s])`, 'g');
  return s.replace(re, (_all, lead: string, path: string) => `${lead}${byPath.get(path) ?? path}`);
}

/** The other way round, for what a step prints: host directories back to the paths the pod would show. */
export function unmapPaths(s: string, mounts: readonly Mount[]): string {
  if (mounts.length === 0) return s;
  const byHost = new Map(mounts.map((m) => [m.hostPath, m.containerPath]));
  const alternatives = [...byHost.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return s.replace(new RegExp(alternatives.join('|'), 'g'), (host) => byHost.get(host) ?? host);
}
