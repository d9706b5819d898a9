// Runs the embedded stack (`kv-cache-bench sim`) in a child process, so tokenizing pods never starve
// the load generator's event loop (DESIGN "The embedded local stack"), and waits for its state file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TargetError } from '../errors.ts';
import type { SimState } from '../commands/sim.ts';

export interface SimProcess {
  state: SimState;
  stop(): Promise<void>;
}

/** This CLI's entry file, whether we run from src (type stripping) or from dist. */
export function cliEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../bin${ext}`, import.meta.url));
}

/** `env`: extra environment for the child (e.g. the API key the gateway must require, never in argv). */
export async function startSimProcess(
  simArgs: string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<SimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kv-cache-bench-sim-'));
  const stateFile = join(dir, 'state.json');
  const child: ChildProcess = spawn(
    process.execPath,
    [cliEntry(), 'sim', ...simArgs, '--state-file', stateFile],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  let state: SimState | undefined;
  while (!state) {
    if (child.exitCode !== null) {
      throw new TargetError(
        `the embedded stack exited (code ${child.exitCode}): ${stderr.trim().split('\n').pop() ?? ''}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new TargetError(
        `the embedded stack did not start within ${timeoutMs / 1000}s: ${stderr.trim().split('\n').pop() ?? ''}`,
      );
    }
    if (existsSync(stateFile)) {
      try {
        state = JSON.parse(readFileSync(stateFile, 'utf8')) as SimState;
      } catch {
        // written but not complete yet: read again
      }
    }
    if (!state) await new Promise((r) => setTimeout(r, 50));
  }
  return {
    state,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
