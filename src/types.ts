// The data contracts between steps (../shared/DESIGN.md, "Data between steps"). Field names are
// part of the contract: Tekton YAML, tests and users' scripts read them.

/** vLLM counters of one pod, raw totals summed over `engine` (and `finished_reason`). null = absent. */
export interface PodCounters {
  prefixCacheQueries: number | null;
  prefixCacheHits: number | null;
  promptTokens: number | null;
  generationTokens: number | null;
  requestSuccess: number | null;
  preemptions: number | null;
}

export interface PodSnapshot {
  name: string;
  uid: string;
  ip: string;
  startTime: string;
  ready: boolean;
  counters: PodCounters;
  /** `_created` timestamp (unix seconds) of the prefix-cache counter where the exposition has one. */
  createdAt?: number;
  /** Why this pod could not be read; counters are then all null. */
  error?: string;
}

export type ScrapeVia = 'pod-ip' | 'api-proxy' | 'prometheus' | 'urls';

export interface Snapshot {
  takenAt: string;
  label: string;
  source: ScrapeVia;
  model: string;
  pods: PodSnapshot[];
}

export type Phase = 'warmup' | 'measure';

/** One JSON line per finished request, appended as it finishes. */
export interface RequestRecord {
  runId: string;
  shard?: string;
  phase: Phase;
  stage: number;
  session: number;
  turn: number;
  /** ms since the Unix epoch when the request was sent. */
  startMs: number;
  /** null when no token arrived (error, or a non-streaming request that failed). */
  ttftMs: number | null;
  e2eMs: number;
  promptTokens: number;
  completionTokens: number;
  /** usage.prompt_tokens_details.cached_tokens, only when the server reports it. */
  cachedTokens?: number;
  /** Tokens of this prompt a perfect router with an unlimited cache could reuse (DESIGN "Upper bound"). */
  prefixReusableTokens: number;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  error?: string;
  servedBy?: string;
}

export interface LagPercentiles {
  p50: number;
  p99: number;
}

/** One JSON line per stage, written when it ends (also on SIGTERM). */
export interface StageMark {
  runId: string;
  shard?: string;
  stage: number;
  spec: string;
  startMs: number;
  endMs: number;
  requested: number;
  completed: number;
  errors: number;
  achievedRps: number;
  scheduleLagMs: LagPercentiles;
  eventLoopLagMs: LagPercentiles;
  generatorLimited: boolean;
  /** Busiest load thread's event-loop utilization (0–1): near 1 means the generator itself was saturated. */
  eventLoopUtilization?: number;
  /** Present when the generator's clock advanced in steps over 1 ms: its lag and latency figures are quantised. */
  clockResolutionMs?: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type StickinessGrade = 'EXCELLENT' | 'GOOD' | 'FAIR' | 'POOR';

export interface PodReport {
  name: string;
  queries: number;
  hits: number;
  hitRate: number | null;
  share: number | null;
  restarted: boolean;
  gone?: boolean;
}

export interface Gate {
  name: string;
  threshold: number | boolean;
  value: number | boolean | null;
  ok: boolean;
}

export interface StageReport {
  stage: number;
  spec: string;
  requests: number;
  errors: number;
  achievedRps: number | null;
  ttftMs: Percentiles;
  generatorLimited: boolean;
}

export interface Report {
  runId: string;
  verdict: 'PASS' | 'FAIL';
  hitRate: {
    delta: number | null;
    overall: number | null;
    upperBound: number | null;
    fromUsage?: number | null;
  };
  pods: PodReport[];
  stickiness: {
    grade: StickinessGrade;
    sessionConsistency?: number;
    topPodShare: number | null;
    balance: number | null;
    hotSpot: boolean;
  };
  /** throughputRps: measured requests over the measured stages' wall time (absent without stage marks). */
  requests: { total: number; errors: number; throughputRps?: number };
  latency: { ttftMs: Percentiles; e2eMs: Percentiles };
  stages: StageReport[];
  baseline?: { policy: string; hitRate: number | null; ttftMs: Percentiles; throughputRps?: number };
  warnings: string[];
  gates: Gate[];
}
