// The plain-text report on stdout: the reference demo's log figures (per-pod deltas, aggregate delta hit
// rate, stickiness), laid out as tables, with what it lacked: the bound, latency per stage, gates. Pure.
import type { Report } from '../types.ts';
import {
  alignColumns,
  fixed,
  gateValue,
  hitRateSentence,
  int,
  ms,
  pct,
  podFigures,
  stageFigures,
} from './format.ts';

export function renderText(report: Report): string {
  const out: string[] = [];
  out.push(`kv-cache-bench report   run ${report.runId}   verdict ${report.verdict}`, '');

  const hr = report.hitRate;
  out.push('Prefix-cache hit rate (vLLM counters, tokens)');
  const totalQ = report.pods.reduce((s, p) => s + p.queries, 0);
  const totalH = report.pods.reduce((s, p) => s + p.hits, 0);
  const rateRows: string[][] = [
    [
      'delta (measured loop)',
      hitRateSentence(hr.delta, hr.upperBound),
      `Δhits ${int(totalH)} / Δqueries ${int(totalQ)}`,
    ],
    ['overall (pod lifetime)', pct(hr.overall), ''],
  ];
  if (hr.fromUsage !== undefined) rateRows.push(['from usage.cached_tokens', pct(hr.fromUsage), '']);
  out.push(...alignColumns(rateRows, ['l', 'l', 'l']), '');

  out.push('Per pod (deltas between the snapshots)');
  const podRows: string[][] = [['pod', 'queries', 'hits', 'hit rate', 'share', 'note']];
  for (const p of report.pods) podRows.push([p.name, ...podFigures(p)]);
  out.push(...alignColumns(podRows, ['l', 'r', 'r', 'r', 'r', 'l']), '');

  const st = report.stickiness;
  out.push(`Stickiness: ${st.grade}${st.hotSpot ? ' (hot spot)' : ''}`);
  const stRows: string[][] = [];
  if (st.sessionConsistency !== undefined)
    stRows.push([
      'session consistency',
      pct(st.sessionConsistency),
      'conversations served by one pod throughout',
    ]);
  stRows.push(['top pod share', pct(st.topPodShare), "busiest pod's share of the delta queries"]);
  stRows.push(['balance', fixed(st.balance, 2), '1 = evenly spread, 0 = all on one pod']);
  out.push(...alignColumns(stRows, ['l', 'r', 'l']), '');

  const rq = report.requests;
  out.push(
    `Requests: ${int(rq.total)} measured, ${int(rq.errors)} errors (${pct(rq.total > 0 ? rq.errors / rq.total : null, 2)})`,
  );
  const latRows: string[][] = [['', 'requests', 'errors', 'rps', 'TTFT p50', 'p95', 'p99', '']];
  latRows.push([
    'all measured',
    int(rq.total),
    int(rq.errors),
    '',
    ms(report.latency.ttftMs.p50),
    ms(report.latency.ttftMs.p95),
    ms(report.latency.ttftMs.p99),
    '',
  ]);
  for (const s of report.stages) {
    latRows.push([
      `stage ${s.stage}${s.spec ? ` ${s.spec}` : ''}`,
      ...stageFigures(s),
      s.generatorLimited ? 'generator-limited' : '',
    ]);
  }
  out.push(...alignColumns(latRows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l']));
  const e2e = report.latency.e2eMs;
  out.push(`  end-to-end ms: p50 ${ms(e2e.p50)}  p95 ${ms(e2e.p95)}  p99 ${ms(e2e.p99)}`, '');

  if (report.baseline) {
    const b = report.baseline;
    out.push(`Baseline (${b.policy})`);
    out.push(
      ...alignColumns(
        [
          ['', 'this run', 'baseline'],
          ['delta hit rate', pct(hr.delta), pct(b.hitRate)],
          ['TTFT p50 ms', ms(report.latency.ttftMs.p50), ms(b.ttftMs.p50)],
          ['TTFT p95 ms', ms(report.latency.ttftMs.p95), ms(b.ttftMs.p95)],
          ['TTFT p99 ms', ms(report.latency.ttftMs.p99), ms(b.ttftMs.p99)],
          ['throughput req/s', rps(report.requests.throughputRps), rps(b.throughputRps)],
        ],
        ['l', 'r', 'r'],
      ),
      '',
    );
  }

  out.push('Gates');
  out.push(
    ...alignColumns(
      report.gates.map((g) => [
        g.ok ? 'ok' : 'FAIL',
        g.name,
        `value ${gateValue(g.value)}`,
        `threshold ${gateValue(g.threshold)}`,
      ]),
      ['l', 'l', 'l', 'l'],
    ),
    '',
  );
  if (report.warnings.length > 0) {
    out.push('Warnings');
    for (const w of report.warnings) out.push(`  - ${w}`);
    out.push('');
  }
  out.push(`VERDICT: ${report.verdict}`);
  return `${out.join('\n')}\n`;
}

function rps(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(1);
}
