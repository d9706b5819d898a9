import type { ToolFigure } from '../../../bench/throughput.ts';
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

/** What every results object starts with: the run's time and machine, no clock figures. */
const RUN: Pick<BenchResults, 'startedAt' | 'machine' | 'clock'> = {
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
};

it('puts each figure next to its target and says which are met', () => {
  const results: BenchResults = {
    ...RUN,
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

it('rates ramp-load against autocannon, shows undici alone, labels a GC-tuned TTFT row, shows the floor', () => {
  const tool = (rps: number, cpu: number, pod: number): ToolFigure => ({
    rps,
    perRound: [rps],
    errors: 0,
    cpuMsPerRequest: cpu,
    serverCpuPct: pod,
  });
  const spread = { median: 0.9, p99: 6.6, min: 0.1, max: 9 };
  const rows = benchRows({
    ...RUN,
    throughput: {
      concurrency: 64,
      seconds: 10,
      rounds: 1,
      body: { bytes: 584, maxTokens: 16 },
      startupCpuSeconds: { autocannon: 0.2, rampLoad: 0.3, undici: 0.25 },
      wrk: tool(19_000, 0.012, 100),
      autocannon: tool(15_000, 0.03, 97),
      undici: tool(13_500, 0.043, 94),
      rampLoad: {
        ...tool(10_000, 0.095, 68),
        scheduleLagP99Ms: 0,
        eventLoopLagP99Ms: 1,
        generatorLimited: true,
      },
      rampLoadStream: { ...tool(8_000, 0.12, 71), scheduleLagP99Ms: 0.2, eventLoopLagP99Ms: 1 },
      workloadCpuMsPerRequest: 0.0198,
    },
    ttft: [
      {
        placement: 'split-gc',
        nodeArgs: ['--single-threaded-gc', '--max-semi-space-size=1'],
        loadCpu: 0,
        serverCpu: 1,
        concurrency: 512,
        measuredConcurrency: 510,
        samples: 1799,
        errors: 0,
        error: spread,
        podLate: spread,
        clientOverPod: { ...spread, matched: 1700 },
        achievedRps: 200,
        podGc: { pauses: 115, over2Ms: 15, maxMs: 9.75 },
        clientLoopLagP99Ms: 2.8,
        floor: {
          error: { median: 0.5, p99: 3.3, min: -0.2, max: 7 },
          samples: 1800,
          failed: 0,
          legs: {
            request: { median: 0.2, p99: 1.5, min: 0.1, max: 4 },
            timer: { median: 0.1, p99: 1.25, min: -0.1, max: 3 },
            response: { median: 0.15, p99: 1.1, min: 0.05, max: 5 },
          },
          stamped: 1800,
        },
      },
    ],
  });
  const byFigure = new Map(rows.map((r) => [r.figure.trim(), r]));
  expect(byFigure.get('÷ autocannon (same body, same conc.)')).toMatchObject({
    value: '0.67× (autocannon 15,000 req/s)',
    ok: false,
  });
  expect(byFigure.get('undici alone (same body, same conc.)')?.value).toBe('13,500 req/s: 0.90× autocannon');
  expect(
    byFigure.get('ramp-load’s own work without HTTP (runner, prompts, body, parse, records)')?.value,
  ).toBe('0.020 ms CPU/request');
  expect(byFigure.get('generator CPU/request: wrk / autocannon / undici / ramp / stream')?.value).toBe(
    '0.012 / 0.030 / 0.043 / 0.095 / 0.120 ms',
  );
  const ttft = rows.find((r) => r.figure.startsWith('TTFT error, 512 streams'));
  expect(ttft).toMatchObject({
    figure: 'TTFT error, 512 streams (load CPU 0, pods CPU 1, --single-threaded-gc --max-semi-space-size=1)',
    value: 'median 0.90 ms, p99 6.60 ms (n=1799, 510 open)',
    ok: false,
  });
  expect(byFigure.get('pod GC pauses (> 2 ms, longest) / client loop lag p99')?.value).toBe(
    '115 (15, 9.75 ms) / 2.80 ms',
  );
  // The floor comes after the rows of the level it was measured for, and its three legs under it.
  const at = rows.indexOf(ttft as (typeof rows)[number]);
  expect(rows[at + 1]?.figure).toBe('  of which: pod late / client + loopback');
  expect(rows[at + 3]).toEqual({
    figure: '  bare node:http + undici, same streams and rate',
    value: 'median 0.50 ms, p99 3.30 ms (n=1800)',
    target: '(figure: the floor on this machine)',
    ok: null,
  });
  expect(rows[at + 4]).toEqual({
    figure: '    of which: request / server timer / response',
    value: '0.20 ms, p99 1.50 ms / 0.10 ms, p99 1.25 ms / 0.15 ms, p99 1.10 ms',
    target: '(figure: medians, p99s)',
    ok: null,
  });
});
