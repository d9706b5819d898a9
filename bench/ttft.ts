// Figure 2: how exactly ramp-load measures time to first token. The pod is set to a known TTFT (a
// fixed prefill overhead, nothing per token: TTFT = overhead whatever the cache holds) and ramp-load
// streams at 1, 64 and 512 concurrent requests; the error is ttftMs − the known TTFT, per request.
// Streams are made long (slow decode) so the many open streams cost little CPU between first tokens.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestRecord } from '../src/types.ts';
import { shapeFlags, type BenchShape } from './body.ts';
import { startPods } from './pods.ts';
import { runRampLoad } from './tools.ts';
import { median, percentile } from './stats.ts';

export const KNOWN_TTFT_MS = 50;

export interface TtftLevel {
  concurrency: number;
  /** the pod's decode speed and answer length at this level: they set how many requests/s that is */
  interTokenMs: number;
  maxTokens: number;
  /** requests of the first (unmeasured) stage: opens every connection, warms the JIT */
  warmup: number;
  requests: number;
}

export const TTFT_LEVELS: TtftLevel[] = [
  { concurrency: 1, interTokenMs: 1, maxTokens: 4, warmup: 50, requests: 400 },
  { concurrency: 64, interTokenMs: 100, maxTokens: 8, warmup: 128, requests: 1280 },
  { concurrency: 512, interTokenMs: 500, maxTokens: 8, warmup: 512, requests: 2048 },
];

export interface Placement {
  name: string;
  loadCpu: number | null;
  serverCpu: number | null;
}

export interface TtftFigure {
  placement: string;
  loadCpu: number | null;
  serverCpu: number | null;
  concurrency: number;
  samples: number;
  errors: number;
  /** ttftMs − known, ms */
  medianErrorMs: number;
  p99ErrorMs: number;
  minErrorMs: number;
  maxErrorMs: number;
  achievedRps: number;
}

function measuredRecords(file: string, stage: number): RequestRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestRecord)
    .filter((r) => r.stage === stage);
}

export async function benchTtftLevel(dir: string, level: TtftLevel, place: Placement): Promise<TtftFigure> {
  const pods = await startPods({
    pods: 1,
    latency: { prefillOverheadMs: KNOWN_TTFT_MS, prefillPerTokenMs: 0, interTokenMs: level.interTokenMs },
    cpu: place.serverCpu,
  });
  const shape: BenchShape = {
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    seed: 11,
    sessions: level.concurrency,
    turns: 1,
    systemPromptTokens: 50,
    userTokens: 40,
    maxTokens: level.maxTokens,
  };
  const out = join(dir, `ttft-${place.name}-${level.concurrency}.jsonl`);
  const c = level.concurrency;
  try {
    const { marks } = await runRampLoad({
      args: [
        '--gateway-url', (pods.state.pods[0] as { url: string }).url,
        '--stages', `${c}x${level.warmup},${c}x${level.requests}`,
        ...shapeFlags(shape), '--max-error-rate', '1',
      ],
      out,
      cpu: place.loadCpu,
    });
    const records = measuredRecords(out, 2);
    const errs = records.filter((r) => r.error === undefined && r.ttftMs !== null).map((r) => (r.ttftMs as number) - KNOWN_TTFT_MS);
    const round3 = (v: number): number => Math.round(v * 1000) / 1000;
    return {
      placement: place.name,
      loadCpu: place.loadCpu,
      serverCpu: place.serverCpu,
      concurrency: c,
      samples: errs.length,
      errors: records.length - errs.length,
      medianErrorMs: round3(median(errs)),
      p99ErrorMs: round3(percentile(errs, 99)),
      minErrorMs: round3(Math.min(...errs)),
      maxErrorMs: round3(Math.max(...errs)),
      achievedRps: marks[1]?.achievedRps ?? NaN,
    };
  } finally {
    await pods.stop();
  }
}

export async function benchTtft(dir: string, placements: Placement[], log: (l: string) => void): Promise<TtftFigure[]> {
  const figures: TtftFigure[] = [];
  for (const place of placements) {
    for (const level of TTFT_LEVELS) {
      log(`ttft: ${level.concurrency} streams, ${place.name}`);
      figures.push(await benchTtftLevel(dir, level, place));
    }
  }
  return figures;
}
