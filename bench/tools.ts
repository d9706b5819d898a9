// The load generators the bench compares, each run as its own process pinned to the load CPU:
// wrk (C, the reference for what one core can send), autocannon (Node, its own HTTP/1.1 client on raw sockets),
// and ramp-load itself through the CLI, exactly as users run it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageMark } from '../src/types.ts';
import { code, REPO } from './code.ts';
import { cpuSecondsOf, NODE, pinnedCounted, run } from './procs.ts';

export const WRK = '/usr/bin/wrk';
const AUTOCANNON = join(REPO, 'node_modules/autocannon/autocannon.js');

export interface ToolResult {
  requests: number;
  seconds: number;
  rps: number;
  /** non-2xx answers plus socket errors */
  errors: number;
  /** CPU the load generator used, start-up included (null without /usr/bin/time) */
  cpuSeconds: number | null;
}

/**
 * wrk comes from Debian. As root the bench installs it (apt-get update first), as the test command
 * does for its packages (scripts/ensure-test-deps.mjs); otherwise it returns the command to run.
 */
export function ensureWrk(): string | undefined {
  if (existsSync(WRK)) return undefined;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hint = 'sudo apt-get update && sudo apt-get install -y wrk';
  if (!isRoot) return `wrk is not installed; run: ${hint}`;
  process.stderr.write('installing wrk (apt-get)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'wrk'], {
    stdio: 'inherit',
    env,
  });
  return r.status === 0 && existsSync(WRK)
    ? undefined
    : `apt-get install wrk failed (exit ${r.status}); run: ${hint}`;
}

/** wrk sends GET unless a Lua script sets method, headers and body. */
export function writeWrkScript(dir: string, body: string): string {
  let level = '=';
  while (body.includes(`]${level}]`)) level += '=';
  const file = join(dir, 'post.lua');
  writeFileSync(
    file,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [${level}[${body}]${level}]\n`,
  );
  return file;
}

export async function runWrk(opts: {
  url: string;
  script: string;
  connections: number;
  seconds: number;
  cpu: number | null;
}): Promise<ToolResult> {
  const [cmd, args] = pinnedCounted(opts.cpu, WRK, [
    '-t1',
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    '-s',
    opts.script,
    opts.url,
  ]);
  const { stdout, stderr } = await run(cmd, args);
  const m = /(\d+) requests in ([\d.]+)(ms|s|m)\b/.exec(stdout);
  const requests = m ? Number(m[1]) : NaN;
  const seconds = m ? Number(m[2]) * { ms: 0.001, s: 1, m: 60 }[m[3] as 'ms' | 's' | 'm'] : NaN;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = sock ? sock.slice(1).reduce((s, v) => s + Number(v), 0) : 0;
  if (!Number.isFinite(requests) || !Number.isFinite(seconds))
    throw new Error(`cannot read wrk's output: ${stdout}`);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    errors: non2xx + socketErrors,
    cpuSeconds: cpuSecondsOf(stderr),
  };
}

export async function runAutocannon(opts: {
  url: string;
  body: string;
  connections: number;
  seconds: number;
  cpu: number | null;
  /** stop after this many requests instead (its start-up cost) */
  amount?: number;
}): Promise<ToolResult> {
  const [cmd, args] = pinnedCounted(opts.cpu, NODE, [
    AUTOCANNON,
    '--json',
    '-c',
    String(opts.connections),
    ...(opts.amount ? ['-a', String(opts.amount)] : ['-d', String(opts.seconds)]),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    opts.body,
    opts.url,
  ]);
  const { stdout, stderr } = await run(cmd, args);
  const r = JSON.parse(stdout) as {
    requests: { total: number };
    duration: number;
    errors: number;
    non2xx: number;
    timeouts: number;
  };
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.requests.total / r.duration,
    errors: r.errors + r.non2xx + r.timeouts,
    cpuSeconds: cpuSecondsOf(stderr),
  };
}

const UNDICI_FLOOR = join(new URL('.', import.meta.url).pathname, 'undici-floor.ts');

/** undici alone on the fixed body (bench/undici-floor.ts): the HTTP client's own cost, no workload. */
export async function runUndiciFloor(opts: {
  url: string;
  body: string;
  connections: number;
  seconds: number;
  cpu: number | null;
}): Promise<ToolResult> {
  const [cmd, args] = pinnedCounted(opts.cpu, NODE, [
    UNDICI_FLOOR,
    opts.url,
    opts.body,
    String(opts.connections),
    String(opts.seconds),
  ]);
  const { stdout, stderr } = await run(cmd, args);
  const r = JSON.parse(stdout) as { requests: number; seconds: number; errors: number };
  return {
    requests: r.requests,
    seconds: r.seconds,
    rps: r.requests / r.seconds,
    errors: r.errors,
    cpuSeconds: cpuSecondsOf(stderr),
  };
}

/** `kv-cache-bench ramp-load …` to the end: its stage marks and the CPU it used. */
export async function runRampLoad(opts: {
  args: string[];
  out: string;
  cpu: number | null;
  nodeArgs?: string[];
}): Promise<{ marks: StageMark[]; stderr: string; cpuSeconds: number | null }> {
  // ramp-load appends: start from empty files so only this run's records are read back.
  for (const f of [opts.out, `${opts.out}.stages.jsonl`]) rmSync(f, { force: true });
  const [cmd, args] = pinnedCounted(opts.cpu, NODE, [
    ...(opts.nodeArgs ?? []),
    code().cli,
    'ramp-load',
    ...opts.args,
    '--out',
    opts.out,
    '--log-level',
    'warn',
  ]);
  const { stderr } = await run(cmd, args);
  const marks = readFileSync(`${opts.out}.stages.jsonl`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StageMark);
  return { marks, stderr, cpuSeconds: cpuSecondsOf(stderr) };
}
