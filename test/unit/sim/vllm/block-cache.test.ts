import { BlockPool, blockHashes, maxHitTokens, modelKey } from '../../../../src/sim/vllm/block-cache.ts';

const B = 16;
const M = modelKey('m');
const seq = (n: number, offset = 0): number[] => Array.from({ length: n }, (_, i) => 1000 + offset + i);

/** Puts a finished request's full blocks into the pool as vLLM leaves them: cached, unreferenced. */
function cacheSequence(pool: BlockPool, tokens: number[]): number[] {
  const hashes = blockHashes(tokens, B, M);
  const blocks = pool.allocate(hashes.length) as number[];
  hashes.forEach((h, i) => pool.cacheBlock(blocks[i] as number, h));
  pool.freeRequestBlocks(blocks);
  return blocks;
}

describe('chained block hashes', () => {
  it('hashes only full blocks', () => {
    expect(blockHashes(seq(15), B, M)).toHaveLength(0);
    expect(blockHashes(seq(31), B, M)).toHaveLength(1);
    expect(blockHashes(seq(32), B, M)).toHaveLength(2);
  });

  it('gives equal prefixes equal hashes and is deterministic', () => {
    const a = blockHashes(seq(48), B, M);
    const b = blockHashes([...seq(32), ...seq(16, 500)], B, M);
    expect(a.slice(0, 2)).toEqual(b.slice(0, 2));
    expect(a[2]).not.toBe(b[2]);
    expect(blockHashes(seq(48), B, M)).toEqual(a);
  });

  it('chains: a change in block 0 changes every later hash, even where the tokens agree', () => {
    const a = blockHashes(seq(48), B, M);
    const changed = seq(48);
    changed[3] = 7;
    const b = blockHashes(changed, B, M);
    expect(b.every((h, i) => h !== a[i])).toBe(true);
  });

  it('keys block 0 on the model name, so two models never share', () => {
    const a = blockHashes(seq(32), B, modelKey('model-a'));
    const b = blockHashes(seq(32), B, modelKey('model-b'));
    expect(a[0]).not.toBe(b[0]);
    expect(a[1]).not.toBe(b[1]);
  });
});

describe('lookup caps hits at N−1 tokens, whole blocks only', () => {
  it.each([
    [15, 0],
    [16, 0],
    [17, 16],
    [32, 16],
    [33, 32],
    [100, 96],
  ])('N=%i fully cached → %i hit tokens', (n, hits) => {
    const pool = new BlockPool(64, B);
    const tokens = seq(n);
    cacheSequence(pool, tokens);
    const hit = pool.findLongestHit(blockHashes(tokens, B, M), n);
    expect(hit.length * B).toBe(hits);
    expect(maxHitTokens(n, B)).toBe(hits);
  });

  it('stops at the first missing block', () => {
    const pool = new BlockPool(64, B);
    cacheSequence(pool, seq(64));
    const other = [...seq(32), ...seq(32, 900)];
    expect(pool.findLongestHit(blockHashes(other, B, M), 64)).toHaveLength(2);
  });
});

describe('block pool', () => {
  it('reserves the null block: usage = referenced blocks / (numBlocks − 1)', () => {
    const pool = new BlockPool(5, B);
    expect(pool.numFreeBlocks).toBe(4);
    expect(pool.usage()).toBe(0);
    const got = pool.allocate(3) as number[];
    expect(got).not.toContain(0);
    expect(pool.usage()).toBe(0.75);
    expect(pool.allocate(2)).toBeNull();
  });

  it('frees a request tail first: its last block goes to the free queue before its first', () => {
    const pool = new BlockPool(5, B);
    const [a0, a1, a2] = pool.allocate(3) as [number, number, number];
    const spare = pool.freeOrder();
    pool.freeRequestBlocks([a0, a1, a2]);
    expect(pool.freeOrder()).toEqual([...spare, a2, a1, a0]);
  });

  it('evicts least recently freed blocks first, the tail of a request before its head', () => {
    const pool = new BlockPool(5, B);
    const tokens = seq(48);
    const hashes = blockHashes(tokens, B, M);
    cacheSequence(pool, tokens);
    expect(pool.findLongestHit(hashes, 49)).toHaveLength(3);
    pool.allocate(2); // the never-used block, then the request's last block
    expect(pool.findLongestHit(hashes, 49)).toHaveLength(2);
    pool.allocate(1);
    expect(pool.findLongestHit(hashes, 49)).toHaveLength(1);
  });

  it('keeps freed blocks cached and lets a hit take them back out of the free queue (touch)', () => {
    const pool = new BlockPool(8, B);
    const tokens = seq(32);
    const blocks = cacheSequence(pool, tokens);
    expect(pool.numFreeBlocks).toBe(7);
    const hit = pool.findLongestHit(blockHashes(tokens, B, M), 33);
    expect(hit).toEqual(blocks);
    expect(pool.evictableAmong(hit)).toBe(2);
    pool.touch(hit);
    expect(pool.numFreeBlocks).toBe(5);
    expect(hit.map((id) => pool.refOf(id))).toEqual([1, 1]);
    expect(pool.freeOrder()).not.toContain(blocks[0]);
    pool.touch(hit);
    expect(pool.refOf(hit[0] as number)).toBe(2);
    pool.freeRequestBlocks(hit);
    expect(pool.numFreeBlocks).toBe(5);
    pool.freeRequestBlocks(hit);
    expect(pool.numFreeBlocks).toBe(7);
  });

  it('keeps a hash findable while a duplicate block still holds it', () => {
    const pool = new BlockPool(4, B);
    const [h] = blockHashes(seq(16), B, M) as [number];
    const [x, y] = pool.allocate(2) as [number, number];
    pool.cacheBlock(x, h);
    pool.cacheBlock(y, h);
    pool.freeRequestBlocks([x]);
    pool.freeRequestBlocks([y]);
    pool.allocate(2); // the spare block, then x (evicts x's copy)
    expect(pool.isCached(h)).toBe(true);
    expect(pool.findLongestHit([h], 17)).toEqual([y]);
    pool.allocate(1);
    expect(pool.isCached(h)).toBe(false);
  });
});
