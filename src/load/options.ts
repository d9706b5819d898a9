// Options of the load steps, already validated (the command modules and src/flow/ build them).
import type { TakeSnapshotOptions } from '../metrics/take-snapshot.ts';
import type { TokenizerKind } from '../tokenize/tokenizer.ts';
import type { StageMark } from '../types.ts';
import type { Partition } from '../workload/plan.ts';
import type { SessionState, WorkloadShape } from '../workload/sessions.ts';
import type { StageSpec } from '../workload/stages.ts';

export interface LoadOptions {
  /** Base URL of the gateway, no /v1. */
  gatewayUrl: string;
  hostHeader?: string;
  model: string;
  /** Read from --api-key-file or KV_CACHE_BENCH_API_KEY; only ever sent as a header. */
  apiKey?: string;
  shape: WorkloadShape;
  maxTokens: number;
  pinDate: boolean;
  stream: boolean;
  requestTimeoutMs: number;
  servedByHeader?: string;
  tokenizer: TokenizerKind;
  /** Default: from the warm-up state, else generated from the clock and the seed. */
  runId?: string;
  /** --shard i/K: this process runs the sessions ≡ i (mod K) and that share of every stage. */
  shard?: Partition;
  /** Request records (JSONL, appended). */
  out: string;
  maxErrorRate: number;
  logLevel?: string;
}

export interface WarmupOptions extends LoadOptions {
  /** Default `<out>.sessions.json`. */
  sessionsOut?: string;
}

export interface ScrapeOptions {
  everyMs: number;
  /** Everything but `label`, which is `scrape-<n>`. */
  snapshot: Omit<TakeSnapshotOptions, 'label'>;
  /** Default `<out>.scrapes.jsonl`. */
  out?: string;
}

export interface RampLoadOptions extends LoadOptions {
  stages: StageSpec[];
  /** Default `<out>.stages.jsonl`. */
  stageOut?: string;
  /** worker_threads sharing the sessions (default 1: the main thread). */
  workers: number;
  /** Sessions warm-up left; without it ramp-load starts fresh conversations. */
  warmupState?: WarmupState;
  scrape?: ScrapeOptions;
}

/** `<out>.sessions.json`: what warm-up hands to ramp-load. */
export interface WarmupState {
  version: 1;
  runId: string;
  model: string;
  tokenizer: TokenizerKind;
  shape: WorkloadShape;
  /** The template date warm-up rendered (pinned or that day's): ramp-load pins the same one. */
  dateString: string;
  pinDate: boolean;
  sessions: SessionState[];
}

export interface WarmupResult {
  runId: string;
  requests: number;
  errors: number;
  recordsFile: string;
  sessionsFile: string;
  state: WarmupState;
}

export interface RampResult {
  runId: string;
  requests: number;
  errors: number;
  marks: StageMark[];
  recordsFile: string;
  stagesFile: string;
  scrapesFile?: string;
}
