// One simulated vLLM decode pod: engine (scheduler + prefix cache) + metrics + OpenAI server on its own
// loopback port. A restart in the Kubernetes model is close() on the old pod and startVllmPod() for the
// new one: empty cache, counters at zero, a new `_created` time — as a restarted vLLM process.
import type { AddressInfo } from 'node:net';
import type { PodLoad, VllmPodHandle, VllmPodOptions } from '../contracts.ts';
import { ChatEncoder } from '../../tokenize/tokenizer.ts';
import { Engine } from './engine.ts';
import { PodMetrics } from './metrics.ts';
import { createVllmServer } from './server.ts';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * vLLM refuses to start when one max-length sequence cannot fit in the KV cache ("The model's max seq
 * len (…) is larger than the maximum number of tokens that can be stored in KV cache"); the same check
 * here guarantees every admitted request can eventually run, whatever preemption does.
 */
export function checkPodOptions(opts: VllmPodOptions): void {
  const usableTokens = (opts.numBlocks - 1) * opts.blockSizeTokens;
  if (opts.maxModelLen > usableTokens)
    throw new RangeError(
      `pod ${opts.name}: max model len (${opts.maxModelLen}) is larger than the maximum number of tokens that can be ` +
        `stored in KV cache (${usableTokens}); raise numBlocks or lower maxModelLen`,
    );
  if (!Number.isInteger(opts.maxNumSeqs) || opts.maxNumSeqs < 1)
    throw new RangeError(`pod ${opts.name}: maxNumSeqs must be a positive integer, got ${opts.maxNumSeqs}`);
}

export async function startVllmPod(opts: VllmPodOptions): Promise<VllmPodHandle> {
  checkPodOptions(opts);
  const now = opts.now ?? Date.now;
  const startedAtMs = now();
  const metrics: PodMetrics = new PodMetrics({
    model: opts.model,
    maxModelLen: opts.maxModelLen,
    createdAtSeconds: opts.createdAtSeconds ?? startedAtMs / 1000,
    // Read at scrape time, after the engine below exists.
    gauges: () => ({ running: engine.numRunning, waiting: engine.numWaiting, kvUsage: engine.kvUsage() }),
  });
  const engine: Engine = new Engine({
    model: opts.model,
    blockSizeTokens: opts.blockSizeTokens,
    numBlocks: opts.numBlocks,
    maxNumSeqs: opts.maxNumSeqs,
    latency: opts.latency,
    stats: metrics,
  });
  const server = createVllmServer({
    model: opts.model,
    maxModelLen: opts.maxModelLen,
    enablePromptTokensDetails: opts.enablePromptTokensDetails,
    seed: opts.seed,
    encoder: new ChatEncoder(opts.tokenizer),
    engine,
    metrics,
    metricsFormat: opts.metricsFormat ?? 'vllm',
    now,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    startedAtSeconds: Math.floor(startedAtMs / 1000),
    faults: opts.faults,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  return {
    name: opts.name,
    namespace: opts.namespace,
    port,
    url: `http://${host}:${port}`,
    load(): PodLoad {
      return { waiting: engine.numWaiting, running: engine.numRunning, kvUsage: engine.kvUsage() };
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        engine.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
