// The upper bound of the hit rate (DESIGN.md "Semantics: Upper bound"): a perfect router with an
// unlimited cache. The cache is every token sequence sent before (warm-up included), each followed by its
// answer re-tokenized. Like vLLM, it is kept as chained hashes of whole 16-token blocks
// (docs/design/prefix_caching.md: a block's hash covers its parent's hash and its own tokens), so a
// lookup walks the prompt block by block and stops at the first block never seen after that history.
import { fmix32 } from '../hash.ts';

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
 * Calls `visit(key)` for each whole block's chained key until it returns false. Keys are 53-bit numbers
 * from two independent 32-bit chains: ~10^-4 chance of any collision at a million blocks.
 */
function walkBlocks(ids: readonly number[], blockSize: number, visit: (key: number) => boolean): void {
  let a = 0x811c9dc5;
  let b = 0x6a09e667;
  const blocks = Math.floor(ids.length / blockSize);
  for (let k = 0; k < blocks; k++) {
    for (let j = k * blockSize; j < (k + 1) * blockSize; j++) {
      const id = ids[j] as number;
      a = Math.imul(a ^ id, 0x01000193);
      b = Math.imul(b ^ id, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a = fmix32(a);
    b = fmix32(b ^ 0x9e3779b9);
    if (!visit(a * 2097152 + (b >>> 11))) return;
  }
}

export interface PrefixTrackerOptions {
  blockSizeTokens?: number;
  /** Blocks kept per generation; two generations are kept, the older dropped when the newer fills. */
  generationBlocks?: number;
}

/**
 * Bounded memory: about 40 bytes per block, at most 2 × generationBlocks blocks (2 × 1M ≈ 80 MB, ~32M
 * tokens). A block last seen more than a generation ago is forgotten, which can only lower the bound,
 * and only for prefixes a real cache would long have evicted.
 */
export class PrefixTracker {
  readonly blockSizeTokens: number;
  private readonly generationBlocks: number;
  private current = new Set<number>();
  private previous = new Set<number>();

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
    let blocks = 0;
    walkBlocks(promptIds, this.blockSizeTokens, (key) => {
      if (!this.current.has(key) && !this.previous.has(key)) return false;
      blocks++;
      return true;
    });
    return Math.min(blocks * this.blockSizeTokens, maxReusableTokens(promptIds.length, this.blockSizeTokens));
  }

  /** Records a sequence the server has seen (a prompt, or a prompt followed by its answer). */
  add(ids: readonly number[]): void {
    walkBlocks(ids, this.blockSizeTokens, (key) => {
      if (!this.current.has(key)) {
        this.current.add(key);
        if (this.current.size >= this.generationBlocks) {
          this.previous = this.current;
          this.current = new Set();
        }
      }
      return true;
    });
  }
}
