// The bench's one table: each figure next to its target (issue #8). Pure: results in, lines out.
import type { ClockResolution } from './clock.ts';
import type { ReportScaleResult } from './report-scale.ts';
import type { ScrapeScaleResult } from './scrape-scale.ts';
import type { ThroughputResult } from './throughput.ts';
import type { TtftFigure } from './ttft.ts';

export interface BenchResults {
  startedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    loadAverageBefore: number[];
    loadAverageAfter?: number[];
    /** the CLI entry the bench ran: dist (built) or src (type stripping) */
    cli: string;
    /** nice value of the measured processes (null: unchanged) */
    priority: number | null;
  };
  clock: ClockResolution[];
  throughput?: ThroughputResult;
  ttft?: TtftFigure[];
  report?: ReportScaleResult;
  scrape?: ScrapeScaleResult;
}

export interface Row {
  figure: string;
  value: string;
  target: string;
  /** null: a figure with no target */
  ok: boolean | null;
}

const n0 = (v: number): string => Math.round(v).toLocaleString('en');
const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

function throughputRows(t: ThroughputResult): Row[] {
  const ac = t.autocannon.rps;
  const rows: Row[] = [
    {
      figure: `ramp-load --no-stream, ${t.concurrency} conc.`,
      value: `${n0(t.rampLoad.rps)} req/s`,
      target: '≥ 1,000 req/s',
      ok: t.rampLoad.rps >= 1000,
    },
    {
      figure: '  ÷ autocannon (same body, same conc.)',
      value: `${ratio(t.rampLoad.rps, ac).toFixed(2)}× (autocannon ${n0(ac)} req/s)`,
      target: '≥ 1.0×',
      ok: t.rampLoad.rps >= ac,
    },
    t.wrk
      ? {
          figure: '  ÷ wrk (same body, same conc.)',
          value: `${ratio(t.rampLoad.rps, t.wrk.rps).toFixed(2)}× (wrk ${n0(t.wrk.rps)} req/s)`,
          target: '(figure)',
          ok: null,
        }
      : { figure: '  ÷ wrk', value: `n/a: ${t.wrkNote ?? 'not run'}`, target: '(figure)', ok: null },
    {
      figure: '  undici alone (same body, same conc.)',
      value: `${n0(t.undici.rps)} req/s: ${ratio(t.undici.rps, ac).toFixed(2)}× autocannon`,
      target: '(figure: the HTTP client’s ceiling)',
      ok: null,
    },
    {
      figure: '  ramp-load’s own work without HTTP (runner, prompts, body, parse, records)',
      value: `${t.workloadCpuMsPerRequest.toFixed(3)} ms CPU/request`,
      target: '(figure: ramp-load’s cost on top of undici)',
      ok: null,
    },
    {
      figure: `ramp-load streaming, ${t.concurrency} conc.`,
      value: `${n0(t.rampLoadStream.rps)} req/s`,
      target: '≥ 350 req/s',
      ok: t.rampLoadStream.rps >= 350,
    },
    {
      figure: '  schedule lag p99 (streaming)',
      value: ms(t.rampLoadStream.scheduleLagP99Ms ?? NaN),
      target: '< 10 ms',
      ok: (t.rampLoadStream.scheduleLagP99Ms ?? Infinity) < 10,
    },
    {
      figure: '  generator CPU/request: wrk / autocannon / undici / ramp / stream',
      value: [t.wrk, t.autocannon, t.undici, t.rampLoad, t.rampLoadStream]
        .map((f) => (f?.cpuMsPerRequest == null ? '?' : f.cpuMsPerRequest.toFixed(3)))
        .join(' / ')
        .concat(' ms'),
      target: '(figure: start-up taken out)',
      ok: null,
    },
    {
      figure: '  pod process CPU: wrk / autocannon / undici / ramp / stream',
      value: [t.wrk, t.autocannon, t.undici, t.rampLoad, t.rampLoadStream]
        .map((f) => (f ? String(f.serverCpuPct) : '?'))
        .join(' / ')
        .concat(' %'),
      target: '(figure: 100 % = pod-bound)',
      ok: null,
    },
  ];
  return rows;
}

function ttftRows(figures: TtftFigure[]): Row[] {
  return figures.flatMap((f) => [
    {
      figure:
        `TTFT error, ${f.concurrency} streams (load CPU ${f.loadCpu ?? '-'}, pods CPU ${f.serverCpu ?? '-'}` +
        `${f.nodeArgs.length ? `, ${f.nodeArgs.join(' ')}` : ''})`,
      value: `median ${ms(f.error.median)}, p99 ${ms(f.error.p99)} (n=${f.samples}, ${f.measuredConcurrency} open)`,
      target: f.concurrency === 512 ? 'p99 < 2 ms' : '(figure)',
      ok: f.concurrency === 512 ? f.error.p99 < 2 : null,
    },
    {
      figure: '  of which: pod late / client + loopback',
      value:
        `${f.podLate ? `${ms(f.podLate.median)}, p99 ${ms(f.podLate.p99)}` : '?'} / ` +
        `${f.clientOverPod ? `${ms(f.clientOverPod.median)}, p99 ${ms(f.clientOverPod.p99)}` : '?'}`,
      target: '(figure: medians, p99s)',
      ok: null,
    },
    {
      figure: '  pod GC pauses (> 2 ms, longest) / client loop lag p99',
      value: `${f.podGc.pauses} (${f.podGc.over2Ms}, ${ms(f.podGc.maxMs)}) / ${ms(f.clientLoopLagP99Ms)}`,
      target: '(figure: what delays a first token)',
      ok: null,
    },
    ...(f.floor
      ? [
          {
            figure: '  bare node:http + undici, same streams and rate',
            value: `median ${ms(f.floor.error.median)}, p99 ${ms(f.floor.error.p99)} (n=${f.floor.samples})`,
            target: '(figure: the floor on this machine)',
            ok: null,
          },
          {
            figure: '    of which: request / server timer / response',
            value: [f.floor.legs.request, f.floor.legs.timer, f.floor.legs.response]
              .map((s) => `${ms(s.median)}, p99 ${ms(s.p99)}`)
              .join(' / '),
            target: '(figure: medians, p99s)',
            ok: null,
          },
        ]
      : []),
  ]);
}

export function benchRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  if (r.throughput) rows.push(...throughputRows(r.throughput));
  if (r.ttft) rows.push(...ttftRows(r.ttft));
  if (r.report) {
    rows.push(
      {
        figure: `report over ${n0(r.report.records)} records (${r.report.fileMb} MB)`,
        value: `${r.report.wallSeconds.toFixed(1)} s`,
        target: '< 15 s',
        ok: r.report.wallSeconds < 15 && r.report.reportedRequests === r.report.records,
      },
      {
        figure: '  peak RSS',
        value: r.report.peakRssMb === null ? 'n/a' : `${n0(r.report.peakRssMb)} MB`,
        target: '< 400 MB',
        ok: r.report.peakRssMb === null ? null : r.report.peakRssMb < 400,
      },
    );
  }
  if (r.scrape) {
    rows.push({
      figure: `scrape-metrics --via urls, ${r.scrape.pods} pods (${r.scrape.podsRead} read)`,
      value: `${r.scrape.wallSeconds.toFixed(2)} s (start-up ${r.scrape.startupSeconds.toFixed(2)} s)`,
      target: '< 1 s',
      ok: r.scrape.wallSeconds < 1 && r.scrape.podsRead === r.scrape.pods,
    });
  }
  return rows;
}

export function renderTable(rows: Row[]): string[] {
  const head: Row = { figure: 'figure', value: 'measured', target: 'target', ok: null };
  const w = {
    figure: Math.max(...[head, ...rows].map((x) => x.figure.length)),
    value: Math.max(...[head, ...rows].map((x) => x.value.length)),
    target: Math.max(...[head, ...rows].map((x) => x.target.length)),
  };
  const line = (x: Row, mark: string): string =>
    `| ${x.figure.padEnd(w.figure)} | ${x.value.padEnd(w.value)} | ${x.target.padEnd(w.target)} | ${mark.padEnd(4)} |`;
  return [
    line(head, 'met'),
    `|${'-'.repeat(w.figure + 2)}|${'-'.repeat(w.value + 2)}|${'-'.repeat(w.target + 2)}|------|`,
    ...rows.map((x) => line(x, x.ok === null ? '' : x.ok ? 'yes' : 'NO')),
  ];
}

export function clockLines(r: BenchResults): string[] {
  const c = r.clock
    .map(
      (x) =>
        `CPU ${x.cpu}: clock step median ${(x.medianStepMs * 1000).toFixed(2)} µs (max ${x.maxStepMs.toFixed(1)} ms), 1 ms sleep takes ${x.sleep1msMedianMs.toFixed(2)} ms median (max ${x.sleep1msMaxMs.toFixed(1)} ms)`,
    )
    .join('; ');
  const load = (l: number[] | undefined): string => (l ? l.map((v) => v.toFixed(2)).join(' ') : '?');
  return [
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}; load average before ${load(r.machine.loadAverageBefore)}, after ${load(r.machine.loadAverageAfter)}; CLI ${r.machine.cli}; measured processes at nice ${r.machine.priority ?? 0}`,
    `clock: ${c}`,
  ];
}
