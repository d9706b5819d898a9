// The bench's target process: N simulated vLLM pods (src/sim/vllm/pod.ts) in one process of their own,
// so the load generator under test never shares an event loop with them. Started by the bench as
//   node bench/pods-server.ts '<json PodsServerOptions>'
// it prints one JSON line `{"pods":[{"name","url"}…],"pid"}` once every pod listens, then serves until
// SIGTERM/SIGINT. With --trace it also stamps each first token (see firstTokenStamps below).
import { startVllmPod } from '../src/sim/vllm/pod.ts';
import { loadTokenizer } from '../src/tokenize/tokenizer.ts';
import type { LatencyProfile, VllmPodHandle } from '../src/sim/contracts.ts';

export interface PodsServerOptions {
  pods: number;
  latency: LatencyProfile;
  /** vLLM --max-num-seqs: above the bench's concurrency so no request waits in the queue. */
  maxNumSeqs: number;
  numBlocks: number;
  model: string;
}

export interface PodsServerState {
  pid: number;
  pods: { name: string; url: string }[];
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as PodsServerOptions;
  // approx: the pods tokenize every prompt; the BPE tokenizer would make them the bottleneck.
  const tokenizer = await loadTokenizer('approx');
  const pods: VllmPodHandle[] = [];
  for (let i = 0; i < opts.pods; i++) {
    pods.push(
      await startVllmPod({
        name: `bench-decode-${i}`,
        namespace: 'llm-d',
        model: opts.model,
        tokenizer,
        blockSizeTokens: 16,
        numBlocks: opts.numBlocks,
        maxNumSeqs: opts.maxNumSeqs,
        maxModelLen: 8192,
        latency: opts.latency,
        enablePromptTokensDetails: false,
        seed: 42 + i,
        host: '127.0.0.1',
      }),
    );
  }
  const state: PodsServerState = { pid: process.pid, pods: pods.map((p) => ({ name: p.name, url: p.url })) };
  process.stdout.write(`${JSON.stringify(state)}\n`);
  const stop = (): void => {
    void Promise.all(pods.map((p) => p.close())).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
