// Number formatting and column alignment shared by the text and Markdown renderers. Pure.
import type { PodReport, StageReport } from '../types.ts';

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(digits)} %`;
}

export function int(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined ? 'n/a' : x.toFixed(digits);
}

/** Pads columns to a common width; 'r' columns are right-aligned (numbers). */
export function alignColumns(
  rows: readonly (readonly string[])[],
  align: readonly ('l' | 'r')[],
  indent = '  ',
): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
  );
}

/** "a possible" figure next to the measured one: `94.1 % of a possible 95.3 %`. */
export function hitRateSentence(delta: number | null, upperBound: number | null): string {
  if (delta === null) return 'n/a (no prefix-cache queries between the snapshots)';
  return upperBound === null ? pct(delta) : `${pct(delta)} of a possible ${pct(upperBound)}`;
}

export function gateValue(x: number | boolean | null): string {
  if (x === null) return 'n/a';
  return typeof x === 'number' ? String(Number(x.toFixed(4))) : String(x);
}

/** requests, errors, achieved rps, TTFT p50/p95/p99 of one stage: the cells every renderer's stage table shares. */
export function stageFigures(s: StageReport): string[] {
  return [
    int(s.requests),
    int(s.errors),
    s.achievedRps === null ? '' : s.achievedRps.toFixed(1),
    ms(s.ttftMs.p50),
    ms(s.ttftMs.p95),
    ms(s.ttftMs.p99),
  ];
}

/** Δqueries, Δhits, hit rate, share and a note of one pod: the cells after the name in every pod table. */
export function podFigures(p: PodReport): string[] {
  return [
    int(p.queries),
    int(p.hits),
    pct(p.hitRate),
    pct(p.share),
    p.gone ? 'gone' : p.restarted ? 'restarted' : '',
  ];
}
