import { LatencyHistogram, mergeAll } from '../../../src/analysis/latency.ts';
import { describeFailure, evaluateGates, verdictOf } from '../../../src/analysis/gates.ts';

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

describe('LatencyHistogram', () => {
  const oneToThousand = Array.from({ length: 1000 }, (_, i) => i + 1);

  it.each([
    [50, 500],
    [95, 950],
    [99, 990],
  ])('p%d of 1..1000 ms is %d ms (0.1 %% precision)', (p, expected) => {
    expect(histogramOf(oneToThousand).at(p)).toBeCloseTo(expected, -0.3);
  });

  it('keeps microseconds', () => {
    expect(histogramOf([1.234]).at(50)).toBeCloseTo(1.234, 3);
  });

  it('merges shards exactly as one histogram of all values', () => {
    const merged = mergeAll([
      histogramOf(oneToThousand.slice(0, 300)),
      histogramOf(oneToThousand.slice(300)),
    ]);
    expect(merged.count).toBe(1000);
    expect(merged.percentiles()).toEqual(histogramOf(oneToThousand).percentiles());
  });

  it('clamps a negative duration (clock step) to 0 and counts it', () => {
    const h = histogramOf([-5, 10]);
    expect(h.clamped).toBe(1);
    expect(h.count).toBe(2);
    expect(h.at(0)).toBe(0);
  });

  it('gives null percentiles when empty', () => {
    expect(new LatencyHistogram().percentiles()).toEqual({ p50: null, p95: null, p99: null });
  });
});

describe('gates', () => {
  const ok = {
    deltaHitRate: 0.95,
    minHitRate: 0.9,
    errorRate: 0.01,
    maxErrorRate: 0.05,
    generatorLimited: false,
  };

  it('passes when every gate holds', () => {
    const gates = evaluateGates(ok);
    expect(gates.map((g) => [g.name, g.ok])).toEqual([
      ['min-hit-rate', true],
      ['max-error-rate', true],
      ['no-generator-limited-stage', true],
    ]);
    expect(verdictOf(gates)).toBe('PASS');
  });

  it.each([
    ['a low hit rate', { deltaHitRate: 0.6123 }, 'min-hit-rate', 'gate failed: delta hit rate 0.6123 < 0.9'],
    ['no queries at all', { deltaHitRate: null }, 'min-hit-rate', /delta hit rate unknown/],
    ['too many errors', { errorRate: 0.1 }, 'max-error-rate', 'gate failed: error rate 0.1000 > 0.05'],
    [
      'a generator-limited stage',
      { generatorLimited: true },
      'no-generator-limited-stage',
      /generator-limited/,
    ],
  ])('fails on %s', (_what, over, name, message) => {
    const gates = evaluateGates({ ...ok, ...over });
    const failed = gates.filter((g) => !g.ok);
    expect(failed.map((g) => g.name)).toEqual([name]);
    expect(verdictOf(gates)).toBe('FAIL');
    if (typeof message === 'string') expect(describeFailure(failed[0]!)).toBe(message);
    else expect(describeFailure(failed[0]!)).toMatch(message);
  });

  it('passes exactly at the thresholds', () => {
    expect(verdictOf(evaluateGates({ ...ok, deltaHitRate: 0.9, errorRate: 0.05 }))).toBe('PASS');
  });

  it('lets the error-rate and generator gates pass without records or stage marks', () => {
    const gates = evaluateGates({ ...ok, errorRate: null, generatorLimited: null });
    expect(gates.every((g) => g.ok)).toBe(true);
    expect(gates[1]?.value).toBeNull();
  });
});
