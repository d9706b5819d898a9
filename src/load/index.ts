// The load steps, callable without yargs (src/flow/ composes them for `run` and `demo`):
//   runWarmup:   each session's first turn; records, then `<out>.sessions.json` for ramp-load.
//   runRampLoad: the measured stages; records, stage marks, optional periodic snapshots.
// Both stop on SIGTERM (Interrupted, what finished is on disk), on --max-error-rate (RunFailed) and on a
// gateway that cannot be reached (UsageError: --gateway-url is wrong).
import { Interrupted, UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { createLogger } from '../log.ts';
import { templateDate } from '../tokenize/chat-template.ts';
import { WHOLE } from '../workload/plan.ts';
import type { StageSpec } from '../workload/stages.ts';
import type { RequestRecord, StageMark } from '../types.ts';
import { buildSessionPool, dateSource, generateRunId, newChatClient, shardLabel } from './driver.ts';
import { localExecutor, maxConcurrencyOf, type ExecutorSetup, type StageExecutor } from './executor.ts';
import { RunGuard } from './guard.ts';
import type {
  LoadOptions,
  RampLoadOptions,
  RampResult,
  WarmupOptions,
  WarmupResult,
  WarmupState,
} from './options.ts';
import { runStage } from './runner.ts';
import { startScrapeLoop } from './scrape-loop.ts';
import { fanOut, progressSink, recordFileSink, stageMarkFileSink, type RequestSink } from './sinks.ts';
import { buildStageMark, mergePartials } from './stage-mark.ts';
import { probeClockStepMs } from './clock.ts';
import { checkWarmupState, writeWarmupState } from './warmup-state.ts';

export type * from './options.ts';
export { readWarmupState } from './warmup-state.ts';

/** Warm-up is small; more than this many at once would only queue at the server. */
export const WARMUP_CONCURRENCY = 32;

/**
 * What stops a run, once, for the first reason: SIGTERM (Interrupted), the error-rate guard (RunFailed)
 * or a gateway never reached (UsageError). `settle()` throws that reason after the files are closed.
 */
class RunControl {
  private readonly guard: RunGuard;
  private readonly io: Io;
  private reason: Error | undefined;
  onStop: () => void = () => undefined;
  private readonly onSignal = (): void => this.stop(new Interrupted());

  constructor(opts: LoadOptions, io: Io) {
    this.guard = new RunGuard({ maxErrorRate: opts.maxErrorRate, gatewayUrl: opts.gatewayUrl });
    this.io = io;
  }

  get stopped(): boolean {
    return this.reason !== undefined;
  }

  get counts(): { requests: number; errors: number } {
    return { requests: this.guard.total, errors: this.guard.errors };
  }

  /** Starts listening for SIGTERM (io.signal). */
  watchSignal(): void {
    this.io.signal.addEventListener('abort', this.onSignal);
    if (this.io.signal.aborted) this.onSignal();
  }

  /** Records go to the sinks first, then the guard judges them. */
  emitter(sinks: RequestSink): (record: RequestRecord, errorCode: string | undefined) => void {
    return (record, errorCode) => {
      sinks.record(record);
      const stop = this.guard.observe(record, errorCode);
      if (stop) this.stop(stop);
    };
  }

  stop(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.onStop();
  }

  dispose(): void {
    this.io.signal.removeEventListener('abort', this.onSignal);
  }

  settle(): void {
    if (this.reason) throw this.reason;
    const unreachable = this.guard.finish();
    if (unreachable) throw unreachable;
  }
}

export async function runWarmup(opts: WarmupOptions, io: Io): Promise<WarmupResult> {
  const log = createLogger(opts.logLevel ?? 'info', io.stderr);
  const part = opts.shard ?? WHOLE;
  const shard = shardLabel(opts.shard);
  const runId = opts.runId ?? generateRunId(io.now(), opts.shape.seed);
  const dateString = templateDate(io.now());
  const pool = await buildSessionPool({ shape: opts.shape, tokenizer: opts.tokenizer, part });
  if (pool.size === 0)
    throw new UsageError(`--shard ${shard} has no session of --sessions ${opts.shape.sessions}`);
  const slots = Math.min(pool.size, WARMUP_CONCURRENCY);
  const client = newChatClient(opts, slots);
  const sinks = fanOut([recordFileSink(opts.out), progressSink(io.stderr)]);
  const abort = new AbortController();
  const control = new RunControl(opts, io);
  control.onStop = () => abort.abort();
  control.watchSignal();
  const emit = control.emitter(sinks);
  const spec: StageSpec = {
    kind: 'closed',
    spec: 'warmup',
    concurrency: slots,
    limit: { by: 'count', requests: pool.size },
  };
  const startMs = io.now();
  let clamped = 0;
  try {
    const partial = await runStage(
      {
        runId,
        ...(shard !== undefined ? { shard } : {}),
        phase: 'warmup',
        pool,
        transport: client,
        dateString: dateSource(opts.pinDate ? dateString : null, () => io.now()),
        now: () => io.now(),
        emit: (record, outcome) => emit(record, outcome.errorCode),
        stop: abort.signal,
      },
      0,
      { kind: 'closed', slots, requests: pool.size, durationMs: null },
    );
    clamped = partial.clampedDurations;
    const measure = mergePartials([partial], { startMs, endMs: io.now() });
    // Warm-up is not measured: its progress line carries no generator-limited verdict.
    sinks.stageEnd({
      ...buildStageMark({ runId, stage: 0, spec, part: WHOLE, measure }),
      generatorLimited: false,
    });
  } finally {
    control.dispose();
    sinks.close();
    await client.close();
  }
  if (clamped > 0) log.warn({ clamped }, 'negative durations clamped to 0 (clock stepped back)');
  const state: WarmupState = {
    version: 1,
    runId,
    model: opts.model,
    tokenizer: opts.tokenizer,
    shape: opts.shape,
    dateString,
    pinDate: opts.pinDate,
    sessions: pool.snapshot(),
  };
  const sessionsFile = opts.sessionsOut ?? `${opts.out}.sessions.json`;
  writeWarmupState(sessionsFile, state);
  control.settle();
  return { runId, ...control.counts, recordsFile: opts.out, sessionsFile, state };
}

export async function runRampLoad(opts: RampLoadOptions, io: Io): Promise<RampResult> {
  const log = createLogger(opts.logLevel ?? 'info', io.stderr);
  const part = opts.shard ?? WHOLE;
  const shard = shardLabel(opts.shard);
  const state = opts.warmupState;
  if (state) checkWarmupState(state, opts);
  const runId = opts.runId ?? state?.runId ?? generateRunId(io.now(), opts.shape.seed);
  // Pinned: the warm-up's date, or its cache would not match (the date sits in block 1).
  const pinnedDate = opts.pinDate ? (state?.dateString ?? templateDate(io.now())) : null;
  const stagesFile = opts.stageOut ?? `${opts.out}.stages.jsonl`;
  const sinks = fanOut([recordFileSink(opts.out), stageMarkFileSink(stagesFile), progressSink(io.stderr)]);
  const control = new RunControl(opts, io);
  const setup: ExecutorSetup = {
    opts,
    part,
    runId,
    ...(shard !== undefined ? { shard } : {}),
    pinnedDate,
    ...(state ? { carried: { sessions: state.sessions, dateString: state.dateString } } : {}),
    maxConcurrency: maxConcurrencyOf(opts.stages),
    emit: control.emitter(sinks),
  };
  const marks: StageMark[] = [];
  const clockResolutionMs = probeClockStepMs();
  if (clockResolutionMs > 1) {
    log.warn(
      { clockResolutionMs },
      "this CPU's clock advances in coarse steps: latency figures are quantised (pin the load generator to a CPU with a fine clock, e.g. taskset -c 0)",
    );
  }
  let clamped = 0;
  const scrapesFile = opts.scrape ? (opts.scrape.out ?? `${opts.out}.scrapes.jsonl`) : undefined;
  const scrape =
    opts.scrape && scrapesFile ? startScrapeLoop({ ...opts.scrape, out: scrapesFile }, io, log) : undefined;
  let executor: StageExecutor | undefined;
  try {
    const exec =
      opts.workers > 1
        ? await (await import('./workers.ts')).workerExecutor(setup, opts.workers)
        : await localExecutor(setup, io);
    executor = exec;
    control.onStop = () => exec.stop();
    control.watchSignal();
    for (let k = 0; k < opts.stages.length && !control.stopped; k++) {
      const spec = opts.stages[k] as StageSpec;
      const startMs = io.now();
      const measure = mergePartials(await exec.runStage(k + 1, spec), { startMs, endMs: io.now() });
      clamped += measure.clampedDurations;
      const mark = buildStageMark({
        runId,
        ...(shard ? { shard } : {}),
        clockResolutionMs,
        stage: k + 1,
        spec,
        part,
        measure,
      });
      sinks.stageEnd(mark);
      marks.push(mark);
    }
  } finally {
    control.dispose();
    await scrape?.stop();
    await executor?.close();
    sinks.close();
  }
  if (clamped > 0) log.warn({ clamped }, 'negative durations clamped to 0 (clock stepped back)');
  control.settle();
  return {
    runId,
    ...control.counts,
    marks,
    recordsFile: opts.out,
    stagesFile,
    ...(scrapesFile ? { scrapesFile } : {}),
  };
}
