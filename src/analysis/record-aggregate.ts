// Request records folded into figures one line at a time, so a million records never sit in memory
// (STYLE.md "Runners emit, sinks aggregate"). Pure: records.ts feeds it lines from files.
import type { RequestRecord } from '../types.ts';
import type { TokenSums } from './hit-rate.ts';
import { LatencyHistogram } from './latency.ts';
import { countConsistentConversations } from './stickiness.ts';

export interface StageFigures {
  requests: number;
  errors: number;
  ttft: LatencyHistogram;
}

/** The serving pod must be known for this share of measured successes before per-session stickiness is trusted. */
export const SERVED_BY_COVERAGE = 0.99;

/**
 * What kind of failure a record is, in words a report can count: `HTTP 503`, `timeout`, `stream cut before
 * [DONE]`, `connection failed (ECONNREFUSED)`, `error in the response`.
 */
export function errorKind(r: Pick<RequestRecord, 'status' | 'error'>): string {
  const error = r.error ?? '';
  if (r.status >= 300 || (r.status > 0 && r.status < 200)) return `HTTP ${r.status}`;
  if (error.startsWith('timeout')) return 'timeout';
  if (error.includes('stream ended before [DONE]')) return 'stream cut before [DONE]';
  if (r.status === 0) {
    const code = /^([A-Z][A-Z0-9_]+):/.exec(error)?.[1];
    return code ? `connection failed (${code})` : 'no response';
  }
  return 'error in the response';
}

/** `8 HTTP 503, 3 stream cut before [DONE], 1 timeout` (most frequent first). */
export function describeErrorKinds(kinds: ReadonlyMap<string, number>): string {
  return [...kinds]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
}

function countKind(kinds: Map<string, number>, r: RequestRecord): void {
  const kind = errorKind(r);
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
}

/** Everything report needs from the records of one run. */
export class RunAggregate {
  readonly runId: string;
  measured = 0;
  measuredErrors = 0;
  warmup = 0;
  warmupErrors = 0;
  readonly ttft = new LatencyHistogram();
  readonly e2e = new LatencyHistogram();
  readonly warmupTtft = new LatencyHistogram();
  readonly stages = new Map<number, StageFigures>();
  readonly tokens: TokenSums = {
    promptTokens: 0,
    reusableTokens: 0,
    cachedTokens: 0,
    promptTokensWithUsage: 0,
    requestsWithUsage: 0,
  };
  /** failed requests by errorKind(), measured and warm-up apart */
  readonly errorKinds = new Map<string, number>();
  readonly warmupErrorKinds = new Map<string, number>();
  /** prompt tokens of failed measured requests that reached a pod (cut streams, timeouts): pods count them */
  failedPromptTokensReached = 0;
  firstStartMs = Infinity;
  lastEndMs = -Infinity;
  servedByKnown = 0;
  private readonly podIds = new Map<string, number>();
  /** session key → flat [startMs, turn, podId, …] of measured successes with a known pod (24 bytes each). */
  private readonly visits = new Map<string, number[]>();
  private readonly sessionKeys = new Set<string>();

  constructor(runId: string) {
    this.runId = runId;
  }

  add(r: RequestRecord): void {
    const failed = r.status !== 200 || r.error !== undefined;
    if (r.phase === 'warmup') {
      this.warmup++;
      if (failed) {
        this.warmupErrors++;
        countKind(this.warmupErrorKinds, r);
      } else if (r.ttftMs !== null) this.warmupTtft.record(r.ttftMs);
      return;
    }
    this.measured++;
    this.firstStartMs = Math.min(this.firstStartMs, r.startMs);
    this.lastEndMs = Math.max(this.lastEndMs, r.startMs + Math.max(0, r.e2eMs));
    let stage = this.stages.get(r.stage);
    if (!stage) this.stages.set(r.stage, (stage = { requests: 0, errors: 0, ttft: new LatencyHistogram() }));
    stage.requests++;
    const key = `${r.shard ?? ''}|${r.session}`;
    this.sessionKeys.add(key);
    if (failed) {
      this.measuredErrors++;
      stage.errors++;
      countKind(this.errorKinds, r);
      // A pod that answered 200 (then the stream broke) or never answered in time did count the prompt.
      if (r.status === 200 || r.error?.startsWith('timeout'))
        this.failedPromptTokensReached += r.promptTokens;
      return;
    }
    if (r.ttftMs !== null) {
      this.ttft.record(r.ttftMs);
      stage.ttft.record(r.ttftMs);
    }
    this.e2e.record(r.e2eMs);
    this.tokens.promptTokens += r.promptTokens;
    this.tokens.reusableTokens += r.prefixReusableTokens;
    if (r.cachedTokens !== undefined) {
      this.tokens.cachedTokens += r.cachedTokens;
      this.tokens.promptTokensWithUsage += r.promptTokens;
      this.tokens.requestsWithUsage++;
    }
    if (r.servedBy) {
      this.servedByKnown++;
      let pod = this.podIds.get(r.servedBy);
      if (pod === undefined) this.podIds.set(r.servedBy, (pod = this.podIds.size));
      let list = this.visits.get(key);
      if (!list) this.visits.set(key, (list = []));
      list.push(r.startMs, r.turn, pod);
    }
  }

  get measuredSuccesses(): number {
    return this.measured - this.measuredErrors;
  }

  /** Session slots with a known serving pod. */
  get servedSessions(): number {
    return this.visits.size;
  }

  get sessions(): number {
    return this.sessionKeys.size;
  }

  /** The serving pods named by servedBy, in order of first appearance. */
  servedByPods(): string[] {
    return [...this.podIds.keys()];
  }

  /** Share of conversations served by one pod throughout; undefined when the serving pod is mostly unknown. */
  sessionConsistency(): number | undefined {
    const successes = this.measuredSuccesses;
    if (successes === 0 || this.servedByKnown < successes * SERVED_BY_COVERAGE) return undefined;
    let conversations = 0;
    let consistent = 0;
    for (const flat of this.visits.values()) {
      const c = countConsistentConversations(flat);
      conversations += c.conversations;
      consistent += c.consistent;
    }
    return conversations > 0 ? consistent / conversations : undefined;
  }

  /** Per session slot: the pods that served its first `maxCells` requests, in order (the HTML grid). */
  sessionPods(maxSessions: number, maxCells: number): { session: string; pods: string[] }[] {
    const names = this.servedByPods();
    const keys = [...this.visits.keys()]
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .slice(0, maxSessions);
    return keys.map((key) => {
      const flat = this.visits.get(key) ?? [];
      // key is `shard|session`: shown as `7` or `7 (shard 1/2)`.
      const [shard, number] = key.split('|');
      const session = shard ? `${number} (shard ${shard})` : (number ?? key);
      const order = new Uint32Array(flat.length / 3).map((_, i) => i);
      order.sort((a, b) => (flat[a * 3] as number) - (flat[b * 3] as number));
      return {
        session,
        pods: [...order.subarray(0, maxCells)].map((i) => names[flat[i * 3 + 2] as number] ?? '?'),
      };
    });
  }
}

/** Checks a parsed line has the fields report reads; returns why not, or undefined. */
export function invalidRecord(x: unknown): string | undefined {
  if (!x || typeof x !== 'object') return 'not an object';
  const r = x as Record<string, unknown>;
  if (typeof r.runId !== 'string') return 'no runId';
  if (r.phase !== 'warmup' && r.phase !== 'measure') return 'phase is not warmup or measure';
  for (const k of [
    'stage',
    'session',
    'turn',
    'startMs',
    'e2eMs',
    'promptTokens',
    'prefixReusableTokens',
    'status',
  ]) {
    if (typeof r[k] !== 'number') return `${k} is not a number`;
  }
  if (r.ttftMs !== null && typeof r.ttftMs !== 'number') return 'ttftMs is not a number';
  return undefined;
}

/** Records of several runs, kept apart until report picks one. */
export class RecordsAccumulator {
  readonly runs = new Map<string, RunAggregate>();
  dropped = 0;
  readonly droppedAt: string[] = [];

  /** Feeds one JSONL line; `where` (file:line) names a dropped line in the warning. */
  addLine(line: string, where: string): void {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.drop(where);
      return;
    }
    if (invalidRecord(parsed) !== undefined) {
      this.drop(where);
      return;
    }
    const r = parsed as RequestRecord;
    let run = this.runs.get(r.runId);
    if (!run) this.runs.set(r.runId, (run = new RunAggregate(r.runId)));
    run.add(r);
  }

  private drop(where: string): void {
    this.dropped++;
    if (this.droppedAt.length < 5) this.droppedAt.push(where);
  }

  /** The run report speaks for: --run-id when given, else the one with the most records. */
  choose(runId: string | undefined): { run: RunAggregate | undefined; warnings: string[] } {
    const warnings: string[] = [];
    if (this.dropped > 0) {
      const n = this.dropped;
      warnings.push(
        `${n} line${n === 1 ? '' : 's'} could not be parsed and ${n === 1 ? 'was' : 'were'} dropped (${this.droppedAt.join(', ')}${n > this.droppedAt.length ? ', …' : ''})`,
      );
    }
    const runs = [...this.runs.values()].sort(
      (a, b) => b.measured + b.warmup - (a.measured + a.warmup) || a.runId.localeCompare(b.runId),
    );
    const run = runId !== undefined ? this.runs.get(runId) : runs[0];
    if (runs.length > 1 || (runId !== undefined && !run)) {
      const list = runs.map((r) => `${r.runId} (${r.measured + r.warmup})`).join(', ');
      warnings.push(
        `the records hold several runs: ${list}; only ${run ? run.runId : `${runId} (none found)`} is reported`,
      );
    }
    return { run, warnings };
  }
}
