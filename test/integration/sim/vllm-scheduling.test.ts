// --max-num-seqs and client aborts, seen through /metrics over real HTTP.
import type { LatencyProfile, VllmPodHandle } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { approxTokenizer } from '../../../src/tokenize/tokenizer.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
const pods: VllmPodHandle[] = [];

async function start(maxNumSeqs: number, latency: LatencyProfile): Promise<VllmPodHandle> {
  const pod = await startVllmPod({
    name: 'decode-0',
    namespace: 'llm-d',
    model: MODEL,
    tokenizer: approxTokenizer(),
    blockSizeTokens: 16,
    numBlocks: 256,
    maxNumSeqs,
    maxModelLen: 2048,
    latency,
    enablePromptTokensDetails: false,
    seed: 1,
    host: '127.0.0.1',
  });
  pods.push(pod);
  return pod;
}

afterAll(() => Promise.all(pods.map((p) => p.close())));

async function gauges(pod: VllmPodHandle): Promise<Record<string, number>> {
  const text = await (await fetch(`${pod.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^(vllm:[a-z_:]+)\{engine="0",(?:finished_reason="([a-z]+)",)?model_name="[^"]+"\} (\S+)$/gm,
  ))
    out[m[2] ? `${m[1]}:${m[2]}` : (m[1] as string)] = Number(m[3]);
  return out;
}

async function until(what: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting for the pod');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function chat(pod: VllmPodHandle, content: string, init: RequestInit = {}, maxTokens = 8): Promise<Response> {
  return fetch(`${pod.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content }],
      max_tokens: maxTokens,
      stream: init.signal !== undefined,
    }),
    ...init,
  });
}

it('runs maxNumSeqs requests at a time, reports the rest as waiting and admits them as slots free', async () => {
  // Nothing ever reaches its first token: only client aborts free the slots, so timing cannot interfere.
  const pod = await start(2, { prefillOverheadMs: 600_000, prefillPerTokenMs: 0, interTokenMs: 1 });
  const clients = ['one', 'two', 'three', 'four', 'five'].map(() => new AbortController());
  const requests = clients.map((c, i) =>
    chat(pod, `request number ${i}`, { signal: c.signal }).catch(() => undefined),
  );
  const counts = async (): Promise<[number | undefined, number | undefined]> => {
    const g = await gauges(pod);
    return [g['vllm:num_requests_running'], g['vllm:num_requests_waiting']];
  };
  const reaches = async (running: number, waiting: number): Promise<void> =>
    until(async () => {
      const [r, w] = await counts();
      return r === running && w === waiting;
    });
  await reaches(2, 3);
  expect(pod.load()).toMatchObject({ running: 2, waiting: 3 });
  expect(pod.load().kvUsage).toBeGreaterThan(0);
  clients[0]?.abort();
  clients[1]?.abort();
  await reaches(2, 1);
  for (const c of clients) c.abort();
  await reaches(0, 0);
  expect(pod.load().kvUsage).toBe(0);
  await Promise.all(requests);
});

it('aborts a request whose client disconnects mid-stream and frees its blocks', async () => {
  // One token a second: the client is long gone before the request could finish.
  const pod = await start(4, { prefillOverheadMs: 0, prefillPerTokenMs: 0, interTokenMs: 1000 });
  const controller = new AbortController();
  const res = await chat(pod, 'a streamed request that the client abandons', { signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toContain('"role":"assistant"');
  expect(pod.load().running).toBe(1);
  controller.abort();
  await until(async () => pod.load().running === 0);
  const g = await gauges(pod);
  expect(g['vllm:kv_cache_usage_perc']).toBe(0);
  // vLLM 0.10 counts no finished request for a client abort (vllm#31503), but the prompt was processed.
  expect([
    g['vllm:request_success_total:stop'],
    g['vllm:request_success_total:length'],
    g['vllm:request_success_total:abort'],
  ]).toEqual([0, 0, 0]);
  expect(g['vllm:prompt_tokens_total']).toBeGreaterThan(0);
  // The pod keeps serving.
  expect((await chat(pod, 'next', {}, 1)).status).toBe(200);
});
