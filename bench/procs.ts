// Child processes for the bench: pinned to a CPU with taskset (the clock on CPU 1 is coarse, so what
// times anything runs on CPU 0), their CPU time from /proc, their peak memory from /usr/bin/time -v.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const NODE = process.execPath;
export const TASKSET = '/usr/bin/taskset';
export const GNU_TIME = '/usr/bin/time';

export interface Spawned {
  child: ChildProcess;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

export const NICE = '/usr/bin/nice';

/**
 * On a machine others share, the processes measured run at a raised priority (nice −10, root only), so
 * other work queues behind them instead of interleaving with what is timed. BENCH_NICE=0 turns it off.
 */
export const PRIORITY: number | null =
  process.getuid?.() === 0 && process.env.BENCH_NICE !== '0' && existsSync(NICE) ? -10 : null;

/** `taskset -c <cpu> [nice -n -10] cmd args…` (no pinning when taskset is missing: the figures say so). */
export function pinned(cpu: number | null, cmd: string, args: string[]): [string, string[]] {
  const [c, a]: [string, string[]] =
    PRIORITY === null ? [cmd, args] : [NICE, ['-n', String(PRIORITY), cmd, ...args]];
  if (cpu === null || !existsSync(TASKSET)) return [c, a];
  return [TASKSET, ['-c', String(cpu), c, ...a]];
}

const CPU_MARK = 'BENCH_CPU_SECONDS';

/** Pinned, and under `/usr/bin/time` to learn the CPU time it used (see cpuSecondsOf). */
export function pinnedCounted(cpu: number | null, cmd: string, args: string[]): [string, string[]] {
  if (!existsSync(GNU_TIME)) return pinned(cpu, cmd, args);
  return pinned(cpu, GNU_TIME, ['-f', `${CPU_MARK} %U %S`, cmd, ...args]);
}

/** User + system CPU seconds from pinnedCounted's line on stderr; null without /usr/bin/time. */
export function cpuSecondsOf(stderr: string): number | null {
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : null;
}

export function start(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Spawned {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** Runs to the end; throws with the tail of stderr when the exit code is not one of `ok`. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; ok?: number[] } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(cmd, args, opts);
  const code = await p.exited;
  if (!(opts.ok ?? [0]).includes(code ?? -1)) {
    throw new Error(
      `${[cmd, ...args].join(' ')} exited ${code}: ${p.stderr().trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The first stdout line of a long-running child, parsed as JSON (its start-up state). */
export function firstJsonLine<T>(p: Spawned, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: p.child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`no start-up line within ${timeoutMs} ms: ${p.stderr()}`)),
      timeoutMs,
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      try {
        resolve(JSON.parse(line) as T);
      } catch (err) {
        reject(new Error(`start-up line is not JSON: ${line} (${(err as Error).message})`));
      }
    });
    void p.exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `exited ${code} before its start-up line: ${p.stderr().trim().split('\n').slice(-3).join(' | ')}`,
        ),
      );
    });
  });
}

export async function stop(p: Spawned): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 5000);
  await p.exited;
  clearTimeout(timer);
}

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** User + system CPU seconds a process has used so far (/proc/PID/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Peak RSS in MB from `/usr/bin/time -v` output ("Maximum resident set size (kbytes): N"). */
export function maxRssMbFromTimeV(stderr: string): number | null {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return m ? Number(m[1]) / 1024 : null;
}

/** Wall seconds from `/usr/bin/time -v` ("Elapsed (wall clock) time (h:mm:ss or m:ss): 0:12.34"). */
export function wallSecondsFromTimeV(stderr: string): number | null {
  const m = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}
