// Two small zero-latency vLLM pods with some prefix-cache traffic on the first: the fixture the
// scrape tests compare sources on.
import { ZERO_LATENCY, type VllmPodHandle } from '../../src/sim/contracts.ts';
import { startVllmPod } from '../../src/sim/vllm/pod.ts';
import { approxTokenizer } from '../../src/tokenize/tokenizer.ts';

export async function startSmallPods(model: string, names: string[]): Promise<VllmPodHandle[]> {
  const opts = {
    namespace: 'llm-d',
    model,
    tokenizer: approxTokenizer(),
    blockSizeTokens: 16,
    numBlocks: 512,
    maxNumSeqs: 8,
    maxModelLen: 2048,
    latency: ZERO_LATENCY,
    enablePromptTokensDetails: false,
    seed: 1,
    host: '127.0.0.1',
  };
  return Promise.all(names.map((name) => startVllmPod({ ...opts, name })));
}

/** Sends the same one-message chat `times` times, so the later ones hit the cache. */
export async function repeatChat(url: string, model: string, content: string, times: number): Promise<void> {
  const messages = [{ role: 'user', content }];
  for (let i = 0; i < times; i++) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, max_tokens: 4 }),
    });
    if (res.status !== 200) throw new Error(`chat to ${url} answered ${res.status}`);
    await res.text();
  }
}
