// The engine core of one pod: vLLM V1's scheduler reduced to what the prefix cache and its counters
// need (vllm/v1/core/sched/scheduler.py and kv_cache_manager.py, v0.10.x; research note §1.3, §2.2, §7).
// - FCFS: at most maxNumSeqs running, the rest wait; a waiting head that cannot get its blocks blocks
//   the queue (the scheduler `break`s).
// - At admission: longest cached prefix capped at N−1, then queries += N, hits += hit (counted at
//   lookup time); full blocks are registered at once, so requests admitted together share them.
// - Each output token: blocks are allocated as the sequence grows and registered as they fill; the
//   last sampled token's KV is never computed. When no block is free the newest running request is
//   preempted (freed, back to the front of the queue) and, as in v0.10.x before PR #25787, its
//   re-admission is looked up and counted again with N = prompt + generated tokens.
// - Latency: TTFT = prefillOverheadMs + uncached tokens × prefillPerTokenMs, then one token every
//   interTokenMs; late timers catch up by emitting every token already due in one go.
import type { LatencyProfile } from '../contracts.ts';
import { BlockPool, extendBlockHashes, modelKey } from './block-cache.ts';
import type { FinishReason } from './answer.ts';

export interface EngineStats {
  prefixLookup(queries: number, hits: number): void;
  firstToken(promptTokens: number, ttftSeconds: number, queueSeconds: number): void;
  /** `count` tokens generated; `gapSeconds` is the time since the request's previous token (decode steps). */
  outputTokens(count: number, gapSeconds: number | undefined): void;
  finished(f: FinishedRequest): void;
  preempted(): void;
}

export interface FinishedRequest {
  reason: FinishReason;
  e2eSeconds: number;
  promptTokens: number;
  generationTokens: number;
  maxTokens: number;
}

export interface EngineTimers {
  now(): number;
  /** Calls fn after `ms` (0 = as soon as the event loop allows); returns a handle for cancel(). */
  schedule(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

export const REAL_TIMERS: EngineTimers = {
  now: () => performance.now(),
  schedule: (fn, ms) => (ms <= 0 ? { immediate: setImmediate(fn) } : { timeout: setTimeout(fn, ms) }),
  cancel: (h) => {
    const handle = h as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (handle.immediate) clearImmediate(handle.immediate);
    if (handle.timeout) clearTimeout(handle.timeout);
  },
};

export interface EngineOptions {
  model: string;
  blockSizeTokens: number;
  numBlocks: number;
  maxNumSeqs: number;
  latency: LatencyProfile;
  stats: EngineStats;
  timers?: EngineTimers;
}

export interface EngineRequestSpec {
  promptIds: readonly number[];
  /** The tokens this request will generate (the answer, with <|eot_id|> when it stops). */
  outputIds: readonly number[];
  finishReason: FinishReason;
  maxTokens: number;
  /** Called whenever tokens came out, with the total output tokens so far. */
  onTokens(emitted: number): void;
  onFinish(reason: FinishReason): void;
}

export interface EngineRequest {
  /** Prompt tokens found in the cache at the first admission (usage.prompt_tokens_details.cached_tokens). */
  readonly cachedTokens: number;
  abort(): void;
}

type State = 'waiting' | 'running' | 'done';

class Req implements EngineRequest {
  readonly spec: EngineRequestSpec;
  readonly n: number;
  readonly t: number;
  readonly arrivalMs: number;
  readonly hashes: number[] = [];
  blocks: number[] = [];
  registered = 0;
  emitted = 0;
  state: State = 'waiting';
  cachedTokens = 0;
  admittedOnce = false;
  scheduledMs = 0;
  nextTokenMs = 0;
  lastTokenMs = -1;
  timer: unknown = undefined;
  private readonly onAbort: (r: Req) => void;

  constructor(spec: EngineRequestSpec, arrivalMs: number, onAbort: (r: Req) => void) {
    this.spec = spec;
    this.n = spec.promptIds.length;
    this.t = spec.outputIds.length;
    this.arrivalMs = arrivalMs;
    this.onAbort = onAbort;
  }

  tokenAt(i: number): number {
    return (i < this.n ? this.spec.promptIds[i] : this.spec.outputIds[i - this.n]) as number;
  }

  abort(): void {
    if (this.state !== 'done') this.onAbort(this);
  }
}

export class Engine {
  private readonly opts: EngineOptions;
  private readonly timers: EngineTimers;
  private readonly pool: BlockPool;
  private readonly modelKey: number;
  private readonly running: Req[] = [];
  private waiting: Req[] = [];
  private scheduleArmed = false;
  private closed = false;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.timers = opts.timers ?? REAL_TIMERS;
    this.pool = new BlockPool(opts.numBlocks, opts.blockSizeTokens);
    this.modelKey = modelKey(opts.model);
  }

  get numRunning(): number {
    return this.running.length;
  }

  get numWaiting(): number {
    return this.waiting.length;
  }

  kvUsage(): number {
    return this.pool.usage();
  }

  /** For tests: the pool behind this engine. */
  get blockPool(): BlockPool {
    return this.pool;
  }

  submit(spec: EngineRequestSpec): EngineRequest {
    const r = new Req(spec, this.timers.now(), (req) => this.abortRequest(req));
    if (this.closed) {
      r.state = 'done';
      return r;
    }
    this.waiting.push(r);
    this.schedule();
    return r;
  }

  /** Aborts everything (pod shutdown). */
  close(): void {
    this.closed = true;
    for (const r of [...this.running, ...this.waiting]) this.abortRequest(r);
  }

  private schedule(): void {
    const b = this.opts.blockSizeTokens;
    while (this.running.length < this.opts.maxNumSeqs && this.waiting.length > 0) {
      const r = this.waiting[0] as Req;
      const numTokens = r.n + r.emitted;
      extendBlockHashes(r.hashes, (i) => r.tokenAt(i), numTokens, b, this.modelKey);
      const hit = this.pool.findLongestHit(r.hashes, numTokens);
      const needNew = Math.ceil(numTokens / b) - hit.length;
      if (needNew + this.pool.evictableAmong(hit) > this.pool.numFreeBlocks) break;
      this.waiting.shift();
      this.pool.touch(hit);
      const hitTokens = hit.length * b;
      r.registered = hit.length;
      for (const id of this.pool.allocate(needNew) as number[]) hit.push(id);
      r.blocks = hit;
      this.registerFull(r, numTokens);
      this.opts.stats.prefixLookup(numTokens, hitTokens);
      const now = this.timers.now();
      if (!r.admittedOnce) {
        r.admittedOnce = true;
        r.cachedTokens = hitTokens;
        r.scheduledMs = now;
      }
      r.state = 'running';
      this.running.push(r);
      const { prefillOverheadMs, prefillPerTokenMs } = this.opts.latency;
      const prefillMs = prefillOverheadMs + (numTokens - hitTokens) * prefillPerTokenMs;
      r.nextTokenMs = now + prefillMs;
      this.arm(r, prefillMs);
    }
  }

  /** Registers every block of the first `computed` tokens that is full and not yet in the cache. */
  private registerFull(r: Req, computed: number): void {
    const b = this.opts.blockSizeTokens;
    const full = Math.floor(computed / b);
    if (full <= r.registered) return;
    extendBlockHashes(r.hashes, (i) => r.tokenAt(i), computed, b, this.modelKey);
    for (let i = r.registered; i < full; i++)
      this.pool.cacheBlock(r.blocks[i] as number, r.hashes[i] as number);
    r.registered = full;
  }

  private arm(r: Req, ms: number): void {
    r.timer = this.timers.schedule(() => this.tick(r), ms);
  }

  private tick(r: Req): void {
    r.timer = undefined;
    if (r.state !== 'running') return;
    const now = this.timers.now();
    const itl = this.opts.latency.interTokenMs;
    const before = r.emitted;
    // Timers never fire early by more than a fraction of a millisecond; treat those tokens as due.
    while (r.emitted < r.t && r.nextTokenMs <= now + 0.5) {
      if (!this.step(r, now)) break;
      r.nextTokenMs += itl;
    }
    if (r.emitted > before) r.spec.onTokens(r.emitted);
    if (r.state !== 'running') return; // preempted: resumes when re-admitted
    if (r.emitted >= r.t) this.finish(r);
    else this.arm(r, Math.max(0, r.nextTokenMs - now));
  }

  /** One decode step for `r`: false when `r` itself had to be preempted for lack of blocks. */
  private step(r: Req, now: number): boolean {
    const b = this.opts.blockSizeTokens;
    const k = r.emitted + 1;
    // Producing token k feeds token k−1, so N + k − 1 tokens hold KV.
    const computed = r.n + k - 1;
    if (Math.ceil(computed / b) > r.blocks.length) {
      while (this.pool.numFreeBlocks < 1) {
        const victim = this.running[this.running.length - 1] as Req;
        this.preempt(victim);
        if (victim === r) return false;
      }
      r.blocks.push((this.pool.allocate(1) as number[])[0] as number);
    }
    this.registerFull(r, computed);
    r.emitted = k;
    if (k === 1) {
      this.opts.stats.firstToken(r.n, (now - r.arrivalMs) / 1000, (r.scheduledMs - r.arrivalMs) / 1000);
      this.opts.stats.outputTokens(1, undefined);
    } else {
      this.opts.stats.outputTokens(1, r.lastTokenMs >= 0 ? (now - r.lastTokenMs) / 1000 : undefined);
    }
    r.lastTokenMs = now;
    return true;
  }

  private preempt(v: Req): void {
    if (v.timer !== undefined) this.timers.cancel(v.timer);
    v.timer = undefined;
    this.pool.freeRequestBlocks(v.blocks);
    v.blocks = [];
    v.registered = 0;
    this.running.splice(this.running.indexOf(v), 1);
    v.state = 'waiting';
    this.waiting.unshift(v);
    this.opts.stats.preempted();
    // vLLM admits no waiting request in a step that preempted; try again on the next turn of the loop.
    this.deferSchedule();
  }

  private deferSchedule(): void {
    if (this.scheduleArmed) return;
    this.scheduleArmed = true;
    this.timers.schedule(() => {
      this.scheduleArmed = false;
      if (!this.closed) this.schedule();
    }, 0);
  }

  private finish(r: Req): void {
    this.release(r);
    const reason = r.spec.finishReason;
    this.opts.stats.finished({
      reason,
      e2eSeconds: (this.timers.now() - r.arrivalMs) / 1000,
      promptTokens: r.n,
      generationTokens: r.emitted,
      maxTokens: r.spec.maxTokens,
    });
    r.spec.onFinish(reason);
    if (!this.closed) this.schedule();
  }

  /**
   * A client that goes away aborts its request: blocks are freed, nothing more is generated. vLLM 0.10
   * records no request_success{finished_reason="abort"} for it (vllm#31503, #55634): the client-side
   * abort never reaches the stat loggers; only tokens already generated were counted.
   */
  private abortRequest(r: Req): void {
    if (r.state === 'done') return;
    if (r.state === 'waiting') this.waiting = this.waiting.filter((w) => w !== r);
    else this.release(r);
    r.state = 'done';
    if (!this.closed) this.schedule();
  }

  private release(r: Req): void {
    if (r.timer !== undefined) this.timers.cancel(r.timer);
    r.timer = undefined;
    this.pool.freeRequestBlocks(r.blocks);
    r.blocks = [];
    const at = this.running.indexOf(r);
    if (at >= 0) this.running.splice(at, 1);
    r.state = 'done';
  }
}
