import { BlockIndex } from '../../../../src/sim/vllm/block-index.ts';

describe('BlockIndex', () => {
  it.each([
    // [capacity, distinct low bits: few means long probe runs that wrap around the table]
    [8, 4],
    [64, 3],
    [1000, 12],
  ])('agrees with a Map under sets and deletes (capacity %i, %i low bits)', (maxEntries, lowBits) => {
    let seed = 1;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const index = new BlockIndex(maxEntries);
    const reference = new Map<number, number>();
    const mismatches: string[] = [];
    for (let step = 0; step < 20_000; step++) {
      const hash = Math.floor(rnd() * 2 ** 21) * 2 ** 32 + Math.floor(rnd() * 2 ** lowBits);
      const keys = [...reference.keys()];
      const op = rnd();
      if (op < 0.7 && reference.size < maxEntries) {
        const id = Math.floor(rnd() * 1e6);
        index.set(hash, id);
        reference.set(hash, id);
      } else if (op < 0.9 && keys.length > 0) {
        const key = keys[Math.floor(rnd() * keys.length)] as number;
        index.delete(key);
        reference.delete(key);
      } else {
        index.delete(hash);
        reference.delete(hash);
      }
      if (step % 50 === 0)
        for (const [k, v] of reference) if (index.get(k) !== v) mismatches.push(`${k} at step ${step}`);
      if (index.get(hash) !== (reference.get(hash) ?? -1)) mismatches.push(`${hash} at step ${step}`);
    }
    expect(mismatches).toEqual([]);
  });
});
