// Small integer hashing shared by the prefix cache, the upper-bound tracker and the seeded PRNGs.

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

/**
 * mulberry32 (Tommy Ettinger, public domain): a seeded PRNG, uniform in [0, 1), 32-bit state, period
 * 2^32 — a hash of a counter. Every seeded choice uses it (workload text, the pods' answers, the
 * gateway's picks), never Math.random, so runs reproduce.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = imul(state ^ (state >>> 15), state | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
