// The bench's target process: N simulated vLLM pods (src/sim/vllm/pod.ts, from the bench's frozen copy
// of the code) in one process of their own, so the load generator under test never shares an event loop
// with them. Started by the bench as
//   node bench/pods-server.ts '<json PodsServerOptions>'
// it prints one JSON line `{"pid","pods":[{"name","url"}…]}` once every pod listens, then serves until
// SIGTERM/SIGINT. With `firstContentFile` it also times, inside the pods' process, every streamed
// answer from the request's arrival at the handler to the write of its first content chunk, and writes
// those times to the file on exit: what the pods really delivered, next to what the client measured.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { LatencyProfile, VllmPodHandle } from '../src/sim/contracts.ts';

export interface PodsServerOptions {
  pods: number;
  latency: LatencyProfile;
  /** vLLM --max-num-seqs: above the bench's concurrency so no request waits in the queue. */
  maxNumSeqs: number;
  numBlocks: number;
  model: string;
  /** where the code under test is (the bench's frozen copy, bench/code.ts) */
  modules: { pod: string; tokenizer: string };
  firstContentFile?: string;
}

export interface PodsServerState {
  pid: number;
  pods: { name: string; url: string }[];
}

/** One streamed answer as the pod saw it: arrival (ms since the epoch) and arrival → first content, ms. */
export interface FirstContentSample {
  arrivalEpochMs: number;
  firstContentMs: number;
}

/** What `firstContentFile` holds: the answers' first-content times and the process's GC pauses. */
export interface FirstContentTrace {
  samples: FirstContentSample[];
  /** each garbage-collection pause: start (ms since the epoch) and length, ms */
  gcPauses: { startEpochMs: number; ms: number }[];
}

const CONTENT = /"content":"[^"]/;

/** Wraps http.createServer (which the pods call when they start) to time each answer's first content. */
function traceFirstContent(samples: FirstContentSample[]): void {
  const create = http.createServer.bind(http) as (h: http.RequestListener) => http.Server;
  (http as { createServer: unknown }).createServer = (handler: http.RequestListener): http.Server =>
    create((req, res) => {
      const t0 = performance.now();
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      let seen = false;
      res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
        if (!seen && typeof chunk === 'string' && CONTENT.test(chunk)) {
          seen = true;
          samples.push({
            arrivalEpochMs: performance.timeOrigin + t0,
            firstContentMs: performance.now() - t0,
          });
        }
        return write(chunk, ...rest);
      }) as typeof res.write;
      handler(req, res);
    });
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as PodsServerOptions;
  const samples: FirstContentSample[] = [];
  const gcPauses: FirstContentTrace['gcPauses'] = [];
  if (opts.firstContentFile) {
    traceFirstContent(samples);
    // A pause stops every timer and write in the process: the usual cause of a late first token.
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        gcPauses.push({ startEpochMs: performance.timeOrigin + e.startTime, ms: e.duration });
    }).observe({ entryTypes: ['gc'] });
  }
  const { startVllmPod } = (await import(
    pathToFileURL(opts.modules.pod).href
  )) as typeof import('../src/sim/vllm/pod.ts');
  const { loadTokenizer } = (await import(
    pathToFileURL(opts.modules.tokenizer).href
  )) as typeof import('../src/tokenize/tokenizer.ts');
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
    if (opts.firstContentFile) {
      const trace: FirstContentTrace = { samples, gcPauses };
      writeFileSync(opts.firstContentFile, JSON.stringify(trace));
    }
    void Promise.all(pods.map((p) => p.close())).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
