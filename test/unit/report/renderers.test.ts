import type { Report } from '../../../src/types.ts';
import { MAX_RESULT_BYTES, tektonResults } from '../../../src/report/tekton-results.ts';
import { renderText } from '../../../src/report/render-text.ts';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { renderHtml } from '../../../src/report/render-html.ts';
import { registryOf } from '../../../src/report/pushgateway.ts';

function report(over: Partial<Report> = {}): Report {
  return {
    runId: 'kvb-20261127T031500Z-42',
    verdict: 'PASS',
    hitRate: { delta: 0.94123, overall: 0.93, upperBound: 0.9534 },
    pods: [
      { name: 'decode-a', queries: 41152, hits: 38720, hitRate: 0.9409, share: 0.5, restarted: false },
      { name: 'decode-b', queries: 41152, hits: 38736, hitRate: 0.9413, share: 0.5, restarted: true },
      { name: 'decode-old', queries: 0, hits: 0, hitRate: null, share: 0, restarted: false, gone: true },
    ],
    stickiness: {
      grade: 'EXCELLENT',
      sessionConsistency: 0.9583,
      topPodShare: 0.5,
      balance: 1,
      hotSpot: false,
    },
    requests: { total: 1200, errors: 3 },
    latency: { ttftMs: { p50: 21.5, p95: 48.2, p99: 61 }, e2eMs: { p50: 900, p95: 1200, p99: 1500 } },
    stages: [
      {
        stage: 1,
        spec: '8x200',
        requests: 200,
        errors: 0,
        achievedRps: 12.5,
        ttftMs: { p50: 20, p95: 40, p99: 50 },
        generatorLimited: false,
      },
      {
        stage: 2,
        spec: '16x1000',
        requests: 1000,
        errors: 3,
        achievedRps: 20.1,
        ttftMs: { p50: 22, p95: 49, p99: 62 },
        generatorLimited: false,
      },
    ],
    warnings: ['pod decode-old is gone from the after-snapshot'],
    gates: [
      { name: 'min-hit-rate', threshold: 0.9, value: 0.94123, ok: true },
      { name: 'max-error-rate', threshold: 0.05, value: 0.0025, ok: true },
      { name: 'no-generator-limited-stage', threshold: false, value: false, ok: true },
    ],
    ...over,
  };
}

describe('Tekton results', () => {
  it('writes the hit rate with 4 decimals, the grade and the verdict', () => {
    const r = tektonResults(report());
    expect(r['hit-rate']).toBe('0.9412');
    expect(r.stickiness).toBe('EXCELLENT');
    expect(r.verdict).toBe('PASS');
  });

  it('writes n/a for an unknown hit rate', () => {
    expect(
      tektonResults(report({ hitRate: { delta: null, overall: null, upperBound: null } }))['hit-rate'],
    ).toBe('n/a');
  });

  it('keeps every result under 1 KB with no trailing newline, even with a huge run id and many pods', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({
      name: `pod-${i}`,
      queries: 1,
      hits: 1,
      hitRate: 1,
      share: 0.005,
      restarted: false,
    }));
    const r = tektonResults(report({ runId: 'x'.repeat(5000), pods: many, warnings: Array(500).fill('w') }));
    for (const [name, value] of Object.entries(r)) {
      expect([name, Buffer.byteLength(value) < MAX_RESULT_BYTES]).toEqual([name, true]);
      expect(value.endsWith('\n')).toBe(false);
    }
  });

  it('summarises as compact JSON a pipeline can read', () => {
    const summary = JSON.parse(tektonResults(report()).summary) as Record<string, unknown>;
    expect(summary).toMatchObject({
      verdict: 'PASS',
      hitRate: 0.9412,
      upperBound: 0.9534,
      stickiness: 'EXCELLENT',
      pods: 2,
      requests: 1200,
      errors: 3,
      failedGates: [],
    });
    expect(tektonResults(report()).summary).not.toMatch(/\s/);
  });
});

describe('renderText', () => {
  const text = renderText(report());

  it.each([
    ['the delta rate next to its bound', '94.1 % of a possible 95.3 %'],
    ['per-pod queries', '41,152'],
    ['a restarted pod', 'restarted'],
    ['a gone pod', 'gone'],
    ['the grade', 'Stickiness: EXCELLENT'],
    ['session consistency', '95.8 %'],
    ['a stage with its spec and TTFT p99', 'stage 2 16x1000'],
    ['the gates', 'ok  min-hit-rate'],
    ['the verdict last', 'VERDICT: PASS\n'],
  ])('shows %s', (_what, fragment) => {
    expect(text).toContain(fragment);
  });

  it('aligns the per-pod numbers in columns', () => {
    const rows = text.split('\n').filter((l) => /^ {2}decode-/.test(l));
    const ends = rows.map((l) => l.indexOf('41,152') + '41,152'.length);
    expect(new Set(ends.slice(0, 2)).size).toBe(1);
  });

  it('shows a baseline side by side', () => {
    const t = renderText(
      report({
        baseline: { policy: 'round-robin', hitRate: 0.412, ttftMs: { p50: 80, p95: 150, p99: 200 } },
      }),
    );
    expect(t).toMatch(/Baseline \(round-robin\)/);
    expect(t).toMatch(/delta hit rate\s+94\.1 %\s+41\.2 %/);
  });
});

describe('renderMarkdown', () => {
  it('renders tables with the figures and escapes pipes', () => {
    const md = renderMarkdown(report({ warnings: ['a | b'] }));
    expect(md).toContain('# kv-cache-bench: ✅ PASS');
    expect(md).toContain('| decode-a | 41,152 | 38,720 | 94.1 % | 50.0 % |  |');
    expect(md).toContain('- a | b');
    expect(md).toContain('| ✅ | min-hit-rate | 0.9412 | 0.9 |');
  });
});

describe('renderHtml', () => {
  const html = renderHtml(report({ runId: '<script>alert(1)</script>' }), {
    timeline: [
      { atSeconds: 10, cumulative: 0.5, interval: 0.5, queriesByPod: {} },
      { atSeconds: 20, cumulative: 0.8, interval: 0.9, queriesByPod: {} },
    ],
    sessions: [{ session: '|0', pods: ['decode-a', 'decode-a', 'decode-b'] }],
    sessionCount: 1,
  });

  it('is self-contained: no script, no external resource', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
  });

  it('escapes what it prints', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('puts the verdict and gates before the charts', () => {
    expect(html.indexOf('class="verdict PASS"')).toBeLessThan(html.indexOf('<svg'));
    expect(html.indexOf('<h2>Gates</h2>')).toBeLessThan(html.indexOf('<svg'));
  });

  it.each([
    ['the hit-rate timeline', 'Delta hit rate over the run'],
    ['the share per pod', 'Share of the delta queries per pod'],
    ['the TTFT percentiles per stage', 'TTFT percentiles per stage (ms)'],
    ['the stickiness grid', 'Serving pod per session'],
  ])('draws %s', (_what, title) => {
    expect(html).toContain(`<title>${title}</title>`);
  });
});

describe('Pushgateway figures', () => {
  it('exposes hit rates, per-pod rates, TTFT quantiles in seconds and the verdict', async () => {
    const text = await registryOf(report()).metrics();
    expect(text).toContain('kv_cache_bench_hit_rate{kind="delta"} 0.94123');
    expect(text).toContain('kv_cache_bench_pod_hit_rate{pod="decode-a"} 0.9409');
    expect(text).toContain('kv_cache_bench_ttft_seconds{quantile="0.99"} 0.061');
    expect(text).toContain('kv_cache_bench_verdict 1');
    expect(text).toContain('kv_cache_bench_stickiness{grade="EXCELLENT"} 1');
  });
});
