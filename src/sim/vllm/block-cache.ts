// vLLM V1's prefix cache (docs/design/prefix_caching.md, vllm/v1/core/block_pool.py and
// kv_cache_utils.py, v0.10.x), pure: no I/O, no clock. A pool of fixed-size KV blocks with reference
// counts, a hash map from chained block hashes to cached blocks, and an LRU free queue.
// ../shared/research/vllm-llmd-semantics.md §2 and §7.
import { fmix32 } from '../../hash.ts';
import { BlockIndex } from './block-index.ts';

/** Block 0 is vLLM's null block (BlockPool pops it from the free queue at start-up and never frees it). */
const NULL_BLOCK = 0;
const NO_HASH = -1;

/** 32-bit mixing step (murmur3 finaliser) over one input word. */
function mix(h: number, word: number): number {
  let k = Math.imul(word | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalise(h: number, length: number): number {
  return fmix32(h ^ length);
}

/**
 * 53-bit hash of (parent hash, block tokens, extra key), as vLLM's
 * `hash_block_tokens(hash_fn, parent_block_hash, curr_block_token_ids, extra_keys)`: two murmur3-style
 * lanes with different seeds, so a JS number holds it exactly and serves as a Map key.
 */
export function hashBlock(parent: number, tokens: ArrayLike<number>, extraKey: number): number {
  const parentHi = Math.floor(parent / 0x100000000);
  const parentLo = parent >>> 0;
  let a = mix(mix(mix(0x9747b28c, parentHi), parentLo), extraKey);
  let b = mix(mix(mix(0x1b2c3d4e, parentHi ^ 0x5bd1e995), parentLo ^ 0x5bd1e995), extraKey ^ 0x5bd1e995);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as number;
    a = mix(a, t);
    b = mix(b, t ^ 0x5bd1e995);
  }
  const hi = finalise(a, tokens.length) & 0x1fffff; // 21 bits
  return hi * 0x100000000 + finalise(b, tokens.length);
}

/** Extra key for block 0 only, like vLLM's cache_salt: blocks of different models never match. */
export function modelKey(model: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < model.length; i++) h = Math.imul(h ^ model.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The parent of block 0 (vLLM's NONE_HASH). Any fixed value: our hashes never leave the process. */
export const NONE_HASH = 0;

/**
 * Extends `hashes` (the chained hashes of the full blocks of `tokens`) to cover every full block of
 * `tokens[0..numTokens)`. Only full blocks are hashed ("we only cache full blocks").
 */
export function extendBlockHashes(
  hashes: number[],
  tokenAt: (i: number) => number,
  numTokens: number,
  blockSizeTokens: number,
  model: number,
): void {
  const full = Math.floor(numTokens / blockSizeTokens);
  const block = new Array<number>(blockSizeTokens);
  for (let b = hashes.length; b < full; b++) {
    for (let j = 0; j < blockSizeTokens; j++) block[j] = tokenAt(b * blockSizeTokens + j);
    const parent = b === 0 ? NONE_HASH : (hashes[b - 1] as number);
    hashes.push(hashBlock(parent, block, b === 0 ? model : 0));
  }
}

export function blockHashes(tokens: readonly number[], blockSizeTokens: number, model: number): number[] {
  const out: number[] = [];
  extendBlockHashes(out, (i) => tokens[i] as number, tokens.length, blockSizeTokens, model);
  return out;
}

/** The most tokens one lookup may hit: whole blocks ending at or before token N−1 (§1.3). */
export function maxHitTokens(numTokens: number, blockSizeTokens: number): number {
  return Math.floor(Math.max(0, numTokens - 1) / blockSizeTokens) * blockSizeTokens;
}

export class BlockPool {
  readonly numBlocks: number;
  readonly blockSizeTokens: number;
  private readonly refCount: Int32Array;
  private readonly hashOf: Float64Array;
  /**
   * hash → the first block registered with it, the one a hit takes. vLLM keeps duplicates (block
   * tables are append-only, §2.2): later holders follow in `sameHash`, one list per hash in
   * registration order (−1 ends it).
   */
  private readonly cached: BlockIndex;
  private readonly sameHash: Int32Array;
  // Free queue as a doubly linked list over block ids (vLLM's FreeKVCacheBlockQueue): O(1) removal
  // when a free cached block is hit ("touch"), pop from the head (LRU), append at the tail.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private free = 0;

  constructor(numBlocks: number, blockSizeTokens: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 2)
      throw new RangeError(`numBlocks must be ≥ 2, got ${numBlocks}`);
    if (!Number.isInteger(blockSizeTokens) || blockSizeTokens < 1)
      throw new RangeError(`blockSizeTokens must be ≥ 1, got ${blockSizeTokens}`);
    this.numBlocks = numBlocks;
    this.blockSizeTokens = blockSizeTokens;
    this.refCount = new Int32Array(numBlocks);
    this.hashOf = new Float64Array(numBlocks).fill(NO_HASH);
    this.prev = new Int32Array(numBlocks).fill(-1);
    this.next = new Int32Array(numBlocks).fill(-1);
    this.cached = new BlockIndex(numBlocks);
    this.sameHash = new Int32Array(numBlocks).fill(-1);
    for (let id = 0; id < numBlocks; id++) this.append(id);
    this.remove(NULL_BLOCK);
    this.refCount[NULL_BLOCK] = 1;
  }

  get numFreeBlocks(): number {
    return this.free;
  }

  /** Blocks usable by requests (all but the null block). */
  get capacity(): number {
    return this.numBlocks - 1;
  }

  /** `BlockPool.get_usage()`: cached blocks nobody references count as free (§2.2). */
  usage(): number {
    return 1 - this.free / (this.numBlocks - 1);
  }

  /** Free-queue order, head (evicted first) to tail: for tests. */
  freeOrder(): number[] {
    const out: number[] = [];
    for (let id = this.head; id !== -1; id = this.next[id] as number) out.push(id);
    return out;
  }

  refOf(id: number): number {
    return this.refCount[id] as number;
  }

  isCached(hash: number): boolean {
    return this.cached.get(hash) !== -1;
  }

  /** `find_longest_cache_hit`: the longest run of cached blocks from block 0, capped at N−1 tokens. */
  findLongestHit(hashes: readonly number[], numTokens: number): number[] {
    const maxBlocks = Math.min(
      hashes.length,
      maxHitTokens(numTokens, this.blockSizeTokens) / this.blockSizeTokens,
    );
    const hit: number[] = [];
    for (let i = 0; i < maxBlocks; i++) {
      const id = this.cached.get(hashes[i] as number);
      if (id === -1) break;
      hit.push(id);
    }
    return hit;
  }

  /** Blocks a hit would take out of the free queue (cached but unreferenced): they count against allocation. */
  evictableAmong(blockIds: readonly number[]): number {
    let n = 0;
    for (const id of blockIds) if (this.refCount[id] === 0) n++;
    return n;
  }

  /** `touch`: a hit block gains a reference and leaves the free queue. */
  touch(blockIds: readonly number[]): void {
    for (const id of blockIds) {
      if (this.refCount[id] === 0) this.remove(id);
      this.refCount[id] = (this.refCount[id] as number) + 1;
    }
  }

  /** Pops `n` blocks from the LRU head, evicting the hashes they held; null when fewer are free. */
  allocate(n: number): number[] | null {
    if (n > this.free) return null;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = this.head;
      this.remove(id);
      this.evict(id);
      this.refCount[id] = 1;
      out.push(id);
    }
    return out;
  }

  /** Registers a block that just became full (`cache_full_blocks`); hits may use it at once. */
  cacheBlock(id: number, hash: number): void {
    if (this.hashOf[id] !== NO_HASH) return;
    this.hashOf[id] = hash;
    this.sameHash[id] = -1;
    let last = this.cached.get(hash);
    if (last === -1) return this.cached.set(hash, id);
    while (this.sameHash[last] !== -1) last = this.sameHash[last] as number;
    this.sameHash[last] = id;
  }

  /**
   * `free_blocks(reversed(req_blocks))`: a finished request's blocks lose a reference; those reaching
   * zero go to the free tail tail-first, so the last block of a request (the longest chain, the least
   * likely to be shared) is evicted first. They keep their hashes and can still be hit.
   */
  freeRequestBlocks(blockIds: readonly number[]): void {
    for (let i = blockIds.length - 1; i >= 0; i--) {
      const id = blockIds[i] as number;
      const ref = (this.refCount[id] as number) - 1;
      this.refCount[id] = ref;
      if (ref === 0) this.append(id);
    }
  }

  private evict(id: number): void {
    const hash = this.hashOf[id] as number;
    if (hash === NO_HASH) return;
    this.hashOf[id] = NO_HASH;
    const after = this.sameHash[id] as number;
    this.sameHash[id] = -1;
    const first = this.cached.get(hash);
    if (first === id) {
      if (after === -1) this.cached.delete(hash);
      else this.cached.set(hash, after);
      return;
    }
    let p = first;
    while (p !== -1 && this.sameHash[p] !== id) p = this.sameHash[p] as number;
    if (p !== -1) this.sameHash[p] = after;
  }

  private append(id: number): void {
    this.prev[id] = this.tail;
    this.next[id] = -1;
    if (this.tail === -1) this.head = id;
    else this.next[this.tail] = id;
    this.tail = id;
    this.free++;
  }

  private remove(id: number): void {
    const p = this.prev[id] as number;
    const n = this.next[id] as number;
    if (p === -1) this.head = n;
    else this.next[p] = n;
    if (n === -1) this.tail = p;
    else this.prev[n] = p;
    this.prev[id] = -1;
    this.next[id] = -1;
    this.free--;
  }
}
