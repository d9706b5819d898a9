// Executes one stage's plan for one partition of the sessions: closed loop (N slots, each sends its
// session's next turn and waits for the answer) or open loop (sends at planned offsets; a send needs an
// idle session and waits for one if none is, which shows up as schedule lag). Finished requests go to
// `emit`; a stop signal (SIGTERM, error-rate guard) ends the stage at once, and requests cut short by it
// are not records.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Phase, RequestRecord } from '../types.ts';
import type { PreparedTurn, SessionPool, SessionState } from '../workload/sessions.ts';
import type { ChatOutcome, ChatTransport } from './client.ts';
import { encodeHistogram, newHistogram, recordMs, round1 } from './histogram.ts';
import type { LagPercentiles } from '../types.ts';
import { partitionSends, planOpenLoop, shareOf, type Partition } from '../workload/plan.ts';
import type { StageSpec } from '../workload/stages.ts';
import { closedRequestShare } from './stage-mark.ts';

/** What a partition runs in a stage, already split (src/workload/plan.ts). */
export type StageWork =
  | { kind: 'closed'; slots: number; requests: number | null; durationMs: number | null }
  | { kind: 'open'; sends: Iterable<{ offsetMs: number }> };

export interface RunnerDeps {
  runId: string;
  shard?: string;
  phase: Phase;
  pool: SessionPool;
  transport: ChatTransport;
  /** The template date of the next request (pinned, or today's). */
  dateString(): string;
  /** ms since the Unix epoch. */
  now(): number;
  emit(record: RequestRecord, outcome: ChatOutcome): void;
  stop: AbortSignal;
}

/** What one partition measured in one stage; plain data, so it crosses worker-thread boundaries. */
export interface StagePartial {
  sent: number;
  completed: number;
  errors: number;
  /** Latest send, ms after the stage's start; null when nothing was sent. */
  lastSendOffsetMs: number | null;
  /** hdr histogram (µs) of schedule lag, compressed base64: mergeable across partitions. */
  scheduleLag: string;
  eventLoopLagMs: LagPercentiles;
  /** Share of the stage the event loop was busy (perf_hooks eventLoopUtilization), 0–1. */
  eventLoopUtilization: number;
  clampedDurations: number;
}

/** monitorEventLoopDelay's timer period; what it records beyond this is lag. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** Hands idle sessions out in least-recently-used order, waiting when all are busy. */
class SessionQueue {
  private readonly pool: SessionPool;
  private readonly stop: AbortSignal;
  private readonly waiters: Array<(s: SessionState | undefined) => void> = [];
  private readonly onStop = (): void => {
    for (const w of this.waiters.splice(0)) w(undefined);
  };
  constructor(pool: SessionPool, stop: AbortSignal) {
    this.pool = pool;
    this.stop = stop;
    stop.addEventListener('abort', this.onStop, { once: true });
  }
  /** An idle session now, if there is one (no promise and no microtask on the common path). */
  takeNow(): SessionState | undefined {
    return this.stop.aborted ? undefined : this.pool.acquire();
  }
  take(): Promise<SessionState | undefined> {
    if (this.stop.aborted) return Promise.resolve(undefined);
    const idle = this.pool.acquire();
    if (idle) return Promise.resolve(idle);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  /** A session went idle: wake the oldest waiter. */
  wake(): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.pool.acquire());
  }
  dispose(): void {
    this.stop.removeEventListener('abort', this.onStop);
  }
}

function sleepUntil(targetPerfMs: number, stop: AbortSignal): Promise<void> {
  const delay = targetPerfMs - performance.now();
  if (delay <= 0 || stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, delay);
    stop.addEventListener('abort', done, { once: true });
  });
}

export async function runStage(deps: RunnerDeps, stage: number, work: StageWork): Promise<StagePartial> {
  const run = new StageRun(deps, stage);
  try {
    if (work.kind === 'closed') await run.closedLoop(work);
    else await run.openLoop(work.sends);
    return run.partial();
  } finally {
    run.dispose();
  }
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** One stage of one partition: its session queue, lag histograms and counts. */
class StageRun {
  private readonly deps: RunnerDeps;
  private readonly stage: number;
  private readonly sessions: SessionQueue;
  private readonly lag = newHistogram();
  private readonly loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  private readonly t0 = performance.now();
  private readonly elu0 = performance.eventLoopUtilization();
  private sent = 0;
  private completed = 0;
  private errors = 0;
  private lastSend: number | null = null;
  private clamped = 0;

  constructor(deps: RunnerDeps, stage: number) {
    this.deps = deps;
    this.stage = stage;
    this.sessions = new SessionQueue(deps.pool, deps.stop);
    this.loop.enable();
  }

  async closedLoop(work: Extract<StageWork, { kind: 'closed' }>): Promise<void> {
    const { pool, stop } = this.deps;
    let remaining = work.requests ?? Number.POSITIVE_INFINITY;
    const deadline = work.durationMs === null ? Number.POSITIVE_INFINITY : this.t0 + work.durationMs;
    const slot = async (): Promise<void> => {
      // The first send of each slot is not a lag sample: at the stage start every slot is free at once
      // and N prompts are built one after the other — a one-off burst, not a generator that falls behind.
      let freeAt: number | null = null;
      while (!stop.aborted && remaining > 0 && performance.now() < deadline) {
        remaining--;
        const state = this.sessions.takeNow() ?? (await this.sessions.take());
        if (!state) return;
        if (performance.now() >= deadline) {
          pool.release(state);
          this.sessions.wake();
          return;
        }
        await this.turn(state, freeAt);
        freeAt = performance.now();
      }
    };
    await Promise.all(Array.from({ length: work.slots }, slot));
  }

  async openLoop(sends: Iterable<{ offsetMs: number }>): Promise<void> {
    // A count, not a Set of the turns' promises: a Set's old tables would keep finished turns reachable
    // until a full GC (see inflight.ts).
    let pending = 0;
    let failure: { err: unknown } | undefined;
    let drained: (() => void) | undefined;
    const settled = (): void => {
      if (--pending === 0) drained?.();
    };
    for (const { offsetMs } of sends) {
      const planned = this.t0 + offsetMs;
      await sleepUntil(planned, this.deps.stop);
      // No idle session: the send waits, and the wait is schedule lag (the plan was not kept).
      const state = await this.sessions.take();
      if (!state) break;
      pending++;
      this.turn(state, planned).then(settled, (err: unknown) => {
        failure ??= { err };
        settled();
      });
    }
    if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
    if (failure) throw failure.err;
  }

  /**
   * Sends the session's next turn, gives the session back, emits the record. `dueAt` (performance.now())
   * is when the send should have gone out: how late it went is schedule lag; null is no lag sample.
   */
  private async turn(state: SessionState, dueAt: number | null): Promise<void> {
    const { deps } = this;
    const prepared = deps.pool.prepare(state, deps.dateString());
    if (dueAt !== null) recordMs(this.lag, performance.now() - dueAt);
    this.sent++;
    this.lastSend = performance.now() - this.t0;
    const startMs = deps.now();
    let outcome: ChatOutcome;
    try {
      outcome = await deps.transport.send(prepared, deps.stop);
    } catch (err) {
      // A transport must not throw; if one does, the request still becomes an error record.
      const error = `client error: ${(err as Error).message}`;
      outcome = { status: 0, error, ttftMs: null, e2eMs: 0, content: null, usage: null, clampedDurations: 0 };
    }
    const failed = outcome.aborted === true || outcome.error !== undefined;
    const answer = failed ? null : (outcome.content ?? '');
    const answerTokens = deps.pool.complete(prepared, answer, outcome.sessionToken);
    this.sessions.wake();
    if (outcome.aborted) return;
    this.completed++;
    this.clamped += outcome.clampedDurations;
    if (outcome.error !== undefined) this.errors++;
    deps.emit(this.record(prepared, outcome, startMs, answerTokens), outcome);
  }

  private record(
    prepared: PreparedTurn,
    outcome: ChatOutcome,
    startMs: number,
    answerTokens: number,
  ): RequestRecord {
    const { deps } = this;
    return {
      runId: deps.runId,
      ...(deps.shard !== undefined ? { shard: deps.shard } : {}),
      phase: deps.phase,
      stage: this.stage,
      session: prepared.session,
      turn: prepared.turn,
      startMs,
      ttftMs: outcome.ttftMs === null ? null : r3(outcome.ttftMs),
      e2eMs: r3(outcome.e2eMs),
      // The server's counts when it reports usage; ours otherwise.
      promptTokens: outcome.usage?.promptTokens ?? prepared.promptIds.length,
      completionTokens: outcome.usage?.completionTokens ?? answerTokens,
      ...(outcome.usage?.cachedTokens !== undefined ? { cachedTokens: outcome.usage.cachedTokens } : {}),
      prefixReusableTokens: prepared.prefixReusableTokens,
      status: outcome.status,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.servedBy !== undefined ? { servedBy: outcome.servedBy } : {}),
    };
  }

  partial(): StagePartial {
    this.loop.disable();
    const overMs = (p: number): number =>
      this.loop.count === 0
        ? 0
        : round1(Math.max(0, this.loop.percentile(p) / 1e6 - EVENT_LOOP_RESOLUTION_MS));
    return {
      sent: this.sent,
      completed: this.completed,
      errors: this.errors,
      lastSendOffsetMs: this.lastSend === null ? null : r3(this.lastSend),
      scheduleLag: encodeHistogram(this.lag),
      eventLoopLagMs: { p50: overMs(50), p99: overMs(99) },
      eventLoopUtilization: Math.round(performance.eventLoopUtilization(this.elu0).utilization * 1000) / 1000,
      clampedDurations: this.clamped,
    };
  }

  dispose(): void {
    this.loop.disable();
    this.sessions.dispose();
    this.lag.destroy();
  }
}

/** A stage's share for one partition (shard, worker): concurrency slots, requests, planned sends. */
export function stageWork(spec: StageSpec, part: Partition): StageWork {
  if (spec.kind === 'open') return { kind: 'open', sends: partitionSends(planOpenLoop(spec), part) };
  return {
    kind: 'closed',
    slots: shareOf(part, spec.concurrency),
    requests:
      spec.limit.by === 'count' ? closedRequestShare(spec.concurrency, spec.limit.requests, part) : null,
    durationMs: spec.limit.by === 'duration' ? spec.limit.durationMs : null,
  };
}
