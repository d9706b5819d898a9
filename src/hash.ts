// Small integer hashing shared by the prefix cache, the upper-bound tracker and the seeded PRNG.

// Bound once: jest's module sandbox makes each global lookup in a hot loop far slower.
const imul = Math.imul;

/** murmur3's 32-bit finaliser: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
