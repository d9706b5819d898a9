// /metrics straight after start-up: every vLLM family at 0 with vLLM's names, labels, help texts and
// buckets (vllm/v1/metrics/loggers.py, v0.10.x), in vLLM's byte format or prom-client's.
import { ZERO_LATENCY, type VllmPodHandle, type VllmPodOptions } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { approxTokenizer } from '../../../src/tokenize/tokenizer.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
const L = `{engine="0",model_name="${MODEL}"}`;
const pods: VllmPodHandle[] = [];

async function start(extra: Partial<VllmPodOptions> = {}): Promise<VllmPodHandle> {
  const pod = await startVllmPod({
    name: 'decode-0',
    namespace: 'llm-d',
    model: MODEL,
    tokenizer: approxTokenizer(),
    blockSizeTokens: 16,
    numBlocks: 256,
    maxNumSeqs: 4,
    maxModelLen: 2048,
    latency: ZERO_LATENCY,
    enablePromptTokensDetails: false,
    seed: 1,
    host: '127.0.0.1',
    ...extra,
  });
  pods.push(pod);
  return pod;
}

afterAll(() => Promise.all(pods.map((p) => p.close())));

const COUNTERS: [string, string][] = [
  ['vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.'],
  ['vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.'],
  [
    'vllm:gpu_prefix_cache_queries',
    'GPU prefix cache queries, in terms of number of queriedtokens. DEPRECATED: Use vllm:prefix_cache_queries instead.',
  ],
  [
    'vllm:gpu_prefix_cache_hits',
    'GPU prefix cache hits, in terms of number of cached tokens. DEPRECATED: Use vllm:prefix_cache_hits instead.',
  ],
  ['vllm:prompt_tokens', 'Number of prefill tokens processed.'],
  ['vllm:generation_tokens', 'Number of generation tokens processed.'],
  ['vllm:num_preemptions', 'Cumulative number of preemption from the engine.'],
];
const GAUGES: [string, string][] = [
  ['vllm:num_requests_running', 'Number of requests in model execution batches.'],
  ['vllm:num_requests_waiting', 'Number of requests waiting to be processed.'],
  ['vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.'],
  [
    'vllm:gpu_cache_usage_perc',
    'GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.',
  ],
];
const HISTOGRAMS: [string, string, string][] = [
  ['vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', '0.001'],
  ['vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', '0.3'],
  ['vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds.', '0.01'],
  ['vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', '0.3'],
  ['vllm:request_prompt_tokens', 'Number of prefill tokens processed.', '1.0'],
];

describe('/metrics at start-up (vLLM format)', () => {
  let text: string;
  let contentType: string | null;
  const createdAtSeconds = 1753795326.9352946;

  beforeAll(async () => {
    const pod = await start({ createdAtSeconds });
    const res = await fetch(`${pod.url}/metrics`);
    contentType = res.headers.get('content-type');
    text = await res.text();
  });

  it('is text format 0.0.4', () => {
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it.each(COUNTERS)('has counter %s_total at 0 with its help text and a _created family', (name, help) => {
    const lines = text.split('\n');
    expect(lines).toContain(`# HELP ${name}_total ${help}`);
    expect(lines).toContain(`# TYPE ${name}_total counter`);
    expect(lines).toContain(`${name}_total${L} 0.0`);
    expect(lines).toContain(`# TYPE ${name}_created gauge`);
    expect(lines).toContain(`${name}_created${L} 1.7537953269352946e+09`);
  });

  it.each(GAUGES)('has gauge %s at 0 with its help text', (name, help) => {
    const lines = text.split('\n');
    expect(lines).toContain(`# HELP ${name} ${help}`);
    expect(lines).toContain(`# TYPE ${name} gauge`);
    expect(lines).toContain(`${name}${L} 0.0`);
  });

  it.each(HISTOGRAMS)('has histogram %s at 0 with vLLM’s buckets', (name, help, firstLe) => {
    const lines = text.split('\n');
    expect(lines).toContain(`# HELP ${name} ${help}`);
    expect(lines).toContain(`# TYPE ${name} histogram`);
    expect(lines).toContain(`${name}_bucket{engine="0",le="${firstLe}",model_name="${MODEL}"} 0.0`);
    expect(lines).toContain(`${name}_bucket{engine="0",le="+Inf",model_name="${MODEL}"} 0.0`);
    expect(lines).toContain(`${name}_count${L} 0.0`);
  });

  it('has TTFT buckets exactly as vLLM 0.10', () => {
    const les = [...text.matchAll(/^vllm:time_to_first_token_seconds_bucket\{engine="0",le="([^"]+)"/gm)].map(
      (m) => m[1],
    );
    expect(les).toEqual(
      '0.001 0.005 0.01 0.02 0.04 0.06 0.08 0.1 0.25 0.5 0.75 1.0 2.5 5.0 7.5 10.0 20.0 40.0 80.0 160.0 640.0 2560.0 +Inf'.split(
        ' ',
      ),
    );
  });

  it('pre-creates request_success for stop, length and abort', () => {
    for (const reason of ['stop', 'length', 'abort'])
      expect(text).toContain(
        `vllm:request_success_total{engine="0",finished_reason="${reason}",model_name="${MODEL}"} 0.0\n`,
      );
  });
});

describe('/metrics in prom-client format', () => {
  it('has the same series with prom-client number formatting and no _created families', async () => {
    const pod = await start({ metricsFormat: 'prom-client' });
    const text = await (await fetch(`${pod.url}/metrics`)).text();
    expect(text).toContain(`vllm:prefix_cache_queries_total${L} 0\n`);
    expect(text).toContain('# TYPE vllm:prefix_cache_hits_total counter');
    expect(text).not.toContain('_created');
  });
});

describe('counters after traffic', () => {
  it('moves queries, hits, prompt and generation tokens, and the deprecated copies in step', async () => {
    const pod = await start();
    const body = JSON.stringify({
      prompt: 'a steady prompt that is long enough to fill a few blocks of sixteen',
      max_tokens: 10,
    });
    for (let i = 0; i < 2; i++)
      await (
        await fetch(`${pod.url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
      ).json();
    const text = await (await fetch(`${pod.url}/metrics`)).text();
    const value = (name: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}${L} `));
      return Number(line?.split(' ').at(-1));
    };
    const q = value('vllm:prefix_cache_queries_total');
    expect(q).toBeGreaterThan(0);
    expect(value('vllm:gpu_prefix_cache_queries_total')).toBe(q);
    expect(value('vllm:prefix_cache_hits_total')).toBe(Math.floor((q / 2 - 1) / 16) * 16);
    expect(value('vllm:gpu_prefix_cache_hits_total')).toBe(value('vllm:prefix_cache_hits_total'));
    expect(value('vllm:prompt_tokens_total')).toBe(q);
    expect(value('vllm:generation_tokens_total')).toBeGreaterThanOrEqual(10);
    expect(value('vllm:time_to_first_token_seconds_count')).toBe(2);
  });
});

describe('health and fault hooks', () => {
  it('answers /health 200 with an empty body, 503 while the fault hook says unhealthy', async () => {
    let healthy = true;
    const pod = await start({
      faults: {
        healthy: () => healthy,
        failRequest: (route) => (route === '/v1/completions' ? 503 : undefined),
      },
    });
    const ok = await fetch(`${pod.url}/health`);
    expect([ok.status, await ok.text()]).toEqual([200, '']);
    healthy = false;
    expect((await fetch(`${pod.url}/health`)).status).toBe(503);
    const failed = await fetch(`${pod.url}/v1/completions`, { method: 'POST', body: '{"prompt":"x"}' });
    expect(failed.status).toBe(503);
    expect((await failed.json()).error.code).toBe(503);
  });
});
