// Issue #7's long run: ramp-load at a steady open-loop rate for ~10 minutes against simulated pods with
// realistic latency in their own process, sampling the load generator's memory every 10 s, then saying
// whether memory stayed flat (median of the first minute vs the last minute). Never part of the tests.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REALISTIC_LATENCY } from '../src/sim/contracts.ts';
import type { StageMark } from '../src/types.ts';
import { shapeFlags, type BenchShape } from './body.ts';
import { startPods } from './pods.ts';
import { NODE, pinned } from './procs.ts';
import { median } from './stats.ts';
import { code } from './code.ts';

export interface MemorySample {
  tSeconds: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export interface SoakResult {
  stages: string;
  minutes: number;
  samples: MemorySample[];
  firstMinute: { rssMb: number; heapUsedMb: number };
  lastMinute: { rssMb: number; heapUsedMb: number };
  /** last minute − first minute, MB */
  growth: { rssMb: number; heapUsedMb: number };
  flat: boolean;
  mark: StageMark | undefined;
  requests: number;
  errors: number;
  exitCode: number | null;
}

/** Flat: the last minute's medians within 10 % (and 8 MB) of the first minute's. */
export function isFlat(first: number, last: number): boolean {
  return last <= first * 1.1 + 8;
}

const SOAK_SHAPE: BenchShape = {
  model: 'meta-llama/Llama-3.2-3B-Instruct',
  seed: 5,
  // The demo's conversation shape (DESIGN "Demo defaults"), enough sessions for 50 rps at ~0.5 s each.
  sessions: 96,
  turns: 10,
  systemPromptTokens: 50,
  userTokens: 40,
  maxTokens: 64,
};

export async function benchSoak(
  dir: string,
  o: {
    rateRps: number;
    minutes: number;
    sampleSeconds: number;
    loadCpu: number | null;
    serverCpu: number | null;
    log: (l: string) => void;
  },
): Promise<SoakResult> {
  const pods = await startPods({ pods: 3, latency: REALISTIC_LATENCY, cpu: o.serverCpu });
  const out = join(dir, 'soak.jsonl');
  for (const f of [out, `${out}.stages.jsonl`]) rmSync(f, { force: true });
  const stages = `${o.rateRps}rps:${o.minutes}m`;
  const probe = join(new URL('.', import.meta.url).pathname, 'soak-probe.ts');
  const [cmd, args] = pinned(o.loadCpu, NODE, [
    '--import',
    probe,
    code().cli,
    'ramp-load',
    '--gateway-url',
    (pods.state.pods[0] as { url: string }).url,
    '--stages',
    stages,
    ...shapeFlags(SOAK_SHAPE, 'llama3'),
    '--out',
    out,
    '--log-level',
    'warn',
  ]);
  o.log(`soak: ${stages} against 3 pods with realistic latency; a memory sample every ${o.sampleSeconds}s`);
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_SAMPLE_MS: String(o.sampleSeconds * 1000) },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-10_000);
  });
  const samples: MemorySample[] = [];
  const lines = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream });
  lines.on('line', (l) => {
    const s = JSON.parse(l) as MemorySample;
    samples.push(s);
    o.log(
      `soak t=${String(s.tSeconds).padStart(4)}s rss ${s.rssMb.toFixed(1)} MB heapUsed ${s.heapUsedMb.toFixed(1)} MB`,
    );
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  await pods.stop();
  if (exitCode !== 0)
    o.log(`soak: ramp-load exited ${exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const end = samples.at(-1)?.tSeconds ?? 0;
  // The first sample is taken before start-up finishes: the first minute starts at the first 10 s sample.
  const first = samples.filter((s) => s.tSeconds > 0 && s.tSeconds <= 70);
  const last = samples.filter((s) => s.tSeconds > end - 60);
  const med = (xs: MemorySample[], k: 'rssMb' | 'heapUsedMb'): number =>
    Math.round(median(xs.map((s) => s[k])) * 10) / 10;
  const firstMinute = { rssMb: med(first, 'rssMb'), heapUsedMb: med(first, 'heapUsedMb') };
  const lastMinute = { rssMb: med(last, 'rssMb'), heapUsedMb: med(last, 'heapUsedMb') };
  let mark: StageMark | undefined;
  let requests = 0;
  let errors = 0;
  try {
    mark = JSON.parse(readFileSync(`${out}.stages.jsonl`, 'utf8').split('\n')[0] ?? '') as StageMark;
    requests = mark.completed;
    errors = mark.errors;
  } catch {
    // no stage mark: the run did not finish; the exit code says so
  }
  return {
    stages,
    minutes: o.minutes,
    samples,
    firstMinute,
    lastMinute,
    growth: {
      rssMb: Math.round((lastMinute.rssMb - firstMinute.rssMb) * 10) / 10,
      heapUsedMb: Math.round((lastMinute.heapUsedMb - firstMinute.heapUsedMb) * 10) / 10,
    },
    flat:
      isFlat(firstMinute.rssMb, lastMinute.rssMb) && isFlat(firstMinute.heapUsedMb, lastMinute.heapUsedMb),
    mark,
    requests,
    errors,
    exitCode,
  };
}
