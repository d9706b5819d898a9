// The upper bound of the hit rate (DESIGN.md "Semantics: Upper bound"): a perfect router with an
// unlimited cache. The cache is every token sequence sent before (warm-up included), each followed by its
// answer re-tokenized. Like vLLM, it is kept as chained hashes of whole 16-token blocks
// (docs/design/prefix_caching.md: a block's hash covers its parent's hash and its own tokens), so a
// lookup walks the prompt block by block and stops at the first block never seen after that history.
import { fmix32 } from '../hash.ts';
import { KeySet } from './key-set.ts';

export const BLOCK_SIZE_TOKENS = 16;
export const EOT_ID = 128009;

/** Most tokens of an N-token prompt vLLM can take from cache: whole blocks, and never the last token. */
export function maxReusableTokens(promptTokens: number, blockSizeTokens = BLOCK_SIZE_TOKENS): number {
  // vLLM v0.10 caps a hit at N-1 tokens to recompute the last one for its logits:
  // vllm/v1/core/kv_cache_manager.py get_computed_blocks (max_cache_hit_length = num_tokens - 1).
  if (promptTokens <= 0) return 0;
  return Math.floor((promptTokens - 1) / blockSizeTokens) * blockSizeTokens;
}

/**
 * A walk over a token sequence, id by id: two 32-bit hash chains, and how many ids of the current block
 * are mixed in. A sequence that continues a walked one (an answer after its prompt) goes on from here
 * instead of hashing the shared part again. Keys are 53-bit numbers from the two independent chains:
 * ~10^-4 chance of any collision at a million blocks.
 */
export interface BlockChain {
  a: number;
  b: number;
  /** ids of the current, unfinished block already mixed into a and b */
  filled: number;
}

const newChain = (): BlockChain => ({ a: 0x811c9dc5, b: 0x6a09e667, filled: 0 });

/** Mixes `id` into the chain; returns the block's key when it completes one, else −1. */
function mix(chain: BlockChain, id: number, blockSize: number): number {
  chain.a = Math.imul(chain.a ^ id, 0x01000193);
  const b = Math.imul(chain.b ^ id, 0x5bd1e995);
  chain.b = b ^ (b >>> 15);
  if (++chain.filled < blockSize) return -1;
  chain.filled = 0;
  chain.a = fmix32(chain.a);
  chain.b = fmix32(chain.b ^ 0x9e3779b9);
  return chain.a * 2097152 + (chain.b >>> 11);
}

export interface PrefixTrackerOptions {
  blockSizeTokens?: number;
  /** Blocks kept per generation; two generations are kept, the older dropped when the newer fills. */
  generationBlocks?: number;
}

/**
 * Bounded memory: 16–32 bytes per block (a KeySet slot, at most half full), at most 2 × generationBlocks
 * blocks (2 × 1M ≤ 32 MB, ~32M tokens). A block last seen more than a generation ago is forgotten, which can only lower the bound,
 * and only for prefixes a real cache would long have evicted.
 */
export class PrefixTracker {
  readonly blockSizeTokens: number;
  private readonly generationBlocks: number;
  private current = new KeySet();
  private previous = new KeySet();

  constructor(opts: PrefixTrackerOptions = {}) {
    this.blockSizeTokens = opts.blockSizeTokens ?? BLOCK_SIZE_TOKENS;
    this.generationBlocks = opts.generationBlocks ?? 1_000_000;
  }

  /** Blocks held (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Tokens of `promptIds` a perfect router could serve from cache: longest known prefix, floored, capped. */
  reusableTokens(promptIds: readonly number[]): number {
    const chain = newChain();
    let blocks = 0;
    for (let i = 0; i < promptIds.length; i++) {
      const key = mix(chain, promptIds[i] as number, this.blockSizeTokens);
      if (key < 0) continue;
      if (!this.current.has(key) && !this.previous.has(key)) break;
      blocks++;
    }
    return Math.min(blocks * this.blockSizeTokens, maxReusableTokens(promptIds.length, this.blockSizeTokens));
  }

  /**
   * A prompt being sent, in one walk: its upper-bound share (what was known before it), then it enters
   * the cache. The returned chain lets `extend` add its answer without hashing the prompt again.
   */
  observe(promptIds: readonly number[]): { reusableTokens: number; chain: BlockChain } {
    const chain = newChain();
    let blocks = 0;
    let known = true;
    for (let i = 0; i < promptIds.length; i++) {
      const key = mix(chain, promptIds[i] as number, this.blockSizeTokens);
      if (key < 0) continue;
      if (known && (this.current.has(key) || this.previous.has(key))) blocks++;
      else known = false;
      this.remember(key);
    }
    const cap = maxReusableTokens(promptIds.length, this.blockSizeTokens);
    return { reusableTokens: Math.min(blocks * this.blockSizeTokens, cap), chain };
  }

  /** Records `ids` as the continuation of an observed sequence (the answer after its prompt); moves `chain` on. */
  extend(chain: BlockChain, ids: readonly number[]): void {
    for (let i = 0; i < ids.length; i++) {
      const key = mix(chain, ids[i] as number, this.blockSizeTokens);
      if (key >= 0) this.remember(key);
    }
  }

  /** Records a sequence the server has seen (a prompt, or a prompt followed by its answer). */
  add(ids: readonly number[]): void {
    this.extend(newChain(), ids);
  }

  private remember(key: number): void {
    if (this.current.add(key) && this.current.size >= this.generationBlocks) {
      this.previous = this.current;
      this.current = new KeySet();
    }
  }
}
