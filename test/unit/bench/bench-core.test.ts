// The bench's pure parts: exact percentiles, synthetic records report accepts, the results table.
import { invalidRecord } from '../../../src/analysis/record-aggregate.ts';
import { percentile } from '../../../bench/stats.ts';
import { syntheticRecord } from '../../../bench/synthetic.ts';
import { benchRows, renderTable, type BenchResults } from '../../../bench/table.ts';
import { isFlat, judgeMemory, type MemorySample } from '../../../bench/soak.ts';

it.each([
  ['five values', [5, 1, 4, 2, 3], 50, 3],
  ['five values', [5, 1, 4, 2, 3], 99, 5],
  ['five values', [5, 1, 4, 2, 3], 0, 1],
  ['1..100', Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
])('takes the nearest-rank percentile of %s at p%d', (_label, values, p, expected) => {
  expect(percentile(values as number[], p as number)).toBe(expected);
});

it('writes synthetic records that report reads as valid measured requests', () => {
  let s = 1;
  const rand = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  const run = {
    records: 1000,
    sessions: 20,
    turns: 10,
    pods: 3,
    stages: 4,
    seed: 1,
    startMs: 1_767_225_600_000,
  };
  const records = Array.from({ length: run.records }, (_, i) => syntheticRecord(run, i, rand));
  for (const r of records) expect(invalidRecord(r)).toBeUndefined();
  expect(new Set(records.map((r) => r.stage))).toEqual(new Set([1, 2, 3, 4]));
  expect(records[25]).toMatchObject({ session: 5, turn: 2, phase: 'measure' });
});

it.each([
  [100, 105, true],
  [100, 118, true],
  [100, 119, false],
  [10, 18, true],
])('calls memory %d MB → %d MB flat: %s', (first, last, flat) => {
  expect(isFlat(first, last)).toBe(flat);
});

it('puts each figure next to its target and says which are met', () => {
  const results: BenchResults = {
    startedAt: '2026-01-01T00:00:00Z',
    machine: {
      cpus: 2,
      cpuModel: 'x',
      node: 'v24',
      loadAverageBefore: [0, 0, 0],
      cli: 'dist/src/bin.js',
      priority: null,
    },
    clock: [],
    report: {
      records: 1_000_000,
      fileMb: 250,
      wallSeconds: 6.2,
      peakRssMb: 410,
      reportedRequests: 1_000_000,
    },
    scrape: {
      pods: 64,
      podsRead: 64,
      runs: 5,
      wallSeconds: 0.62,
      perRun: [],
      startupSeconds: 0.3,
      exposition: { bytesPerPod: 1 },
    },
  };
  const rows = benchRows(results);
  expect(rows.map((r) => [r.value, r.target, r.ok])).toEqual([
    ['6.2 s', '< 15 s', true],
    ['410 MB', '< 400 MB', false],
    ['0.62 s (start-up 0.30 s)', '< 1 s', true],
  ]);
  const table = renderTable(rows);
  expect(table[0]).toMatch(/^\| figure +\| measured +\| target +\| met +\|$/);
  expect(table[3]).toContain('| NO ');
});

const samples = (rss: (t: number) => number): MemorySample[] =>
  Array.from({ length: 61 }, (_, i) => ({
    tSeconds: i * 10,
    rssMb: rss(i * 10),
    heapUsedMb: rss(i * 10) / 3,
    heapTotalMb: 0,
    externalMb: 0,
  }));

it.each([
  ['a GC sawtooth between 200 and 300 MB', (t: number) => 200 + ((t * 2) % 100), true],
  ['a leak of 0.2 MB/s', (t: number) => 200 + t * 0.2, false],
])('judges %s over ten minutes: flat %s', (_name, rss, flat) => {
  expect(judgeMemory(samples(rss)).flat).toBe(flat);
});
