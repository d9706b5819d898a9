// Shared by the gateway integration tests: real simulated vLLM pods behind a static Ready set, their
// prefix-cache counters, and a small multi-turn chat workload.
import { request } from 'undici';
import type { EndpointSource, GatewayEndpoint, VllmPodHandle } from '../../../src/sim/contracts.ts';
import { ZERO_LATENCY } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { loadTokenizer, type TokenizerKind } from '../../../src/tokenize/tokenizer.ts';

export const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
export const DATE = '26 Jul 2024';

export async function startPods(
  n: number,
  tokenizer: TokenizerKind = 'llama3',
  seed = 1,
): Promise<VllmPodHandle[]> {
  const tok = await loadTokenizer(tokenizer);
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      startVllmPod({
        name: `vllm-decode-${i}`,
        namespace: 'llm-d',
        model: MODEL,
        tokenizer: tok,
        blockSizeTokens: 16,
        numBlocks: 4096,
        maxNumSeqs: 64,
        maxModelLen: 16384,
        latency: ZERO_LATENCY,
        enablePromptTokensDetails: true,
        seed: seed + i,
        host: '127.0.0.1',
      }),
    ),
  );
}

export function staticSource(pods: readonly VllmPodHandle[]): EndpointSource {
  const endpoints: GatewayEndpoint[] = pods.map((p) => ({
    name: p.name,
    namespace: p.namespace,
    url: p.url,
    load: () => p.load(),
  }));
  return { readyEndpoints: () => endpoints };
}

export interface PrefixCounters {
  queries: number;
  hits: number;
}

/** Σ over series of vllm:prefix_cache_{queries,hits}_total (never the _created gauges). */
export async function prefixCounters(pod: VllmPodHandle): Promise<PrefixCounters> {
  const res = await request(`${pod.url}/metrics`);
  const text = await res.body.text();
  const sum = (name: string): number => {
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  };
  return { queries: sum('vllm:prefix_cache_queries_total'), hits: sum('vllm:prefix_cache_hits_total') };
}

const WORDS = (
  'river stone cloud lantern maple copper window garden signal harbor meadow candle orbit pepper violet ' +
  'thunder marble velvet compass falcon glacier harvest island jungle kettle ladder mirror needle ocean'
).split(' ');

/** ~n words of deterministic filler for session s, turn t (≈1.3 tokens per word with the Llama 3 BPE). */
export function userText(s: number, t: number, words: number): string {
  const out: string[] = [`Session ${s}, question ${t}:`];
  let x = (s * 7919 + t * 104729) >>> 0;
  for (let i = 0; i < words; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(WORDS[x % WORDS.length] as string);
  }
  return `${out.join(' ')}?`;
}

export const SYSTEM_PROMPT =
  'You are a concise assistant for an infrastructure team. Answer with facts about caches, routing and ' +
  'latency; keep every answer short, plain and free of lists unless the user asks for one.';
