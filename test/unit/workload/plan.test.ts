import { closedRequestShare } from '../../../src/load/stage-mark.ts';
import {
  owns,
  partitionSends,
  planOpenLoop,
  shareOf,
  subPartition,
  WHOLE,
} from '../../../src/workload/plan.ts';
import { parseStages, type StageSpec } from '../../../src/workload/stages.ts';

const open = (text: string): Extract<StageSpec, { kind: 'open' }> =>
  parseStages(text)[0] as Extract<StageSpec, { kind: 'open' }>;
const offsets = (text: string, part = WHOLE): number[] =>
  [...partitionSends(planOpenLoop(open(text)), part)].map((s) => s.offsetMs);

describe('open-loop planner', () => {
  it.each([
    ['20rps:5', [0, 50, 100, 150, 200]],
    ['4rps:1s', [0, 250, 500, 750]],
    ['3rps:1s', [0, 1000 / 3, 2000 / 3]],
    ['2rps:1.2s', [0, 500, 1000]],
    ['0.5rps:3', [0, 2000, 4000]],
  ])('plans %s at constant spacing: %p', (text, expected) => {
    expect(offsets(text)).toEqual(expected);
  });

  it('plans exactly rate × duration requests when the division is inexact in floating point', () => {
    expect(planOpenLoop(open('20rps:1s')).count).toBe(20);
    expect(planOpenLoop(open('10rps:30s')).count).toBe(300);
    expect(planOpenLoop(open('3rps:1m')).count).toBe(180);
  });

  it('gives each shard every K-th planned send, keeping the global offsets', () => {
    expect(offsets('10rps:7', { index: 0, of: 3 })).toEqual([0, 300, 600]);
    expect(offsets('10rps:7', { index: 1, of: 3 })).toEqual([100, 400]);
    expect(offsets('10rps:7', { index: 2, of: 3 })).toEqual([200, 500]);
  });
});

describe('partitions', () => {
  it.each([
    [{ index: 0, of: 1 }, 24, 24],
    [{ index: 0, of: 4 }, 10, 3],
    [{ index: 1, of: 4 }, 10, 3],
    [{ index: 2, of: 4 }, 10, 2],
    [{ index: 3, of: 4 }, 10, 2],
    [{ index: 3, of: 4 }, 3, 0],
  ])('partition %p owns %p items → %p', (part, n, expected) => {
    expect(shareOf(part, n)).toBe(expected);
    expect(Array.from({ length: n }, (_, i) => i).filter((i) => owns(part, i))).toHaveLength(expected);
  });

  it('splits a shard among workers so that shards × workers cover every session exactly once', () => {
    const seen: number[] = [];
    for (let shard = 0; shard < 3; shard++) {
      for (let w = 0; w < 2; w++) {
        const part = subPartition({ index: shard, of: 3 }, w, 2);
        for (let s = 0; s < 24; s++) if (owns(part, s)) seen.push(s);
      }
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('splits a closed stage of N requests over the partitions owning its slots, adding up to N', () => {
    const parts = [0, 1, 2].map((index) => closedRequestShare(4, 10, { index, of: 3 }));
    // slots 0,3 → 3+2; slot 1 → 3; slot 2 → 2
    expect(parts).toEqual([5, 3, 2]);
    expect(closedRequestShare(2, 10, { index: 2, of: 3 })).toBe(0);
  });
});
