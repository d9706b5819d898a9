// vLLM 0.10.x's Prometheus metrics for one pod (vllm/v1/metrics/loggers.py @005a810,
// PrometheusStatLogger): the same names, help texts (typos included), label names and buckets, every
// series created at 0 at start-up (`make_per_engine`), request_success pre-created for each finish
// reason. One prom-client Registry per pod, never the global one. Research note §1.
import { Counter, Gauge, Registry } from 'prom-client';
import type { FinishReason } from './answer.ts';
import type { EngineStats, FinishedRequest } from './engine.ts';
import { renderPythonExposition, type ExpositionFamily } from './exposition.ts';
import { SeriesHistogram } from './series-histogram.ts';

/**
 * `vllm`: byte-faithful to vLLM (prometheus_client: `_created` families, `32.0`, sorted labels);
 * `prom-client`: prom-client's own text (`32`, no `_created`), the shape Go/JS exporters such as
 * llm-d-inference-sim print. Parsers must accept both.
 */
export type MetricsFormat = 'vllm' | 'prom-client';

/** prometheus_client's CONTENT_TYPE_LATEST, what vLLM answers without an OpenMetrics Accept header. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
const TPOT_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];

/** `build_1_2_5_buckets(max_model_len)`: 1, 2, 5, 10, 20, 50, … up to the maximum. */
export function build125Buckets(max: number): number[] {
  const out: number[] = [];
  for (let scale = 1; ; scale *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * scale > max) return out;
      out.push(m * scale);
    }
  }
}

export interface PodMetricsOptions {
  model: string;
  maxModelLen: number;
  /** Unix seconds for the `_created` samples (the process start in vLLM). */
  createdAtSeconds: number;
  /** Gauges are read at scrape time. */
  gauges(): { running: number; waiting: number; kvUsage: number };
}

type Labels = { engine: string; model_name: string };

export class PodMetrics implements EngineStats {
  readonly registry = new Registry();
  private readonly createdAtSeconds: number;
  // Counters are plain numbers on the hot path, handed to prom-client when it collects (scrape time).
  private queries = 0;
  private hits = 0;
  private preemptions = 0;
  private promptTokens = 0;
  private generationTokens = 0;
  private readonly success: Record<FinishReason | 'abort', number> = { stop: 0, length: 0, abort: 0 };
  private readonly requestPromptTokens: SeriesHistogram;
  private readonly requestGenerationTokens: SeriesHistogram;
  private readonly paramsN: SeriesHistogram;
  private readonly paramsMaxTokens: SeriesHistogram;
  private readonly ttft: SeriesHistogram;
  private readonly tpot: SeriesHistogram;
  private readonly e2e: SeriesHistogram;
  private readonly queueTime: SeriesHistogram;

  constructor(opts: PodMetricsOptions) {
    const labels: Labels = { engine: '0', model_name: opts.model };
    this.createdAtSeconds = opts.createdAtSeconds;
    const registry = this.registry;
    const registers = [registry];
    const labelNames = ['engine', 'model_name'] as const;
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.set(labels, read());
        },
      });
    };
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({
        name: `${name}_total`,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          this.inc(labels, read());
        },
      });
    };
    const histogram = (name: string, help: string, buckets: number[]): SeriesHistogram =>
      new SeriesHistogram(name, help, buckets, labels, registry);
    // Registration order is vLLM's, so families come out in the same order.
    gauge(
      'vllm:num_requests_running',
      'Number of requests in model execution batches.',
      () => opts.gauges().running,
    );
    gauge(
      'vllm:num_requests_waiting',
      'Number of requests waiting to be processed.',
      () => opts.gauges().waiting,
    );
    gauge(
      'vllm:gpu_cache_usage_perc',
      'GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.',
      () => opts.gauges().kvUsage,
    );
    counter(
      'vllm:gpu_prefix_cache_queries',
      'GPU prefix cache queries, in terms of number of queriedtokens. DEPRECATED: Use vllm:prefix_cache_queries instead.',
      () => this.queries,
    );
    counter(
      'vllm:gpu_prefix_cache_hits',
      'GPU prefix cache hits, in terms of number of cached tokens. DEPRECATED: Use vllm:prefix_cache_hits instead.',
      () => this.hits,
    );
    gauge(
      'vllm:kv_cache_usage_perc',
      'KV-cache usage. 1 means 100 percent usage.',
      () => opts.gauges().kvUsage,
    );
    counter(
      'vllm:prefix_cache_queries',
      'Prefix cache queries, in terms of number of queried tokens.',
      () => this.queries,
    );
    counter(
      'vllm:prefix_cache_hits',
      'Prefix cache hits, in terms of number of cached tokens.',
      () => this.hits,
    );
    counter(
      'vllm:num_preemptions',
      'Cumulative number of preemption from the engine.',
      () => this.preemptions,
    );
    counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', () => this.promptTokens);
    counter('vllm:generation_tokens', 'Number of generation tokens processed.', () => this.generationTokens);
    const success = this.success;
    new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      labelNames: ['engine', 'finished_reason', 'model_name'] as const,
      registers,
      collect() {
        this.reset();
        // One series per finish reason from start-up on, in this order.
        for (const reason of ['stop', 'length', 'abort'] as const)
          this.inc({ ...labels, finished_reason: reason }, success[reason]);
      },
    });
    const lengthBuckets = build125Buckets(opts.maxModelLen);
    this.requestPromptTokens = histogram(
      'vllm:request_prompt_tokens',
      'Number of prefill tokens processed.',
      lengthBuckets,
    );
    this.requestGenerationTokens = histogram(
      'vllm:request_generation_tokens',
      'Number of generation tokens processed.',
      lengthBuckets,
    );
    this.paramsN = histogram(
      'vllm:request_params_n',
      'Histogram of the n request parameter.',
      [1, 2, 5, 10, 20],
    );
    this.paramsMaxTokens = histogram(
      'vllm:request_params_max_tokens',
      'Histogram of the max_tokens request parameter.',
      lengthBuckets,
    );
    this.ttft = histogram(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      TTFT_BUCKETS,
    );
    this.tpot = histogram(
      'vllm:time_per_output_token_seconds',
      'Histogram of time per output token in seconds.',
      TPOT_BUCKETS,
    );
    this.e2e = histogram(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      REQUEST_LATENCY_BUCKETS,
    );
    this.queueTime = histogram(
      'vllm:request_queue_time_seconds',
      'Histogram of time spent in WAITING phase for request.',
      REQUEST_LATENCY_BUCKETS,
    );
  }

  prefixLookup(queries: number, hits: number): void {
    // vLLM increments the deprecated gpu_ copies with the same values (loggers.py record()): one
    // number serves both families.
    this.queries += queries;
    this.hits += hits;
  }

  firstToken(promptTokens: number, ttftSeconds: number, queueSeconds: number): void {
    // prompt_tokens counts the whole prompt, cached tokens included, once, when its first token is out.
    this.promptTokens += promptTokens;
    this.ttft.observe(Math.max(0, ttftSeconds));
    this.queueTime.observe(Math.max(0, queueSeconds));
  }

  outputTokens(count: number, gapSeconds: number | undefined): void {
    this.generationTokens += count;
    if (gapSeconds !== undefined) this.tpot.observe(Math.max(0, gapSeconds));
  }

  finished(f: FinishedRequest): void {
    this.success[f.reason]++;
    this.e2e.observe(Math.max(0, f.e2eSeconds));
    this.requestPromptTokens.observe(f.promptTokens);
    this.requestGenerationTokens.observe(f.generationTokens);
    this.paramsN.observe(1);
    this.paramsMaxTokens.observe(f.maxTokens);
  }

  preempted(): void {
    this.preemptions++;
  }

  async render(format: MetricsFormat): Promise<string> {
    if (format === 'prom-client') return this.registry.metrics();
    const families = (await this.registry.getMetricsAsJSON()) as unknown as ExpositionFamily[];
    return renderPythonExposition(families, this.createdAtSeconds);
  }
}
