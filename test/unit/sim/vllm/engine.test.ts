import type { LatencyProfile } from '../../../../src/sim/contracts.ts';
import {
  Engine,
  type EngineStats,
  type EngineTimers,
  type FinishedRequest,
} from '../../../../src/sim/vllm/engine.ts';
import type { FinishReason } from '../../../../src/sim/vllm/answer.ts';

/** A virtual clock: timers run in time order when the test says so, nothing depends on the machine. */
class VirtualTimers implements EngineTimers {
  private t = 0;
  private seq = 0;
  private queue: { at: number; seq: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  schedule(fn: () => void, ms: number): unknown {
    const h = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.queue.push(h);
    return h;
  }
  cancel(h: unknown): void {
    this.queue = this.queue.filter((x) => x !== h);
  }
  /** Runs every timer due up to `until` (default: until nothing is left). */
  run(until = Infinity): void {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.queue[0];
      if (!next || next.at > until) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
    }
    if (until !== Infinity) this.t = until;
  }
}

class Recorder implements EngineStats {
  lookups: [number, number][] = [];
  ttfts: number[] = [];
  tokens = 0;
  completed: FinishedRequest[] = [];
  preemptions = 0;
  prefixLookup(queries: number, hits: number): void {
    this.lookups.push([queries, hits]);
  }
  firstToken(_promptTokens: number, ttftSeconds: number): void {
    this.ttfts.push(ttftSeconds);
  }
  outputTokens(count: number): void {
    this.tokens += count;
  }
  finished(f: FinishedRequest): void {
    this.completed.push(f);
  }
  preempted(): void {
    this.preemptions++;
  }
}

const ZERO: LatencyProfile = { prefillOverheadMs: 0, prefillPerTokenMs: 0, interTokenMs: 0 };
const seq = (n: number, offset = 0): number[] => Array.from({ length: n }, (_, i) => 2000 + offset + i);

function setup(opts: { numBlocks?: number; maxNumSeqs?: number; latency?: LatencyProfile } = {}) {
  const timers = new VirtualTimers();
  const rec = new Recorder();
  const engine = new Engine({
    model: 'm',
    blockSizeTokens: 16,
    numBlocks: opts.numBlocks ?? 256,
    maxNumSeqs: opts.maxNumSeqs ?? 16,
    latency: opts.latency ?? ZERO,
    stats: rec,
    timers,
  });
  const done: { id: string; reason: FinishReason; at: number }[] = [];
  const submit = (id: string, prompt: number[], output: number[], finishReason: FinishReason = 'stop') =>
    engine.submit({
      promptIds: prompt,
      outputIds: output,
      finishReason,
      maxTokens: output.length + 5,
      onTokens: () => undefined,
      onFinish: (reason) => done.push({ id, reason, at: timers.now() }),
    });
  return { timers, rec, engine, done, submit };
}

describe('engine admission and counting', () => {
  it('counts queries = N and hits = cached prefix at admission', () => {
    const { timers, rec, submit } = setup();
    submit('a', seq(40), seq(5, 100));
    timers.run();
    submit('b', [...seq(40), ...seq(10, 300)], seq(5, 100));
    timers.run();
    expect(rec.lookups).toEqual([
      [40, 0],
      [50, 32],
    ]);
  });

  it('shares full prompt blocks between requests admitted together (registered at scheduling)', () => {
    const { timers, rec, submit } = setup();
    submit('a', seq(40), seq(5, 100));
    submit('b', seq(40), seq(5, 100));
    expect(rec.lookups).toEqual([
      [40, 0],
      [40, 32],
    ]);
    timers.run();
  });

  it('caches output blocks as they fill, without the last sampled token', () => {
    const { timers, rec, submit } = setup();
    // 20 prompt + 28 output = 48 tokens, but only 47 hold KV: blocks 0 and 1 are full, block 2 is not.
    const prompt = seq(20);
    const output = seq(28, 500);
    submit('a', prompt, output);
    timers.run();
    submit('b', [...prompt, ...output, ...seq(10, 900)], seq(3, 100));
    timers.run();
    expect(rec.lookups[1]).toEqual([58, 32]);
    // One token longer: the first 48 tokens all hold KV, so all three blocks hit.
    submit('c', [...seq(20, 3000)], seq(29, 500));
    timers.run();
    submit('d', [...seq(20, 3000), ...seq(29, 500), ...seq(10, 900)], seq(3, 100));
    timers.run();
    expect(rec.lookups[3]).toEqual([59, 48]);
  });

  it('runs at most maxNumSeqs and queues the rest FIFO', () => {
    const { timers, engine, done, submit } = setup({
      maxNumSeqs: 2,
      latency: { prefillOverheadMs: 10, prefillPerTokenMs: 0, interTokenMs: 5 },
    });
    for (const id of ['a', 'b', 'c', 'd', 'e']) submit(id, seq(20, id.charCodeAt(0) * 100), seq(4, 100));
    expect([engine.numRunning, engine.numWaiting]).toEqual([2, 3]);
    timers.run(5);
    expect([engine.numRunning, engine.numWaiting]).toEqual([2, 3]);
    timers.run();
    expect(done.map((d) => d.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([engine.numRunning, engine.numWaiting]).toEqual([0, 0]);
  });
});

describe('engine timing', () => {
  it('takes TTFT = overhead + uncached tokens × per-token prefill, then one token per interval', () => {
    const { timers, rec, done, submit } = setup({
      latency: { prefillOverheadMs: 10, prefillPerTokenMs: 0.5, interTokenMs: 4 },
    });
    submit('a', seq(40), seq(6, 100));
    timers.run();
    submit('b', seq(40), seq(6, 100));
    const start = timers.now();
    timers.run();
    // a: 10 + 40 × 0.5 = 30 ms to the first token; b: 32 cached → 10 + 8 × 0.5 = 14 ms.
    expect(rec.ttfts).toEqual([0.03, 0.014]);
    expect(done[0]!.at).toBe(30 + 5 * 4);
    expect(done[1]!.at - start).toBe(14 + 5 * 4);
    expect(rec.tokens).toBe(12);
  });
});

describe('engine memory pressure', () => {
  it('preempts the newest running request when decode runs out of blocks, and counts its re-admission again', () => {
    // 6 usable blocks. Two requests of 32 prompt + 40 output tokens each need 5 blocks at the end.
    const { timers, rec, done, engine, submit } = setup({
      numBlocks: 7,
      latency: { prefillOverheadMs: 1, prefillPerTokenMs: 0, interTokenMs: 1 },
    });
    submit('a', seq(32), seq(40, 100));
    submit('b', seq(32, 5000), seq(40, 7000));
    timers.run();
    expect(done.map((d) => d.id).sort()).toEqual(['a', 'b']);
    expect(rec.preemptions).toBeGreaterThan(0);
    expect(rec.lookups.length).toBe(2 + rec.preemptions);
    // The re-admitted request queried its prompt plus what it had generated.
    expect(rec.lookups.slice(2).every(([q]) => q > 32)).toBe(true);
    expect(rec.tokens).toBe(80);
    expect(engine.blockPool.numFreeBlocks).toBe(6);
  });

  it('keeps a waiting request at the head until its blocks are free', () => {
    const { timers, engine, done, submit } = setup({
      numBlocks: 4,
      latency: { prefillOverheadMs: 1, prefillPerTokenMs: 0, interTokenMs: 1 },
    });
    submit('a', seq(40), seq(2, 100)); // 3 blocks: all of them
    submit('b', seq(20, 5000), seq(2, 100));
    expect([engine.numRunning, engine.numWaiting]).toEqual([1, 1]);
    timers.run();
    expect(done.map((d) => d.id)).toEqual(['a', 'b']);
  });
});

describe('engine abort', () => {
  it('frees an aborted request’s blocks and records no finish', () => {
    const { timers, rec, engine, done, submit } = setup({
      latency: { prefillOverheadMs: 5, prefillPerTokenMs: 0, interTokenMs: 5 },
    });
    const a = submit('a', seq(40), seq(20, 100));
    timers.run(12);
    expect(engine.kvUsage()).toBeGreaterThan(0);
    a.abort();
    timers.run();
    expect(done).toEqual([]);
    expect(rec.completed).toEqual([]);
    expect(engine.kvUsage()).toBe(0);
    expect(engine.numRunning).toBe(0);
    // Its blocks stay cached.
    submit('b', seq(40), seq(2, 100));
    expect(rec.lookups[1]).toEqual([40, 32]);
  });
});
