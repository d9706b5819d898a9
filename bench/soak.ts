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

export interface MemoryVerdict {
  /** medians of the first minute (after start-up) and of the last minute */
  firstMinute: { rssMb: number; heapUsedMb: number };
  lastMinute: { rssMb: number; heapUsedMb: number };
  /** last minute − first minute, MB */
  growth: { rssMb: number; heapUsedMb: number };
  /**
   * Highest sample of the first half (after its first minute) and of the second half. The heap grows
   * in a sawtooth between major GCs, so two one-minute medians compare whatever phase each minute
   * caught; a leak lifts the peaks.
   */
  peaks: {
    firstHalf: { rssMb: number; heapUsedMb: number };
    secondHalf: { rssMb: number; heapUsedMb: number };
  };
  /** first-minute vs last-minute medians within 10 % + 8 MB */
  flatByMinutes: boolean;
  /** second-half peaks within 10 % + 8 MB of the first half's */
  flat: boolean;
}

export interface SoakResult extends MemoryVerdict {
  stages: string;
  minutes: number;
  samples: MemorySample[];
  mark: StageMark | undefined;
  requests: number;
  errors: number;
  exitCode: number | null;
}

/** Within 10 % (and 8 MB) of the earlier figure. */
export function isFlat(first: number, last: number): boolean {
  return last <= first * 1.1 + 8;
}

const r1 = (v: number): number => Math.round(v * 10) / 10;

/** Whether the load generator's memory stayed flat over the run (pure). */
export function judgeMemory(samples: readonly MemorySample[]): MemoryVerdict {
  const end = samples.at(-1)?.tSeconds ?? 0;
  // The t=0 sample is taken before start-up finishes: the first minute starts at the next one.
  const first = samples.filter((s) => s.tSeconds > 0 && s.tSeconds <= 70);
  const last = samples.filter((s) => s.tSeconds > end - 60);
  const med = (xs: readonly MemorySample[], k: 'rssMb' | 'heapUsedMb'): number =>
    r1(median(xs.map((s) => s[k])));
  const peak = (xs: readonly MemorySample[], k: 'rssMb' | 'heapUsedMb'): number =>
    r1(Math.max(...xs.map((s) => s[k])));
  const firstMinute = { rssMb: med(first, 'rssMb'), heapUsedMb: med(first, 'heapUsedMb') };
  const lastMinute = { rssMb: med(last, 'rssMb'), heapUsedMb: med(last, 'heapUsedMb') };
  const h1 = samples.filter((s) => s.tSeconds > 70 && s.tSeconds <= end / 2);
  const h2 = samples.filter((s) => s.tSeconds > end / 2);
  const peaks = {
    firstHalf: { rssMb: peak(h1, 'rssMb'), heapUsedMb: peak(h1, 'heapUsedMb') },
    secondHalf: { rssMb: peak(h2, 'rssMb'), heapUsedMb: peak(h2, 'heapUsedMb') },
  };
  return {
    firstMinute,
    lastMinute,
    growth: {
      rssMb: r1(lastMinute.rssMb - firstMinute.rssMb),
      heapUsedMb: r1(lastMinute.heapUsedMb - firstMinute.heapUsedMb),
    },
    peaks,
    flatByMinutes:
      isFlat(firstMinute.rssMb, lastMinute.rssMb) && isFlat(firstMinute.heapUsedMb, lastMinute.heapUsedMb),
    flat:
      h1.length > 0 &&
      h2.length > 0 &&
      isFlat(peaks.firstHalf.rssMb, peaks.secondHalf.rssMb) &&
      isFlat(peaks.firstHalf.heapUsedMb, peaks.secondHalf.heapUsedMb),
  };
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
  return { stages, minutes: o.minutes, samples, ...judgeMemory(samples), mark, requests, errors, exitCode };
}
