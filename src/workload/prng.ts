// Seeded randomness for the workload (pure: no Math.random). mulberry32 (src/hash.ts) is small, fast and
// good enough for choosing words; derived seeds come from a murmur3-style mix so that (seed, session,
// conversation, turn) map to independent streams and content never depends on timing or on the order of
// requests.
import { fmix32, mulberry32 } from '../hash.ts';

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

export function createPrng(seed: number): Prng {
  const next = mulberry32(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
  };
}

/** A seed derived from several integers, e.g. deriveSeed(seed, session, conversation, turn). */
export function deriveSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Fold in both halves so that seeds above 2^32 still matter.
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    h = fmix32(h ^ Math.imul(lo, 0xcc9e2d51));
    h = fmix32(h ^ Math.imul(hi + 0x1b873593, 0xcc9e2d51));
  }
  return h;
}
