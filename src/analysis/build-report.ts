// The one Report every renderer draws (STYLE.md "One report model, several renderers"). Pure.
import type { Report, Snapshot, StageMark, StageReport } from '../types.ts';
import { deltaByPod } from './deltas.ts';
import { evaluateGates, verdictOf } from './gates.ts';
import { deltaHitRate, overallHitRate, podReports, ratio, upperBound, usageHitRate } from './hit-rate.ts';
import { describeErrorKinds, type RunAggregate } from './record-aggregate.ts';
import { assessStickiness } from './stickiness.ts';
import { LatencyHistogram } from './latency.ts';

export interface ReportInputs {
  before: Snapshot;
  after: Snapshot;
  /** The measured run's records, folded (absent when report runs on snapshots alone). */
  run?: RunAggregate;
  /** --run-id, or the flow's run id, used when there are no records. */
  runId?: string;
  stageMarks: readonly StageMark[];
  minHitRate: number;
  maxErrorRate: number;
  baseline?: Report['baseline'];
  /** Warnings found while reading the inputs (dropped lines, several runs). */
  warnings?: readonly string[];
}

// Δqueries and the prompt tokens the measured requests sent should agree; beyond this they do not.
const QUERY_MISMATCH = 0.1;

export function buildReport(inputs: ReportInputs): Report {
  const { before, after, run } = inputs;
  const warnings: string[] = [...(inputs.warnings ?? [])];
  const deltas = deltaByPod(before, after);
  warnings.push(...deltas.warnings);
  const delta = deltaHitRate(deltas.pods);
  const pods = podReports(deltas.pods);

  const upper = run ? upperBound(run.tokens) : null;
  const fromUsage = run ? usageHitRate(run.tokens) : undefined;
  // Pods whose counters do not cover the whole run: what they counted before a restart (or at all) is lost.
  const partial = deltas.pods
    .filter((p) => p.restarted || p.gone || p.error !== undefined)
    .map((p) => p.name);
  if (!run) warnings.push('no request records given (--records): no upper bound, latency or error rate');
  else {
    crossCheck(delta, run, upper, partial, warnings);
    failureWarnings(run, warnings);
  }

  const readyPods = deltas.pods.filter((p) => p.ready && !p.gone).length;
  const sessionConsistency = run?.sessionConsistency();
  const assessed = assessStickiness({
    pods,
    readyPods,
    ...(run ? { sessions: run.sessions } : {}),
    ...(sessionConsistency !== undefined ? { sessionConsistency } : {}),
    deltaHitRate: delta.rate,
    upperBound: upper,
  });
  warnings.push(...assessed.warnings);

  const runId = run?.runId ?? inputs.runId ?? inputs.stageMarks[0]?.runId ?? 'unknown';
  const marks = inputs.stageMarks.filter((m) => m.runId === runId);
  if (marks.length < inputs.stageMarks.length)
    warnings.push(`${inputs.stageMarks.length - marks.length} stage marks of other runs were ignored`);
  const stages = stageReports(marks, run);
  const generatorLimited = marks.length > 0 ? marks.some((m) => m.generatorLimited) : null;
  if (generatorLimited) {
    const which = stages.filter((s) => s.generatorLimited).map((s) => `${s.stage} (${s.spec})`);
    warnings.push(
      `generator-limited stage${which.length === 1 ? '' : 's'} ${which.join(', ')}: the load generator could not keep the requested pace, so latency figures measure the client`,
    );
  }

  const coarse = Math.max(0, ...marks.map((m) => m.clockResolutionMs ?? 0));
  if (coarse > 1) {
    // DESIGN "Runtime": on a vCPU whose clock steps in ms, latencies are quantised; say so next to them.
    warnings.push(
      `the load generator's clock advanced in steps of up to ${coarse} ms: latency figures are quantised to that (pin it to CPU 0: taskset -c 0)`,
    );
  }
  const noisy = marks.filter(
    (m) => !m.generatorLimited && m.eventLoopLagMs.p99 > 20 + 2 * (m.clockResolutionMs ?? 0),
  );
  if (noisy.length > 0) {
    // The loop lagged while mostly idle: other processes held the CPU (stage-mark.ts BUSY_EVENT_LOOP_UTILIZATION).
    const worst = Math.max(...noisy.map((m) => m.eventLoopLagMs.p99));
    warnings.push(
      `the load generator was kept waiting by other processes (event-loop lag p99 up to ${worst} ms while its loop was mostly idle, stage${noisy.length === 1 ? '' : 's'} ${noisy.map((m) => m.stage).join(', ')}): latency percentiles carry that noise; run on a quieter machine or pin the generator to its own CPU`,
    );
  }
  const errorRate = run ? ratio(run.measuredErrors, run.measured) : null;
  const gates = evaluateGates({
    deltaHitRate: delta.rate,
    minHitRate: inputs.minHitRate,
    errorRate,
    maxErrorRate: inputs.maxErrorRate,
    generatorLimited,
  });
  const ttft = run?.ttft ?? new LatencyHistogram();
  const e2e = run?.e2e ?? new LatencyHistogram();
  const clamped = ttft.clamped + e2e.clamped;
  if (clamped > 0)
    warnings.push(
      `${clamped} duration${clamped === 1 ? '' : 's'} came out negative (a clock step) and counted as 0 ms`,
    );

  const report: Report = {
    runId,
    verdict: verdictOf(gates),
    hitRate: {
      delta: delta.rate,
      overall: overallHitRate(after),
      upperBound: upper,
      ...(fromUsage !== undefined ? { fromUsage } : {}),
    },
    pods,
    stickiness: assessed.stickiness,
    requests: {
      total: run?.measured ?? 0,
      errors: run?.measuredErrors ?? 0,
      ...throughputOf(run?.measured ?? 0, marks),
    },
    latency: { ttftMs: ttft.percentiles(), e2eMs: e2e.percentiles() },
    stages,
    ...(inputs.baseline ? { baseline: inputs.baseline } : {}),
    warnings,
    gates,
  };
  return report;
}

function crossCheck(
  delta: { queries: number; rate: number | null },
  run: RunAggregate,
  upper: number | null,
  partialPods: readonly string[],
  warnings: string[],
): void {
  const sent = run.tokens.promptTokens;
  // Failed requests that reached a pod (a stream cut mid-answer, a timeout) were counted there too.
  const reached = sent + run.failedPromptTokensReached;
  const mismatch = `the pods counted ${delta.queries} prefix-cache query tokens but the measured requests sent ${sent} prompt tokens`;
  if (sent > 0 && delta.queries > 0 && delta.queries > reached * (1 + QUERY_MISMATCH)) {
    warnings.push(
      `${mismatch}: other traffic reached the pods, or requests were counted twice (preemption, KV pressure)`,
    );
  } else if (sent > 0 && delta.queries > 0 && delta.queries < sent * (1 - QUERY_MISMATCH)) {
    warnings.push(
      partialPods.length > 0
        ? `${mismatch}: pod${partialPods.length === 1 ? '' : 's'} ${partialPods.join(', ')} restarted, went away or could not be read, so what ${partialPods.length === 1 ? 'it' : 'they'} counted before that is missing — the hit rate covers the rest of the traffic`
        : `${mismatch}: some pods were not scraped, or the snapshots do not bracket the measured loop`,
    );
  }
  if (delta.rate !== null && upper !== null && delta.rate > upper + 0.005) {
    warnings.push(
      `the delta hit rate ${delta.rate.toFixed(4)} is above the workload's upper bound ${upper.toFixed(4)}: ` +
        (run.failedPromptTokensReached > 0
          ? 'failed requests that reached the pods (cut streams, timeouts) were retried with the same prompt, which the pods then found cached'
          : 'the pods held prefixes this run did not send (no restart before it, or other traffic), or counted queries twice'),
    );
  }
  if (run.measured === 0) warnings.push('the records hold no measured requests (phase "measure")');
}

/** Failed requests said in words, by kind: a 503 storm reads differently from cut streams or timeouts. */
function failureWarnings(run: RunAggregate, warnings: string[]): void {
  if (run.measuredErrors > 0) {
    warnings.push(
      `${run.measuredErrors} of ${run.measured} measured requests failed (${describeErrorKinds(run.errorKinds)}): ` +
        'they count in the error rate and are left out of latency and the upper bound',
    );
  }
  if (run.warmupErrors > 0) {
    warnings.push(
      `${run.warmupErrors} of ${run.warmup} warm-up requests failed (${describeErrorKinds(run.warmupErrorKinds)})`,
    );
  }
}

/** Stage marks merged across shards (requests and rates add up; one limited shard limits the stage). */
function stageReports(marks: readonly StageMark[], run: RunAggregate | undefined): StageReport[] {
  const byStage = new Map<number, StageReport>();
  for (const m of marks) {
    const s = byStage.get(m.stage);
    if (!s) {
      byStage.set(m.stage, {
        stage: m.stage,
        spec: m.spec,
        requests: m.completed,
        errors: m.errors,
        achievedRps: m.achievedRps,
        ttftMs: { p50: null, p95: null, p99: null },
        generatorLimited: m.generatorLimited,
      });
    } else {
      s.requests += m.completed;
      s.errors += m.errors;
      s.achievedRps = (s.achievedRps ?? 0) + m.achievedRps;
      s.generatorLimited ||= m.generatorLimited;
    }
  }
  for (const [stage, figures] of run?.stages ?? []) {
    const s = byStage.get(stage);
    const ttftMs = figures.ttft.percentiles();
    if (s) {
      // Records are the finer source: a mark written on SIGTERM may lag the records already on disk.
      s.requests = figures.requests;
      s.errors = figures.errors;
      s.ttftMs = ttftMs;
    } else {
      byStage.set(stage, {
        stage,
        spec: '',
        requests: figures.requests,
        errors: figures.errors,
        achievedRps: null,
        ttftMs,
        generatorLimited: false,
      });
    }
  }
  return [...byStage.values()].sort((a, b) => a.stage - b.stage);
}

/** Measured requests over the wall time from the first stage's start to the last stage's end. */
function throughputOf(requests: number, marks: readonly StageMark[]): { throughputRps?: number } {
  if (marks.length === 0 || requests === 0) return {};
  const start = Math.min(...marks.map((m) => m.startMs));
  const end = Math.max(...marks.map((m) => m.endMs));
  return end > start ? { throughputRps: Math.round((requests * 1000 * 100) / (end - start)) / 100 } : {};
}
