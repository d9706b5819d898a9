import { parseExposition } from '../../../src/metrics/prom-text.ts';
import { VLLM_COUNTER_SERIES, readVllmCounters } from '../../../src/metrics/vllm-counters.ts';

const M = 'meta-llama/Llama-3.2-3B-Instruct';

// vLLM 0.10 through Python prometheus_client (research note §1.4): counter family, then its _created gauge
// family; deprecated gpu_ copies with the same values; floats with exponents from 1e6 on.
const PYTHON_0_10 = `# HELP vllm:gpu_prefix_cache_queries_total GPU prefix cache queries, in terms of number of queriedtokens. DEPRECATED: Use vllm:prefix_cache_queries instead.
# TYPE vllm:gpu_prefix_cache_queries_total counter
vllm:gpu_prefix_cache_queries_total{engine="0",model_name="${M}"} 1.234567e+06
# HELP vllm:gpu_prefix_cache_queries_created GPU prefix cache queries. DEPRECATED: Use vllm:prefix_cache_queries instead.
# TYPE vllm:gpu_prefix_cache_queries_created gauge
vllm:gpu_prefix_cache_queries_created{engine="0",model_name="${M}"} 1.7537953269352946e+09
# HELP vllm:gpu_prefix_cache_hits_total GPU prefix cache hits. DEPRECATED: Use vllm:prefix_cache_hits instead.
# TYPE vllm:gpu_prefix_cache_hits_total counter
vllm:gpu_prefix_cache_hits_total{engine="0",model_name="${M}"} 1.111104e+06
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="${M}"} 1.234567e+06
# HELP vllm:prefix_cache_queries_created Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_created gauge
vllm:prefix_cache_queries_created{engine="0",model_name="${M}"} 1.7537953269352946e+09
# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="${M}"} 1.111104e+06
# HELP vllm:prefix_cache_hits_created Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_created gauge
vllm:prefix_cache_hits_created{engine="0",model_name="${M}"} 1.7537953269353123e+09
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="${M}"} 1.234567e+06
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="${M}"} 4000.0
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="${M}"} 10.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="${M}"} 5.0
vllm:request_success_total{engine="0",finished_reason="abort",model_name="${M}"} 1.0
# TYPE vllm:request_success_created gauge
vllm:request_success_created{engine="0",finished_reason="stop",model_name="${M}"} 1.7537953269353123e+09
# TYPE vllm:num_preemptions_total counter
vllm:num_preemptions_total{engine="0",model_name="${M}"} 0.0
`;

// llm-d-inference-sim (Go client_golang): integers, no _created, no deprecated copies.
const GO_SIM = `# HELP vllm:prefix_cache_queries_total Prefix cache queries
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{model_name="${M}"} 200
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{model_name="${M}"} 150
`;

// prom-client (the embedded stack): le first, blank lines between families, no _created.
const PROM_CLIENT = `# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="${M}"} 96

# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="${M}"} 80

# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{le="0.001",engine="0",model_name="${M}"} 0
vllm:time_to_first_token_seconds_bucket{le="+Inf",engine="0",model_name="${M}"} 1
vllm:time_to_first_token_seconds_sum{engine="0",model_name="${M}"} 0.02
vllm:time_to_first_token_seconds_count{engine="0",model_name="${M}"} 1
`;

function read(text: string, model = M) {
  return readVllmCounters(parseExposition(text).samples, model);
}

describe('readVllmCounters', () => {
  it('reads vLLM 0.10 Python output: exponent floats, _created kept apart, gpu_ copies not added', () => {
    const r = read(PYTHON_0_10);
    expect(r.counters).toEqual({
      prefixCacheQueries: 1234567,
      prefixCacheHits: 1111104,
      promptTokens: 1234567,
      generationTokens: 4000,
      requestSuccess: 16,
      preemptions: 0,
    });
    expect(r.createdAt).toBeCloseTo(1753795326.9352946, 6);
  });

  it('reads the Go simulator output, absent counters as null and no createdAt', () => {
    const r = read(GO_SIM);
    expect(r.counters).toEqual({
      prefixCacheQueries: 200,
      prefixCacheHits: 150,
      promptTokens: null,
      generationTokens: null,
      requestSuccess: null,
      preemptions: null,
    });
    expect(r.createdAt).toBeUndefined();
  });

  it('reads prom-client output with histograms around the counters', () => {
    expect(read(PROM_CLIENT).counters.prefixCacheHits).toBe(80);
  });

  it('falls back to the deprecated gpu_ counters only when the new ones are absent (0.8/0.9-era pods)', () => {
    const r = read(`vllm:gpu_prefix_cache_queries_total{engine="0",model_name="${M}"} 50.0
vllm:gpu_prefix_cache_queries_created{engine="0",model_name="${M}"} 1.7e+09
vllm:gpu_prefix_cache_hits_total{engine="0",model_name="${M}"} 32.0`);
    expect(r.counters.prefixCacheQueries).toBe(50);
    expect(r.counters.prefixCacheHits).toBe(32);
    expect(r.createdAt).toBe(1.7e9);
  });

  it('sums every engine (data parallel) and takes the earliest _created', () => {
    const r = read(`vllm:prefix_cache_queries_total{engine="0",model_name="${M}"} 100.0
vllm:prefix_cache_queries_total{engine="1",model_name="${M}"} 300.0
vllm:prefix_cache_queries_created{engine="0",model_name="${M}"} 1.70000002e+09
vllm:prefix_cache_queries_created{engine="1",model_name="${M}"} 1.70000001e+09
vllm:prefix_cache_hits_total{engine="0",model_name="${M}"} 60.0
vllm:prefix_cache_hits_total{engine="1",model_name="${M}"} 240.0`);
    expect(r.counters.prefixCacheQueries).toBe(400);
    expect(r.counters.prefixCacheHits).toBe(300);
    expect(r.createdAt).toBe(1700000010);
  });

  it('keeps only our model when several are exposed', () => {
    const r = read(`vllm:prefix_cache_queries_total{engine="0",model_name="${M}"} 100.0
vllm:prefix_cache_queries_total{engine="0",model_name="other/model"} 900.0
vllm:prefix_cache_hits_total{engine="0",model_name="${M}"} 10.0
vllm:prefix_cache_hits_total{engine="0",model_name="other/model"} 90.0`);
    expect(r.counters.prefixCacheQueries).toBe(100);
    expect(r.counters.prefixCacheHits).toBe(10);
    expect(r.modelNames).toEqual([M, 'other/model']);
    expect(r.modelMissing).toBeUndefined();
  });

  it('says so when several models are exposed and ours is not one of them', () => {
    const r = read(
      `vllm:prefix_cache_queries_total{model_name="a"} 1\nvllm:prefix_cache_queries_total{model_name="b"} 2`,
    );
    expect(r.modelMissing).toBe(true);
    expect(r.counters.prefixCacheQueries).toBeNull();
  });

  it('reads a single model served under another name (an alias of --model)', () => {
    const r = read(`vllm:prefix_cache_queries_total{engine="0",model_name="llama-3b"} 7`);
    expect(r.counters.prefixCacheQueries).toBe(7);
    expect(r.modelNames).toEqual(['llama-3b']);
  });

  it('returns every counter as null for a page without vLLM metrics', () => {
    const r = read('process_open_fds 17\npython_gc_objects_collected_total{generation="0"} 3.0\n');
    expect(Object.values(r.counters).every((v) => v === null)).toBe(true);
  });

  it('pins the series names read for vLLM 0.10-0.12 (a rename must fail here, not show as an empty column)', () => {
    expect(VLLM_COUNTER_SERIES).toEqual({
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
    });
  });
});
