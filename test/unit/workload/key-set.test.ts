import { KeySet } from '../../../src/workload/key-set.ts';

describe('KeySet', () => {
  it('holds exactly what a Set holds, across growth, for keys up to 2^53 − 2', () => {
    const keys = new KeySet();
    const reference = new Set<number>();
    let x = 12345;
    const next = (): number => {
      x = (Math.imul(x ^ (x >>> 13), 0x5bd1e995) + 0x9e3779b9) >>> 0;
      return x;
    };
    const samples = [0, 1, 2 ** 32, 2 ** 53 - 2];
    for (let i = 0; i < 20_000; i++) samples.push(next() * 2097152 + (next() >>> 11), next() % 500);
    const added = samples.map((key) => keys.add(key));
    const expected = samples.map((key) => !reference.has(key) && !!reference.add(key));
    expect(added).toEqual(expected);
    expect(keys.size).toBe(reference.size);
    expect(samples.every((key) => keys.has(key))).toBe(true);
    const probes = Array.from({ length: 2000 }, () => next() * 2097152 + 7);
    expect(probes.map((p) => keys.has(p))).toEqual(probes.map((p) => reference.has(p)));
  });
});
