// The gateway's random choices (random policy, ClientIP first pick, the max-score picker's tie-break
// shuffle) over a seeded PRNG (mulberry32, src/hash.ts): same seed, same routing, so tests and demo runs
// reproduce.

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
