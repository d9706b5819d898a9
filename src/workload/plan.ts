// Plan, then run (k6 executors): pure functions turn a stage into what to send and when; the runner in
// src/load/ only executes the plan. A Partition is how shards (--shard i/K) and worker threads split one
// workload without overlap: each takes the items (sessions, concurrency slots, planned requests) whose
// index ≡ `index` (mod `of`), so all partitions together run exactly the unsharded workload.
import type { StageSpec } from './stages.ts';

export interface Partition {
  index: number;
  of: number;
}

export const WHOLE: Partition = { index: 0, of: 1 };

export function owns(part: Partition, i: number): boolean {
  return i % part.of === part.index;
}

/** How many of the items 0..n-1 the partition owns. */
export function shareOf(part: Partition, n: number): number {
  return n > part.index ? Math.floor((n - 1 - part.index) / part.of) + 1 : 0;
}

/** Shard i/K split further into W workers: worker w takes index ≡ i + K·w (mod K·W). */
export function subPartition(part: Partition, worker: number, workers: number): Partition {
  return { index: part.index + part.of * worker, of: part.of * workers };
}

export interface OpenLoopPlan {
  /** Requests the whole (unsharded) stage sends. */
  count: number;
  intervalMs: number;
  /** Send time of planned request i, ms after the stage starts. */
  offsetMs(i: number): number;
}

/**
 * Constant spacing, not Poisson: the arrival process is not what this tool measures (cache reuse and
 * TTFT by routing policy are), and Poisson bursts would add queueing noise to TTFT that differs between
 * the runs being compared. Constant spacing also makes "achieved vs requested rate" and schedule lag
 * exact, and needs no seed.
 */
export function planOpenLoop(spec: Extract<StageSpec, { kind: 'open' }>): OpenLoopPlan {
  const intervalMs = 1000 / spec.rateRps;
  // Requests whose offset falls inside the duration: i·interval < duration. The epsilon keeps 20rps:1s
  // at exactly 20 despite 1000/20·20 rounding.
  const count =
    spec.limit.by === 'count' ? spec.limit.requests : Math.ceil(spec.limit.durationMs / intervalMs - 1e-9);
  return { count, intervalMs, offsetMs: (i) => (i * 1000) / spec.rateRps };
}

/** The planned requests a partition sends: global index and offset, in time order. */
export function* partitionSends(
  plan: OpenLoopPlan,
  part: Partition,
): Generator<{ i: number; offsetMs: number }> {
  for (let i = part.index; i < plan.count; i += part.of) yield { i, offsetMs: plan.offsetMs(i) };
}
