// Executes one stage's plan for one partition of the sessions: closed loop (N slots, each sends its
// session's next turn and waits for the answer) or open loop (sends at planned offsets; a send needs an
// idle session and waits for one if none is, which shows up as schedule lag). Finished requests go to
// `emit`; a stop signal (SIGTERM, error-rate guard) ends the stage at once, and requests cut short by it
// are not records.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Phase, RequestRecord } from '../types.ts';
import type { SessionPool, SessionState } from '../workload/sessions.ts';
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
  clampedDurations: number;
}

/** monitorEventLoopDelay's timer period; what it records beyond this is lag. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** Hands idle sessions out in least-recently-used order, waiting when all are busy. */
class SessionQueue {
  private readonly pool: SessionPool;
  private readonly waiters: Array<(s: SessionState | undefined) => void> = [];
  constructor(pool: SessionPool, stop: AbortSignal) {
    this.pool = pool;
    stop.addEventListener('abort', () => {
      for (const w of this.waiters.splice(0)) w(undefined);
    });
  }
  take(stop: AbortSignal): Promise<SessionState | undefined> {
    if (stop.aborted) return Promise.resolve(undefined);
    const idle = this.pool.acquire();
    if (idle) return Promise.resolve(idle);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  /** A session went idle: wake the oldest waiter. */
  wake(): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.pool.acquire());
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

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

export async function runStage(deps: RunnerDeps, stage: number, work: StageWork): Promise<StagePartial> {
  const { pool, stop } = deps;
  const sessions = new SessionQueue(pool, stop);
  const lag = newHistogram();
  const loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  loop.enable();
  const t0 = performance.now();
  const tally = { sent: 0, completed: 0, errors: 0, lastSend: null as number | null, clamped: 0 };

  const runTurn = async (state: SessionState, onSend: () => void): Promise<void> => {
    const prepared = pool.prepare(state, deps.dateString());
    onSend();
    tally.sent++;
    tally.lastSend = performance.now() - t0;
    const startMs = deps.now();
    let outcome: ChatOutcome;
    try {
      outcome = await deps.transport.send(prepared, stop);
    } catch (err) {
      // A transport must not throw; if one does, the request still becomes an error record.
      outcome = {
        status: 0,
        error: `client error: ${(err as Error).message}`,
        ttftMs: null,
        e2eMs: 0,
        content: null,
        usage: null,
        clampedDurations: 0,
      };
    }
    const failed = outcome.aborted === true || outcome.error !== undefined;
    const answerTokens = pool.complete(
      prepared,
      failed ? null : (outcome.content ?? ''),
      outcome.sessionToken,
    );
    sessions.wake();
    if (outcome.aborted) return;
    tally.completed++;
    tally.clamped += outcome.clampedDurations;
    const record: RequestRecord = {
      runId: deps.runId,
      ...(deps.shard !== undefined ? { shard: deps.shard } : {}),
      phase: deps.phase,
      stage,
      session: prepared.session,
      turn: prepared.turn,
      startMs,
      ttftMs: outcome.ttftMs === null ? null : r3(outcome.ttftMs),
      e2eMs: r3(outcome.e2eMs),
      promptTokens: outcome.usage?.promptTokens ?? prepared.promptIds.length,
      completionTokens: outcome.usage?.completionTokens ?? answerTokens,
      ...(outcome.usage?.cachedTokens !== undefined ? { cachedTokens: outcome.usage.cachedTokens } : {}),
      prefixReusableTokens: prepared.prefixReusableTokens,
      status: outcome.status,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.servedBy !== undefined ? { servedBy: outcome.servedBy } : {}),
    };
    if (record.error !== undefined) tally.errors++;
    deps.emit(record, outcome);
  };

  if (work.kind === 'closed') {
    let remaining = work.requests ?? Number.POSITIVE_INFINITY;
    const deadline = work.durationMs === null ? Number.POSITIVE_INFINITY : t0 + work.durationMs;
    const slot = async (): Promise<void> => {
      // The first send of each slot is not a lag sample: at the stage start every slot is free at once
      // and N prompts are built one after the other — a one-off burst, not a generator that falls behind.
      let freeAt: number | null = null;
      while (!stop.aborted && remaining > 0 && performance.now() < deadline) {
        remaining--;
        const state = await sessions.take(stop);
        if (!state) return;
        if (performance.now() >= deadline) {
          pool.release(state);
          sessions.wake();
          return;
        }
        const since = freeAt;
        await runTurn(state, () => {
          if (since !== null) recordMs(lag, performance.now() - since);
        });
        freeAt = performance.now();
      }
    };
    await Promise.all(Array.from({ length: work.slots }, slot));
  } else {
    const inflight = new Set<Promise<void>>();
    for (const { offsetMs } of work.sends) {
      await sleepUntil(t0 + offsetMs, stop);
      const state = await sessions.take(stop);
      if (!state) break;
      const p = runTurn(state, () => recordMs(lag, performance.now() - (t0 + offsetMs)));
      inflight.add(p);
      void p.then(() => inflight.delete(p));
    }
    await Promise.all(inflight);
  }

  loop.disable();
  const overMs = (p: number): number =>
    loop.count === 0 ? 0 : round1(Math.max(0, loop.percentile(p) / 1e6 - EVENT_LOOP_RESOLUTION_MS));
  const partial: StagePartial = {
    sent: tally.sent,
    completed: tally.completed,
    errors: tally.errors,
    lastSendOffsetMs: tally.lastSend === null ? null : r3(tally.lastSend),
    scheduleLag: encodeHistogram(lag),
    eventLoopLagMs: { p50: overMs(50), p99: overMs(99) },
    clampedDurations: tally.clamped,
  };
  lag.destroy();
  return partial;
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
