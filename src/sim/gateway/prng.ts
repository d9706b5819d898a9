// A tiny seeded PRNG for the gateway's random choices (random policy, ClientIP first pick, the
// max-score picker's tie-break shuffle): same seed, same routing, so tests and demo runs reproduce.

const imul = Math.imul; // a local: global lookups are slow inside jest's vm context (see prompt.ts)

/** mulberry32: 32-bit state, uniform in [0, 1). Plenty for picking among a handful of pods. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randomIndex(rand: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(rand() * n));
}

/** Fisher–Yates over 0..n-1. */
export function shuffledIndices(rand: () => number, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomIndex(rand, i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}
