// Runs the real CLI binary in a child process (process.execPath on src/bin.ts), as users and Tekton do.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));

export interface SpawnedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** taskset -c 0: on this project's VMs the clock seen from CPU 1 is coarse (DESIGN "Runtime") */
    pinCpu0?: boolean;
  } = {},
): Promise<SpawnedRun> {
  return new Promise((resolve, reject) => {
    const [cmd, argv]: [string, string[]] = opts.pinCpu0
      ? ['/usr/bin/taskset', ['-c', '0', process.execPath, CLI, ...args]]
      : [process.execPath, [CLI, ...args]];
    const child = spawn(cmd, argv, {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `kv-cache-bench ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 120_000} ms\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
