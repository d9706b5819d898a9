import { deltaByPod } from '../../../src/analysis/deltas.ts';
import { deltaHitRate, overallHitRate, podReports } from '../../../src/analysis/hit-rate.ts';
import { T0, T1, counters, pod, snap } from './fixtures.ts';

describe('deltaByPod', () => {
  it('subtracts the before-values of the same pod', () => {
    const d = deltaByPod(snap(T0, [pod('a', 100, 0)]), snap(T1, [pod('a', 1100, 900)]));
    expect(d.pods[0]).toMatchObject({
      name: 'a',
      restarted: false,
      gone: false,
      counters: { prefixCacheQueries: 1000, prefixCacheHits: 900 },
    });
    expect(d.warnings).toEqual([]);
  });

  it.each([
    [
      'its uid changed (same name, e.g. a StatefulSet pod)',
      pod('a', 5000, 4000),
      pod('a', 300, 200, { uid: 'uid-new' }),
    ],
    ['its startTime changed', pod('a', 100, 0), pod('a', 300, 200, { startTime: '2026-01-01T00:05:00Z' })],
    [
      'its _created timestamp changed (urls snapshots)',
      pod('a', 100, 0, { createdAt: 1.7e9 }),
      pod('a', 300, 200, { createdAt: 1.7e9 + 600 }),
    ],
    ['a counter went down', pod('a', 5000, 4000), pod('a', 300, 200)],
  ])('treats a pod as restarted when %s, counting its after-value', (_what, before, after) => {
    const d = deltaByPod(snap(T0, [before]), snap(T1, [after]));
    expect(d.pods[0]).toMatchObject({
      restarted: true,
      counters: { prefixCacheQueries: 300, prefixCacheHits: 200 },
    });
    expect(d.warnings.join(' ')).toMatch(/pod a restarted/);
  });

  it('treats a pod only in the after-snapshot that started after the before-snapshot as restarted', () => {
    const d = deltaByPod(
      snap(T0, [pod('a', 10, 0)]),
      snap(T1, [pod('a', 20, 10), pod('b', 300, 200, { startTime: '2026-01-01T00:02:00Z' })]),
    );
    expect(d.pods.find((p) => p.name === 'b')).toMatchObject({
      restarted: true,
      gone: false,
      counters: { prefixCacheQueries: 300 },
    });
  });

  it("treats a pod that started in the before-snapshot's own second as started after it (whole-second startTime)", () => {
    const d = deltaByPod(
      snap('2026-01-01T00:00:00.700Z', []),
      snap(T1, [pod('b', 300, 200, { startTime: '2026-01-01T00:00:00Z' })]),
    );
    expect(d.pods[0]).toMatchObject({ restarted: true, counters: { prefixCacheQueries: 300 } });
  });

  it('counts a pod only in the after-snapshot that started earlier, with a warning', () => {
    const d = deltaByPod(snap(T0, []), snap(T1, [pod('b', 300, 200)]));
    expect(d.pods[0]).toMatchObject({ restarted: false, counters: { prefixCacheQueries: 300 } });
    expect(d.warnings[0]).toMatch(/pod b is not in the before-snapshot although it started before it/);
  });

  it('lists a pod only in the before-snapshot as gone, contributing nothing', () => {
    const d = deltaByPod(snap(T0, [pod('a', 10, 0), pod('old', 5000, 4000)]), snap(T1, [pod('a', 110, 90)]));
    expect(d.pods.find((p) => p.name === 'old')).toMatchObject({
      gone: true,
      ready: false,
      counters: { prefixCacheQueries: 0, prefixCacheHits: 0 },
    });
    expect(deltaHitRate(d.pods)).toEqual({ hits: 90, queries: 100, rate: 0.9 });
    expect(d.warnings.join(' ')).toMatch(/pod old is gone from the after-snapshot/);
  });

  it('reads an absent counter as 0 (the llm-d simulator creates series on the first request)', () => {
    const d = deltaByPod(snap(T0, [pod('a', null, null)]), snap(T1, [pod('a', 100, 80)]));
    expect(d.pods[0]?.counters.prefixCacheHits).toBe(80);
    expect(d.pods[0]?.restarted).toBe(false);
  });

  it('never yields a negative delta', () => {
    const before = pod('a', 100, 90, { counters: counters(100, 90, { preemptions: 5 }) });
    const after = pod('a', 100, 90, { counters: counters(100, 90, { preemptions: 2 }) });
    const d = deltaByPod(snap(T0, [before]), snap(T1, [after]));
    expect(Object.values(d.pods[0]?.counters ?? {}).every((v) => v >= 0)).toBe(true);
  });

  it.each([
    [
      'before',
      pod('a', 0, 0, { error: 'ECONNREFUSED' }),
      pod('a', 100, 90),
      100,
      /could not be read before the run/,
    ],
    ['after', pod('a', 10, 0), pod('a', 0, 0, { error: 'timeout' }), 0, /could not be read after the run/],
  ])('warns about a pod that could not be read %s', (_when, before, after, queries, warning) => {
    const d = deltaByPod(snap(T0, [before]), snap(T1, [after]));
    expect(d.pods[0]?.counters.prefixCacheQueries).toBe(queries);
    expect(d.pods[0]?.error).toBeDefined();
    expect(d.warnings.join(' ')).toMatch(warning);
  });

  it('warns when preemptions grew (vLLM 0.10 counts a preempted request again)', () => {
    const d = deltaByPod(
      snap(T0, [pod('a', 10, 0)]),
      snap(T1, [pod('a', 110, 90, { counters: counters(110, 90, { preemptions: 3 }) })]),
    );
    expect(d.warnings.join(' ')).toMatch(/3 preemptions during the run/);
  });

  it('warns when the snapshots are of different models', () => {
    expect(deltaByPod(snap(T0, []), snap(T1, [], { model: 'other' })).warnings[0]).toMatch(
      /different models: m before, other after/,
    );
  });
});

describe('hit rates', () => {
  it('sums hits and queries over pods before dividing, never averaging ratios', () => {
    const d = deltaByPod(
      snap(T0, [pod('a', 0, 0), pod('b', 0, 0)]),
      snap(T1, [pod('a', 900, 900), pod('b', 100, 0)]),
    );
    expect(deltaHitRate(d.pods).rate).toBe(0.9);
    expect(podReports(d.pods)).toEqual([
      { name: 'a', queries: 900, hits: 900, hitRate: 1, share: 0.9, restarted: false },
      { name: 'b', queries: 100, hits: 0, hitRate: 0, share: 0.1, restarted: false },
    ]);
  });

  it('gives null rates when nothing was queried', () => {
    const d = deltaByPod(snap(T0, [pod('a', 5, 0)]), snap(T1, [pod('a', 5, 0)]));
    expect(deltaHitRate(d.pods).rate).toBeNull();
    expect(podReports(d.pods)[0]).toMatchObject({ hitRate: null, share: null });
  });

  it('computes the overall rate from the after-snapshot totals', () => {
    expect(overallHitRate(snap(T1, [pod('a', 300, 150), pod('b', 100, 50), pod('c', null, null)]))).toBe(0.5);
  });
});
