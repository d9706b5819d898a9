// Stage marks (DESIGN.md "Data between steps") from what a stage's runners measured. Pure.
import type { LagPercentiles, StageMark } from '../types.ts';
import { planOpenLoop, shareOf, type Partition } from '../workload/plan.ts';
import type { StageSpec } from '../workload/stages.ts';
import { mergeEncoded, newHistogram, percentileMs, round1, type Histogram } from './histogram.ts';
import type { StagePartial } from './runner.ts';

// Generator health: beyond these the client, not the server, shaped the figures (inference-perf #188:
// a busy load generator inflates TTFT), and the report's gate refuses to PASS.
/** Open loop: sending below this fraction of the requested rate means the plan was not kept. */
export const MIN_ACHIEVED_RATE_FRACTION = 0.9;
/** Sends later than planned (open) or than the slot came free (closed), p99. */
export const MAX_SCHEDULE_LAG_P99_MS = 10;
/** perf_hooks.monitorEventLoopDelay beyond its timer resolution, p99. */
export const MAX_EVENT_LOOP_LAG_P99_MS = 20;
/**
 * An event loop busier than this is the generator's own saturation. Below it, a lagging loop was
 * kept waiting by other processes on the machine: a noisy machine, said in the report, not a
 * generator that could not keep up.
 */
export const BUSY_EVENT_LOOP_UTILIZATION = 0.8;

export interface StageMeasure {
  startMs: number;
  endMs: number;
  sent: number;
  completed: number;
  errors: number;
  /** Latest send, ms after the stage start; null when nothing was sent. */
  lastSendOffsetMs: number | null;
  scheduleLagMs: LagPercentiles;
  eventLoopLagMs: LagPercentiles;
  /** Busiest thread's event-loop utilization over the stage; absent = unknown (judged as busy). */
  eventLoopUtilization?: number;
}

/** Requests the partition is asked to send in a stage; for a closed loop with a duration, what it sent. */
export function requestedOf(spec: StageSpec, part: Partition, sent: number): number {
  if (spec.kind === 'open') return shareOf(part, planOpenLoop(spec).count);
  if (spec.limit.by === 'count') return closedRequestShare(spec.concurrency, spec.limit.requests, part);
  return sent;
}

/** Closed loop: request i goes to slot i mod concurrency; the partition owns the slots ≡ index (mod of). */
export function closedRequestShare(concurrency: number, requests: number, part: Partition): number {
  let total = 0;
  for (let slot = part.index; slot < concurrency; slot += part.of) {
    total += shareOf({ index: slot, of: concurrency }, requests);
  }
  return total;
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * A lag below the clock's step cannot be seen, only rounded up to one or two steps: the thresholds
 * grow by two steps so a coarse clock is reported (clockResolutionMs) instead of failing the gate.
 */
export function lagAllowanceMs(clockResolutionMs: number | undefined): number {
  return clockResolutionMs && clockResolutionMs > 1 ? 2 * clockResolutionMs : 0;
}

export function buildStageMark(input: {
  runId: string;
  /** probeClockStepMs() of the process that measured; absent = fine-grained. */
  clockResolutionMs?: number;
  shard?: string;
  stage: number;
  spec: StageSpec;
  part: Partition;
  measure: StageMeasure;
}): StageMark {
  const { spec, part, measure: m } = input;
  let achievedRps: number;
  let rateShort = false;
  if (spec.kind === 'open') {
    // Open loop: the achieved *sending* rate, over the span from the partition's first planned send to
    // one interval after its last real send — exactly the requested rate when every send is on time.
    const plan = planOpenLoop(spec);
    const stepMs = plan.intervalMs * part.of;
    const spanMs = m.lastSendOffsetMs === null ? 0 : m.lastSendOffsetMs - plan.offsetMs(part.index) + stepMs;
    achievedRps = spanMs > 0 ? (m.sent * 1000) / spanMs : 0;
    const requestedRps = shareOf(part, plan.count) > 0 ? spec.rateRps / part.of : 0;
    rateShort = achievedRps < MIN_ACHIEVED_RATE_FRACTION * requestedRps;
  } else {
    // Closed loop: throughput, completed requests over the stage's wall time.
    const wallMs = m.endMs - m.startMs;
    achievedRps = wallMs > 0 ? (m.completed * 1000) / wallMs : 0;
  }
  const mark: StageMark = {
    runId: input.runId,
    ...(input.shard !== undefined ? { shard: input.shard } : {}),
    stage: input.stage,
    spec: spec.spec,
    startMs: m.startMs,
    endMs: m.endMs,
    requested: requestedOf(spec, part, m.sent),
    completed: m.completed,
    errors: m.errors,
    achievedRps: round(achievedRps, 2),
    scheduleLagMs: m.scheduleLagMs,
    eventLoopLagMs: m.eventLoopLagMs,
    ...(m.eventLoopUtilization !== undefined ? { eventLoopUtilization: m.eventLoopUtilization } : {}),
    generatorLimited:
      rateShort ||
      // Closed loop: a late send only lowers the offered load, it distorts no latency; what does
      // distort them is a blocked event loop (chunks timestamped late), judged below.
      (spec.kind === 'open' &&
        m.scheduleLagMs.p99 > MAX_SCHEDULE_LAG_P99_MS + lagAllowanceMs(input.clockResolutionMs)) ||
      (m.eventLoopLagMs.p99 > MAX_EVENT_LOOP_LAG_P99_MS + lagAllowanceMs(input.clockResolutionMs) &&
        (m.eventLoopUtilization ?? 1) >= BUSY_EVENT_LOOP_UTILIZATION),
    ...(input.clockResolutionMs !== undefined && input.clockResolutionMs > 1
      ? { clockResolutionMs: input.clockResolutionMs }
      : {}),
  };
  return mark;
}

/** Adds up what the partitions of one stage measured (worker threads): counts summed, histograms merged. */
export function mergePartials(
  partials: readonly StagePartial[],
  window: { startMs: number; endMs: number },
): StageMeasure & { clampedDurations: number } {
  const lag = newHistogram();
  let lastSendOffsetMs: number | null = null;
  const sum = { sent: 0, completed: 0, errors: 0, clamped: 0 };
  const loop = { p50: 0, p99: 0 };
  let utilization = 0;
  for (const p of partials) {
    sum.sent += p.sent;
    sum.completed += p.completed;
    sum.errors += p.errors;
    sum.clamped += p.clampedDurations;
    mergeEncoded(lag, p.scheduleLag);
    if (p.lastSendOffsetMs !== null) lastSendOffsetMs = Math.max(lastSendOffsetMs ?? 0, p.lastSendOffsetMs);
    // Each thread has its own event loop; the worst one is what limits the generator.
    loop.p50 = Math.max(loop.p50, p.eventLoopLagMs.p50);
    loop.p99 = Math.max(loop.p99, p.eventLoopLagMs.p99);
    utilization = Math.max(utilization, p.eventLoopUtilization);
  }
  const scheduleLagMs = lagPercentiles(lag);
  lag.destroy();
  return {
    ...window,
    sent: sum.sent,
    completed: sum.completed,
    errors: sum.errors,
    lastSendOffsetMs,
    scheduleLagMs,
    eventLoopLagMs: loop,
    eventLoopUtilization: utilization,
    clampedDurations: sum.clamped,
  };
}

/** Schedule lag percentiles of a histogram, 0 when nothing was sent. */
export function lagPercentiles(h: Histogram): LagPercentiles {
  return { p50: round1(percentileMs(h, 50) ?? 0), p99: round1(percentileMs(h, 99) ?? 0) };
}
