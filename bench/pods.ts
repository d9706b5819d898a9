// Starts bench/pods-server.ts as a child process pinned to a CPU and waits for its state line.
import { join } from 'node:path';
import type { LatencyProfile } from '../src/sim/contracts.ts';
import type { PodsServerOptions, PodsServerState } from './pods-server.ts';
import { code } from './code.ts';
import { firstJsonLine, NODE, pinned, start, stop } from './procs.ts';

export interface PodsProcess {
  pid: number;
  state: PodsServerState;
  stop(): Promise<void>;
}

const SERVER = join(new URL('.', import.meta.url).pathname, 'pods-server.ts');

export async function startPods(o: {
  pods: number;
  latency: LatencyProfile;
  cpu: number | null;
  maxNumSeqs?: number;
  /** time every streamed answer's first content inside the pods' process (pods-server.ts) */
  firstContentFile?: string;
  /** Node/V8 flags for the pods' process */
  nodeArgs?: string[];
}): Promise<PodsProcess> {
  const opts: PodsServerOptions = {
    pods: o.pods,
    latency: o.latency,
    maxNumSeqs: o.maxNumSeqs ?? 1024,
    // 8k blocks × 16 tokens: far more than the bench's in-flight prompts; small enough for 64 pods.
    numBlocks: 8192,
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    modules: { pod: code().module('sim/vllm/pod'), tokenizer: code().module('tokenize/tokenizer') },
    ...(o.firstContentFile ? { firstContentFile: o.firstContentFile } : {}),
  };
  const [cmd, args] = pinned(o.cpu, NODE, [...(o.nodeArgs ?? []), SERVER, JSON.stringify(opts)]);
  const p = start(cmd, args);
  try {
    const state = await firstJsonLine<PodsServerState>(p);
    return { pid: state.pid, state, stop: () => stop(p) };
  } catch (err) {
    await stop(p);
    throw err;
  }
}
