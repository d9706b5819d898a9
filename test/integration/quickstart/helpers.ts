// Helpers of the Quick Start tests: real kubectl with its own discovery cache, the fenced blocks of
// docs/QUICKSTART-LOCAL.md by their marker comment, and PipelineRun reads.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl with this kubeconfig; the gcloud dispatcher caches /version forever, so a fresh cache dir. */
export function kubectlWith(kubeconfig: string, env: NodeJS.ProcessEnv): (...args: string[]) => Promise<Run> {
  return (...args) =>
    new Promise((resolve, reject) =>
      execFile(
        'kubectl',
        ['--kubeconfig', kubeconfig, ...args],
        { env, timeout: 60_000, cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number')
            reject(new Error(`could not run kubectl (${err.message}); install kubectl to run these tests`));
          else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
        },
      ),
    );
}

/** The fenced block right after `<!-- quickstart-local: NAME -->` in docs/QUICKSTART-LOCAL.md. */
export function quickstartBlock(name: string): string {
  const text = readFileSync(join(ROOT, 'docs/QUICKSTART-LOCAL.md'), 'utf8');
  const marker = `<!-- quickstart-local: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/QUICKSTART-LOCAL.md has no ${marker}`);
  const m = /```bash\n([\s\S]*?)\n```/.exec(text.slice(at));
  if (!m) throw new Error(`no bash block after ${marker}`);
  return m[1] as string;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface PipelineRunJson {
  metadata: { name: string; uid: string; generateName?: string; labels?: Record<string, string> };
  status?: {
    conditions?: Condition[];
    startTime?: string;
    completionTime?: string;
    results?: { name: string; value: string }[];
    childReferences?: { name: string; pipelineTaskName: string; kind: string }[];
  };
}

export const succeeded = (pr: PipelineRunJson): Condition | undefined =>
  pr.status?.conditions?.find((c) => c.type === 'Succeeded');

export const resultsOf = (pr: PipelineRunJson): Record<string, string> =>
  Object.fromEntries((pr.status?.results ?? []).map((r) => [r.name, r.value]));

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
