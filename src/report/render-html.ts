// report.html: one self-contained file (inline CSS and SVG, no script, nothing fetched), verdict and gates
// first, then the charts. Draws the same Report as the other renderers plus two details the Report contract
// leaves out: the hit-rate timeline from periodic scrapes and the per-conversation serving pods. Pure.
import type { Report } from '../types.ts';
import type { TimelinePoint } from '../analysis/timeline.ts';
import { fixed, gateValue, hitRateSentence, int, ms, pct, podFigures, stageFigures } from './format.ts';
import { PALETTE, barChart, esc, groupedBars, lineChart, stickinessGrid, type Series } from './svg.ts';

export interface HtmlDetails {
  timeline: TimelinePoint[];
  /** The first session slots, each with its first requests' serving pods (GRID_SESSIONS × GRID_CELLS). */
  sessions: { session: string; pods: string[] }[];
  /** How many session slots had a known serving pod in all. */
  sessionCount: number;
}

// The grid's size: a big run has thousands of requests per slot; the pattern shows in the first ones.
export const GRID_SESSIONS = 120;
export const GRID_CELLS = 60;

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:600}
.PASS{background:#2e7d32}.FAIL{background:#c62828}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#c62828;font-weight:600}.ok{color:#2e7d32}
.warn{background:#fff8e1;border-left:4px solid #f9a825;padding:6px 10px;margin:4px 0}svg{max-width:100%;height:auto}`;

function table(head: string[], rows: string[][], numeric: boolean[]): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

export function renderHtml(report: Report, details: HtmlDetails): string {
  const hr = report.hitRate;
  const st = report.stickiness;
  const podNames = [
    ...new Set([...report.pods.map((p) => p.name), ...details.sessions.flatMap((s) => s.pods)]),
  ];
  const colorOf = (pod: string): string => PALETTE[podNames.indexOf(pod) % PALETTE.length] ?? '#999';
  const body: string[] = [];

  body.push(`<h1>kv-cache-bench <span class="verdict ${report.verdict}">${report.verdict}</span></h1>`);
  body.push(
    `<p>Run <code>${esc(report.runId)}</code>. Delta hit rate <b>${esc(hitRateSentence(hr.delta, hr.upperBound))}</b>; stickiness <b>${st.grade}</b>${st.hotSpot ? ' (hot spot)' : ''}.</p>`,
  );
  body.push('<h2>Gates</h2>');
  body.push(
    table(
      ['', 'gate', 'value', 'threshold'],
      report.gates.map((g) => [
        g.ok ? '<span class="ok">ok</span>' : '<span class="bad">FAIL</span>',
        esc(g.name),
        esc(gateValue(g.value)),
        esc(gateValue(g.threshold)),
      ]),
      [false, false, true, true],
    ),
  );
  if (report.warnings.length > 0)
    body.push(...report.warnings.map((w) => `<div class="warn">${esc(w)}</div>`));

  body.push('<h2>Hit rate</h2>');
  const rateRows = [
    ['delta (measured loop)', pct(hr.delta)],
    ['upper bound (perfect router, unlimited cache)', pct(hr.upperBound)],
    ['overall (pod lifetime)', pct(hr.overall)],
  ];
  if (hr.fromUsage !== undefined) rateRows.push(['from usage cached_tokens', pct(hr.fromUsage)]);
  if (report.baseline)
    rateRows.push([`baseline (${esc(report.baseline.policy)})`, pct(report.baseline.hitRate)]);
  body.push(table(['figure', 'value'], rateRows, [false, true]));
  if (details.timeline.length > 0) {
    const series: Series[] = [
      {
        name: 'since start',
        color: PALETTE[0] as string,
        points: details.timeline.map((p) => ({ x: p.atSeconds, y: p.cumulative })),
      },
      {
        name: 'per interval',
        color: PALETTE[1] as string,
        points: details.timeline.map((p) => ({ x: p.atSeconds, y: p.interval })),
      },
    ];
    if (hr.upperBound !== null) {
      const last = details.timeline[details.timeline.length - 1]?.atSeconds ?? 1;
      series.push({
        name: 'upper bound',
        color: PALETTE[2] as string,
        points: [
          { x: 0, y: hr.upperBound },
          { x: last, y: hr.upperBound },
        ],
        dashed: true,
      });
    }
    body.push(
      lineChart({
        title: 'Delta hit rate over the run',
        xLabel: 'seconds since the before-snapshot',
        yMax: 1,
        yFormat: (y) => `${Math.round(y * 100)} %`,
        series,
      }),
    );
  }

  body.push('<h2>Pods</h2>');
  body.push(
    table(
      ['pod', 'Δqueries', 'Δhits', 'hit rate', 'share', 'note'],
      report.pods.map((p) => [
        `<span style="color:${colorOf(p.name)}">■</span> ${esc(p.name)}`,
        ...podFigures(p),
      ]),
      [false, true, true, true, true, false],
    ),
  );
  const live = report.pods.filter((p) => !p.gone);
  if (live.length > 0) {
    body.push(
      barChart({
        title: 'Share of the delta queries per pod',
        max: 1,
        rows: live.map((p) => ({
          label: p.name,
          value: p.share ?? 0,
          text: `${pct(p.share)} · hit rate ${pct(p.hitRate)}`,
          color: colorOf(p.name),
        })),
      }),
    );
  }

  body.push('<h2>Stickiness</h2>');
  const stRows = [['grade', st.grade]];
  if (st.sessionConsistency !== undefined) stRows.push(['session consistency', pct(st.sessionConsistency)]);
  stRows.push(
    ['top pod share', pct(st.topPodShare)],
    ['balance', fixed(st.balance, 2)],
    ['hot spot', st.hotSpot ? 'yes' : 'no'],
  );
  body.push(
    table(
      ['figure', 'value'],
      stRows.map((r) => r.map(esc)),
      [false, true],
    ),
  );
  if (details.sessions.length > 0) {
    const shown = details.sessions.slice(0, GRID_SESSIONS);
    const more =
      shown.length < details.sessionCount ? ` (first ${shown.length} of ${details.sessionCount} slots)` : '';
    body.push(
      `<p>Serving pod of each slot's first ${GRID_CELLS} measured requests, one row per session slot${more}:</p>`,
    );
    body.push(
      stickinessGrid({ title: 'Serving pod per session', sessions: shown, colorOf, maxCells: GRID_CELLS }),
    );
  }

  body.push('<h2>Latency</h2>');
  const lat = report.latency;
  body.push(
    `<p>${int(report.requests.total)} measured requests, ${int(report.requests.errors)} errors. End-to-end ms: p50 ${ms(lat.e2eMs.p50)}, p95 ${ms(lat.e2eMs.p95)}, p99 ${ms(lat.e2eMs.p99)}.</p>`,
  );
  const stageRows = report.stages.map((s) => [
    esc(`${s.stage}${s.spec ? ` (${s.spec})` : ''}`),
    ...stageFigures(s),
    s.generatorLimited ? '<span class="bad">generator-limited</span>' : '',
  ]);
  stageRows.unshift([
    'all measured',
    int(report.requests.total),
    int(report.requests.errors),
    '',
    ms(lat.ttftMs.p50),
    ms(lat.ttftMs.p95),
    ms(lat.ttftMs.p99),
    '',
  ]);
  if (report.baseline)
    stageRows.push([
      `baseline (${esc(report.baseline.policy)})`,
      '',
      '',
      '',
      ms(report.baseline.ttftMs.p50),
      ms(report.baseline.ttftMs.p95),
      ms(report.baseline.ttftMs.p99),
      '',
    ]);
  body.push(
    table(['stage', 'requests', 'errors', 'rps', 'TTFT p50 ms', 'p95', 'p99', ''], stageRows, [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]),
  );
  const groups = ['all', ...report.stages.map((s) => `stage ${s.stage}`)];
  const per = [lat.ttftMs, ...report.stages.map((s) => s.ttftMs)];
  if (per.some((p) => p.p50 !== null)) {
    body.push(
      groupedBars({
        title: 'TTFT percentiles per stage (ms)',
        groups,
        // Round axis ticks print as integers; other values (the bars' tooltips) as the tables do.
        yFormat: (y) => (Number.isInteger(y) ? String(y) : ms(y)),
        series: [
          { name: 'p50', color: PALETTE[0] as string, values: per.map((p) => p.p50) },
          { name: 'p95', color: PALETTE[1] as string, values: per.map((p) => p.p95) },
          { name: 'p99', color: PALETTE[3] as string, values: per.map((p) => p.p99) },
        ],
      }),
    );
  }
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>kv-cache-bench ${esc(report.runId)}: ${report.verdict}</title><style>${CSS}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}
