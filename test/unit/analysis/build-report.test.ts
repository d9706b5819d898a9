import { buildReport, type ReportInputs } from '../../../src/analysis/build-report.ts';
import { RecordsAccumulator } from '../../../src/analysis/record-aggregate.ts';
import type { StageMark } from '../../../src/types.ts';
import { T0, T1, pod, record, snap } from './fixtures.ts';

function runOf(records: object[]) {
  const acc = new RecordsAccumulator();
  records.forEach((r, i) => acc.addLine(JSON.stringify(r), `r:${i}`));
  return acc.choose(undefined).run!;
}

function mark(over: Partial<StageMark> = {}): StageMark {
  return {
    runId: 'r1',
    stage: 1,
    spec: '4x8',
    startMs: 0,
    endMs: 1000,
    requested: 8,
    completed: 8,
    errors: 0,
    achievedRps: 8,
    scheduleLagMs: { p50: 0, p99: 1 },
    eventLoopLagMs: { p50: 0, p99: 1 },
    generatorLimited: false,
    ...over,
  };
}

// 8 measured requests of 100 prompt tokens, 4 sessions on 2 pods, each session on one pod.
const RECORDS = Array.from({ length: 8 }, (_, i) =>
  record({
    session: i % 4,
    turn: 2 + Math.floor(i / 4),
    startMs: 1000 + i,
    servedBy: i % 2 === 0 ? 'a' : 'b',
    ttftMs: 10 + i,
  }),
);

function inputs(over: Partial<ReportInputs> = {}): ReportInputs {
  return {
    before: snap(T0, [pod('a', 0, 0), pod('b', 0, 0)]),
    after: snap(T1, [pod('a', 400, 320), pod('b', 400, 320)]),
    run: runOf(RECORDS),
    stageMarks: [mark()],
    minHitRate: 0.75,
    maxErrorRate: 0.05,
    ...over,
  };
}

describe('buildReport', () => {
  it('puts the figures of a clean run together and passes', () => {
    const r = buildReport(inputs());
    expect(r.runId).toBe('r1');
    expect(r.verdict).toBe('PASS');
    expect(r.hitRate).toEqual({ delta: 0.8, overall: 0.8, upperBound: 0.8 });
    expect(r.pods.map((p) => [p.name, p.share])).toEqual([
      ['a', 0.5],
      ['b', 0.5],
    ]);
    expect(r.stickiness).toMatchObject({
      grade: 'EXCELLENT',
      sessionConsistency: 1,
      topPodShare: 0.5,
      hotSpot: false,
    });
    // 8 measured requests over the stage marks' 1 s window.
    expect(r.requests).toEqual({ total: 8, errors: 0, throughputRps: 8 });
    expect(r.latency.ttftMs.p50).toBeCloseTo(13, 1);
    expect(r.stages).toEqual([
      expect.objectContaining({
        stage: 1,
        spec: '4x8',
        requests: 8,
        errors: 0,
        achievedRps: 8,
        generatorLimited: false,
      }),
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('fails the hit-rate gate below --min-hit-rate', () => {
    const r = buildReport(inputs({ minHitRate: 0.9 }));
    expect(r.verdict).toBe('FAIL');
    expect(r.gates.find((g) => !g.ok)).toMatchObject({ name: 'min-hit-rate', value: 0.8, threshold: 0.9 });
  });

  it('fails a run with a generator-limited stage and says which', () => {
    const r = buildReport(inputs({ stageMarks: [mark({ generatorLimited: true })] }));
    expect(r.verdict).toBe('FAIL');
    expect(r.warnings.join(' ')).toMatch(/generator-limited stage 1 \(4x8\)/);
  });

  it('says when the generator clock was coarse', () => {
    const r = buildReport(inputs({ stageMarks: [mark({ clockResolutionMs: 48 })] }));
    expect(r.warnings.join(' ')).toMatch(/clock advanced in steps of up to 48 ms/);
  });

  it('merges the stage marks of several shards', () => {
    const r = buildReport(
      inputs({
        stageMarks: [
          mark({ shard: '0/2', achievedRps: 4 }),
          mark({ shard: '1/2', achievedRps: 5, generatorLimited: true }),
        ],
      }),
    );
    expect(r.stages[0]).toMatchObject({ achievedRps: 9, generatorLimited: true, requests: 8 });
  });

  it('reports from snapshots alone, saying what is missing', () => {
    const r = buildReport(inputs({ run: undefined, stageMarks: [], runId: 'given' }));
    expect(r.runId).toBe('given');
    expect(r.hitRate.upperBound).toBeNull();
    expect(r.requests.total).toBe(0);
    expect(r.warnings.join(' ')).toMatch(/no request records given/);
    expect(r.verdict).toBe('PASS');
  });

  it('warns when the pods counted far more query tokens than the run sent', () => {
    const r = buildReport(inputs({ after: snap(T1, [pod('a', 4000, 3200), pod('b', 400, 320)]) }));
    expect(r.warnings.join(' ')).toMatch(
      /counted 4400 prefix-cache query tokens but the measured requests sent 800/,
    );
  });

  it('warns when the measured rate is above the upper bound', () => {
    const r = buildReport(inputs({ after: snap(T1, [pod('a', 400, 390), pod('b', 400, 390)]) }));
    expect(r.warnings.join(' ')).toMatch(/above the workload's upper bound/);
  });

  it('adds fromUsage only when responses carried cached tokens', () => {
    expect(buildReport(inputs()).hitRate).not.toHaveProperty('fromUsage');
    const r = buildReport(inputs({ run: runOf(RECORDS.map((x) => ({ ...x, cachedTokens: 64 }))) }));
    expect(r.hitRate.fromUsage).toBe(0.64);
  });

  it('keeps the baseline it is given', () => {
    const baseline = { policy: 'round-robin', hitRate: 0.41, ttftMs: { p50: 30, p95: 60, p99: 90 } };
    expect(buildReport(inputs({ baseline })).baseline).toEqual(baseline);
  });
});
