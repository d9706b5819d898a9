// What the parts of the embedded stack need from each other. The pods (vllm/), the Kubernetes model
// (kube-api/) and the gateway (gateway/) meet only through these types.
import type { Tokenizer } from '../tokenize/tokenizer.ts';

/** Time to first token = prefillOverheadMs + uncached prompt tokens × prefillPerTokenMs; then one token per interTokenMs. */
export interface LatencyProfile {
  prefillOverheadMs: number;
  prefillPerTokenMs: number;
  interTokenMs: number;
}

/**
 * llm-d-inference-sim docs/latency-profiles.md, 1–3B models on an H100: prefill-overhead 15–25 ms,
 * prefill-time-per-token 0.10–0.20 ms, inter-token latency 5–8 ms (research note §3).
 */
export const REALISTIC_LATENCY: LatencyProfile = {
  prefillOverheadMs: 20,
  prefillPerTokenMs: 0.15,
  interTokenMs: 5,
};
export const ZERO_LATENCY: LatencyProfile = { prefillOverheadMs: 0, prefillPerTokenMs: 0, interTokenMs: 0 };

export interface VllmPodOptions {
  name: string;
  namespace: string;
  /** served model name (`model_name` label, `/v1/models`) */
  model: string;
  tokenizer: Tokenizer;
  blockSizeTokens: number;
  /** KV blocks in the pool (`num_gpu_blocks`) */
  numBlocks: number;
  maxNumSeqs: number;
  maxModelLen: number;
  latency: LatencyProfile;
  /** `--enable-prompt-tokens-details`: report usage.prompt_tokens_details.cached_tokens */
  enablePromptTokensDetails: boolean;
  seed: number;
  host: string;
  /** 0 or absent = any free port */
  port?: number;
  /** Wall clock in ms since the epoch: `created` fields, the template's default date, `_created` samples. */
  now?: () => number;
  /** Unix seconds for the `_created` samples; default: the clock at start-up. */
  createdAtSeconds?: number;
  /** `vllm` (default): vLLM's exposition byte for byte; `prom-client`: prom-client's own text format. */
  metricsFormat?: 'vllm' | 'prom-client';
  /** Request bodies above this are answered 413 without being buffered; default 16 MiB. */
  maxBodyBytes?: number;
  /** Fault injection hooks, consulted on every request. */
  faults?: VllmPodFaults;
}

export interface VllmPodFaults {
  /** Return an HTTP status (e.g. 500, 503) to fail an OpenAI request at arrival instead of serving it. */
  failRequest?(route: string): number | undefined;
  /** While this returns false, GET /health answers 503. */
  healthy?(): boolean;
  /** ms to hold a generation request before the engine admits it (a stalled engine). */
  stallMs?(route: string): number | undefined;
  /** true: drop the connection half-way through this response (a stream cut mid-answer). */
  cutResponse?(route: string): boolean;
  /** How GET /metrics misbehaves: 200 with a page that is no exposition, or no answer at all. */
  metricsFault?(): 'garbage' | 'hang' | undefined;
}

/** The gateway's fault hook (src/sim/faults.ts), consulted once per OpenAI POST. */
export interface GatewayFaults {
  /** A status to answer with instead of routing (e.g. 503, as Envoy does on upstream overflow). */
  rejectStatus(): number | undefined;
}

/** What the EPP's queue and KV-utilization scorers read (vllm:num_requests_waiting, vllm:kv_cache_usage_perc). */
export interface PodLoad {
  waiting: number;
  running: number;
  kvUsage: number;
}

export interface VllmPodHandle {
  readonly name: string;
  readonly namespace: string;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  load(): PodLoad;
  close(): Promise<void>;
}

/** A pod the gateway may route to. */
export interface GatewayEndpoint {
  readonly name: string;
  readonly namespace: string;
  readonly url: string;
  load(): PodLoad;
}

export interface EndpointSource {
  /** Ready pods behind the gateway's InferencePool / Service, in a stable order. */
  readyEndpoints(): readonly GatewayEndpoint[];
}

export type RoutingPolicy = 'round-robin' | 'random' | 'client-ip' | 'session-token' | 'prefix-aware';
export const ROUTING_POLICIES: readonly RoutingPolicy[] = [
  'round-robin',
  'random',
  'client-ip',
  'session-token',
  'prefix-aware',
];
