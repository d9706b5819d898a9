// vLLM counters of one pod from its parsed /metrics. Pure.
import type { PodCounters } from '../types.ts';
import type { Sample } from './prom-text.ts';

/**
 * The golden of the series names we read, per vLLM release (research note §1.2, "Deprecation timeline",
 * checked against vllm/v1/metrics/loggers.py of tags v0.9.1, v0.9.2, v0.10.x, v0.11.0, v0.12.0):
 *
 * | field              | series                               | 0.9/0.10 | 0.11                     | 0.12    |
 * | prefixCacheQueries | vllm:prefix_cache_queries_total      | yes      | yes                      | yes     |
 * |                    | vllm:gpu_prefix_cache_queries_total  | yes      | only with --show-hidden- | removed |
 * |                    |                                      |          | metrics-for-version=0.10 |         |
 * | prefixCacheHits    | vllm:prefix_cache_hits_total         | yes      | yes                      | yes     |
 * |                    | vllm:gpu_prefix_cache_hits_total     | yes      | hidden                   | removed |
 * | promptTokens       | vllm:prompt_tokens_total             | yes      | yes                      | yes     |
 * | generationTokens   | vllm:generation_tokens_total         | yes      | yes                      | yes     |
 * | requestSuccess     | vllm:request_success_total           | yes (finished_reason stop|length|abort) |
 * | preemptions        | vllm:num_preemptions_total           | yes      | yes                      | yes     |
 *
 * Both prefix counters count TOKENS from 0.9 on (0.8-era V1 counted blocks). The deprecated `gpu_` copies
 * carry the same values in 0.10, so they are a fallback only, never added. A renamed metric shows up
 * here as a null column, not an error: test/unit/metrics pins these names.
 */
export const VLLM_COUNTER_SERIES: Readonly<
  Record<keyof PodCounters, { current: string; deprecated?: string }>
> = {
  prefixCacheQueries: {
    current: 'vllm:prefix_cache_queries_total',
    deprecated: 'vllm:gpu_prefix_cache_queries_total',
  },
  prefixCacheHits: {
    current: 'vllm:prefix_cache_hits_total',
    deprecated: 'vllm:gpu_prefix_cache_hits_total',
  },
  promptTokens: { current: 'vllm:prompt_tokens_total' },
  generationTokens: { current: 'vllm:generation_tokens_total' },
  requestSuccess: { current: 'vllm:request_success_total' },
  preemptions: { current: 'vllm:num_preemptions_total' },
};

/** prometheus_client's `_created` gauge of a counter `X_total` is `X_created` (research note §1.1). */
export function createdSeriesOf(counterName: string): string {
  return counterName.replace(/_total$/, '_created');
}

export interface PodCounterReading {
  counters: PodCounters;
  /** Unix seconds of the prefix-queries counter's `_created` (min over engines); absent in Go/prom-client output. */
  createdAt?: number;
  /** Every `model_name` the vLLM counters carry. */
  modelNames: string[];
  /** Set when several models are exposed and `model` is not one of them. */
  modelMissing?: boolean;
  /** A counter sample no counter can hold (negative, ±Inf): `vllm:prefix_cache_hits_total is -3`. */
  impossible?: string;
}

const WANTED = new Set<string>();
for (const s of Object.values(VLLM_COUNTER_SERIES)) {
  WANTED.add(s.current);
  WANTED.add(createdSeriesOf(s.current));
  if (s.deprecated) {
    WANTED.add(s.deprecated);
    WANTED.add(createdSeriesOf(s.deprecated));
  }
}

export function readVllmCounters(samples: readonly Sample[], model: string): PodCounterReading {
  const relevant = samples.filter((s) => WANTED.has(s.name));
  const modelNames = [
    ...new Set(relevant.map((s) => s.labels.model_name).filter((m): m is string => m !== undefined)),
  ].sort();
  // One model (or none labelled): take every series, whatever its served name (an alias of --model is common).
  // Several: only ours.
  const several = modelNames.length > 1;
  const modelMissing = several && !modelNames.includes(model);
  const mine = several ? relevant.filter((s) => s.labels.model_name === model) : relevant;

  // Sum over every engine and finished_reason series; `_created` samples have their own names, so they are
  // never summed into counts (matching by prefix would add ~1.7e9 per engine).
  const sums = new Map<string, number>();
  let impossible: string | undefined;
  for (const s of mine) {
    if (Number.isNaN(s.value)) continue;
    // A counter is finite and never negative: anything else would become a wrong figure, not a delta.
    if ((s.value < 0 || !Number.isFinite(s.value)) && !s.name.endsWith('_created')) {
      impossible ??= `${s.name} is ${s.value}`;
      continue;
    }
    sums.set(s.name, (sums.get(s.name) ?? 0) + s.value);
  }
  const counters = {} as PodCounters;
  for (const [field, series] of Object.entries(VLLM_COUNTER_SERIES) as [
    keyof PodCounters,
    { current: string; deprecated?: string },
  ][]) {
    counters[field] =
      sums.get(series.current) ?? (series.deprecated ? sums.get(series.deprecated) : undefined) ?? null;
  }

  const prefix = VLLM_COUNTER_SERIES.prefixCacheQueries;
  let createdAt: number | undefined;
  const createdNames =
    sums.has(prefix.current) || !prefix.deprecated
      ? [createdSeriesOf(prefix.current)]
      : [createdSeriesOf(prefix.deprecated)];
  for (const s of mine) {
    if (createdNames.includes(s.name) && Number.isFinite(s.value))
      createdAt = createdAt === undefined ? s.value : Math.min(createdAt, s.value);
  }
  const reading: PodCounterReading = { counters, modelNames };
  if (createdAt !== undefined) reading.createdAt = createdAt;
  if (modelMissing) reading.modelMissing = true;
  if (impossible !== undefined) reading.impossible = impossible;
  return reading;
}
