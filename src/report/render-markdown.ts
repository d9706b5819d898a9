// report.md: the same figures as the text report, as Markdown tables (a PR comment, a Tekton artifact). Pure.
import type { Report } from '../types.ts';
import { fixed, gateValue, hitRateSentence, int, ms, pct, podFigures, stageFigures } from './format.ts';

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  return [
    `| ${header.map(escapeCell).join(' | ')} |`,
    `| ${align.map((a) => (a === 'r' ? '---:' : ':---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`),
  ];
}

export function renderMarkdown(report: Report): string {
  const hr = report.hitRate;
  const st = report.stickiness;
  const out: string[] = [];
  out.push(
    `# kv-cache-bench: ${report.verdict === 'PASS' ? '✅ PASS' : '❌ FAIL'}`,
    '',
    `Run \`${report.runId}\`.`,
    '',
  );
  out.push(
    `**Delta hit rate: ${hitRateSentence(hr.delta, hr.upperBound)}.** Stickiness **${st.grade}**${st.hotSpot ? ' (hot spot)' : ''}.`,
    '',
  );

  out.push('## Gates', '');
  out.push(
    ...table(
      ['', 'gate', 'value', 'threshold'],
      report.gates.map((g) => [g.ok ? '✅' : '❌', g.name, gateValue(g.value), gateValue(g.threshold)]),
      ['l', 'l', 'r', 'r'],
    ),
    '',
  );

  out.push('## Hit rate', '');
  const rateRows = [
    ['delta (measured loop)', pct(hr.delta)],
    ['upper bound (perfect router, unlimited cache)', pct(hr.upperBound)],
    ['overall (pod lifetime)', pct(hr.overall)],
  ];
  if (hr.fromUsage !== undefined)
    rateRows.push(['from usage.prompt_tokens_details.cached_tokens', pct(hr.fromUsage)]);
  out.push(...table(['figure', 'value'], rateRows, ['l', 'r']), '');

  out.push('## Pods', '');
  out.push(
    ...table(
      ['pod', 'Δqueries', 'Δhits', 'hit rate', 'share', 'note'],
      report.pods.map((p) => [p.name, ...podFigures(p)]),
      ['l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  );

  out.push('## Stickiness', '');
  const stRows: string[][] = [['grade', st.grade]];
  if (st.sessionConsistency !== undefined) stRows.push(['session consistency', pct(st.sessionConsistency)]);
  stRows.push(
    ['top pod share', pct(st.topPodShare)],
    ['balance (normalised entropy)', fixed(st.balance, 2)],
    ['hot spot', st.hotSpot ? 'yes' : 'no'],
  );
  out.push(...table(['figure', 'value'], stRows, ['l', 'r']), '');

  const rq = report.requests;
  out.push('## Latency', '', `${int(rq.total)} measured requests, ${int(rq.errors)} errors.`, '');
  const lat = report.latency;
  const rows = [
    [
      'all measured',
      '',
      int(rq.total),
      int(rq.errors),
      '',
      ms(lat.ttftMs.p50),
      ms(lat.ttftMs.p95),
      ms(lat.ttftMs.p99),
      '',
    ],
    ...report.stages.map((s) => [
      String(s.stage),
      s.spec,
      ...stageFigures(s),
      s.generatorLimited ? 'generator-limited' : '',
    ]),
  ];
  out.push(
    ...table(['stage', 'spec', 'requests', 'errors', 'rps', 'TTFT p50 ms', 'p95', 'p99', 'note'], rows, [
      'l',
      'l',
      'r',
      'r',
      'r',
      'r',
      'r',
      'r',
      'l',
    ]),
    '',
  );
  out.push(
    `End-to-end ms: p50 ${ms(lat.e2eMs.p50)}, p95 ${ms(lat.e2eMs.p95)}, p99 ${ms(lat.e2eMs.p99)}.`,
    '',
  );

  if (report.baseline) {
    const b = report.baseline;
    out.push(`## Against the baseline (${b.policy})`, '');
    out.push(
      ...table(
        ['figure', 'this run', 'baseline'],
        [
          ['delta hit rate', pct(hr.delta), pct(b.hitRate)],
          ['TTFT p50 ms', ms(lat.ttftMs.p50), ms(b.ttftMs.p50)],
          ['TTFT p95 ms', ms(lat.ttftMs.p95), ms(b.ttftMs.p95)],
          ['TTFT p99 ms', ms(lat.ttftMs.p99), ms(b.ttftMs.p99)],
          ['throughput req/s', rps(report.requests.throughputRps), rps(b.throughputRps)],
        ],
        ['l', 'r', 'r'],
      ),
      '',
    );
  }
  if (report.warnings.length > 0) {
    out.push('## Warnings', '', ...report.warnings.map((w) => `- ${w}`), '');
  }
  return out.join('\n');
}

function rps(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(1);
}
