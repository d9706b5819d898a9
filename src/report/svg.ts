// Hand-made inline SVG charts for report.html: no library, no external resource. Pure.

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function n(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 10) / 10) : '0';
}

/**
 * Rough width of `text` in px: the renderer is pure and has no font metrics, so it assumes a wide average
 * glyph (0.62 em of a sans-serif) and leaves the surplus as margin. Keeps pod names from being clipped.
 */
export function textWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * 0.62);
}

/**
 * An axis maximum at or above `x` whose quarters are round numbers (the charts draw 4 tick intervals):
 * the smallest of 1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 × 10^k, e.g. 109 → 120 (0, 30, 60, 90, 120).
 */
export function niceMax(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const scale = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8])
    if (m * scale >= x * (1 - 1e-9)) return Number((m * scale).toPrecision(6));
  return 10 * scale;
}

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number | null }[];
  dashed?: boolean;
}

/** Line chart; y in [0, yMax]. Points with y null break the line. */
export function lineChart(opts: {
  title: string;
  xLabel: string;
  yMax: number;
  yFormat: (y: number) => string;
  series: Series[];
  width?: number;
  height?: number;
}): string {
  const w = opts.width ?? 640;
  const h = opts.height ?? 260;
  const m = { l: 52, r: 16, t: 28, b: 40 };
  const xs = opts.series.flatMap((s) => s.points.map((p) => p.x));
  const xMax = niceMax(Math.max(0, ...xs));
  const px = (x: number): number => m.l + (x / xMax) * (w - m.l - m.r);
  const py = (y: number): number => h - m.b - (Math.min(y, opts.yMax) / opts.yMax) * (h - m.t - m.b);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = (opts.yMax * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${n(py(y))}" y2="${n(py(y))}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${n(py(y) + 4)}" text-anchor="end" font-size="11">${esc(opts.yFormat(y))}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const x = (xMax * i) / 4;
    parts.push(
      `<text x="${n(px(x))}" y="${h - m.b + 14}" text-anchor="middle" font-size="10" fill="#555">${String(Number(x.toPrecision(3)))}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.l + w - m.r) / 2}" y="${h - 6}" text-anchor="middle" font-size="11">${esc(opts.xLabel)}</text>`,
  );
  opts.series.forEach((s, i) => {
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (p.y === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${n(px(p.x))},${n(py(p.y))} `;
      pen = true;
    }
    parts.push(
      `<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    for (const p of s.points)
      if (p.y !== null)
        parts.push(`<circle cx="${n(px(p.x))}" cy="${n(py(p.y))}" r="2.5" fill="${s.color}"/>`);
    parts.push(legend(m.l + 8 + i * 150, m.t - 10, s.color, s.name));
  });
  return svg(w, h, opts.title, parts);
}

function legend(x: number, y: number, color: string, label: string): string {
  return `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${y}" font-size="11">${esc(label)}</text>`;
}

function svg(w: number, h: number, title: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${parts.join('')}</svg>`;
}

/** Horizontal bars, one row per item; `value` in [0, max]. */
export function barChart(opts: {
  title: string;
  rows: { label: string; value: number; text: string; color?: string }[];
  max: number;
  width?: number;
}): string {
  const w = opts.width ?? 640;
  const rowH = 24;
  // Label and value columns as wide as their longest text (pod names run to 30+ characters), the bar
  // keeping at least a third of the width.
  const widest = (texts: string[]): number => Math.max(0, ...texts.map((t) => textWidth(t, 12)));
  const labelW = Math.min(w / 3, widest(opts.rows.map((r) => r.label)) + 12);
  const textW = Math.min(w / 3, widest(opts.rows.map((r) => r.text)) + 12);
  const barW = w - labelW - textW;
  const h = 12 + opts.rows.length * rowH;
  const parts = opts.rows.map((r, i) => {
    const y = 6 + i * rowH;
    const bw = opts.max > 0 ? (Math.min(Math.max(0, r.value), opts.max) / opts.max) * barW : 0;
    return (
      `<text x="${n(labelW - 6)}" y="${y + 15}" text-anchor="end" font-size="12">${esc(r.label)}</text>` +
      `<rect x="${n(labelW)}" y="${y + 3}" width="${n(bw)}" height="${rowH - 8}" fill="${r.color ?? PALETTE[0]}"/>` +
      `<text x="${n(labelW + bw + 6)}" y="${y + 15}" font-size="12">${esc(r.text)}</text>`
    );
  });
  return svg(w, h, opts.title, parts);
}

/** Grouped vertical bars: groups along x, one bar per series in each group. */
export function groupedBars(opts: {
  title: string;
  groups: string[];
  series: { name: string; color: string; values: (number | null)[] }[];
  yFormat: (y: number) => string;
  width?: number;
  height?: number;
}): string {
  const w = opts.width ?? 640;
  const h = opts.height ?? 240;
  const m = { l: 52, r: 16, t: 28, b: 36 };
  const max = niceMax(
    Math.max(0, ...opts.series.flatMap((s) => s.values.filter((v): v is number => v !== null))),
  );
  const gw = (w - m.l - m.r) / Math.max(1, opts.groups.length);
  const bw = (gw * 0.8) / Math.max(1, opts.series.length);
  const py = (y: number): number => h - m.b - (y / max) * (h - m.t - m.b);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = (max * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${n(py(y))}" y2="${n(py(y))}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${n(py(y) + 4)}" text-anchor="end" font-size="11">${esc(opts.yFormat(y))}</text>`,
    );
  }
  opts.groups.forEach((g, gi) => {
    const x0 = m.l + gi * gw + gw * 0.1;
    opts.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined) return;
      parts.push(
        `<rect x="${n(x0 + si * bw)}" y="${n(py(v))}" width="${n(bw - 2)}" height="${n(h - m.b - py(v))}" fill="${s.color}"><title>${esc(`${g} ${s.name}: ${opts.yFormat(v)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${n(x0 + gw * 0.4)}" y="${h - m.b + 16}" text-anchor="middle" font-size="11">${esc(g)}</text>`,
    );
  });
  opts.series.forEach((s, i) => parts.push(legend(m.l + 8 + i * 90, m.t - 10, s.color, s.name)));
  return svg(w, h, opts.title, parts);
}

/** One row per conversation slot, one square per request coloured by the pod that served it. */
export function stickinessGrid(opts: {
  title: string;
  sessions: { session: string; pods: string[] }[];
  colorOf: (pod: string) => string;
  maxCells?: number;
}): string {
  const cell = 10;
  const labelW = 60;
  const maxCells = opts.maxCells ?? 60;
  const cols = Math.min(maxCells, Math.max(1, ...opts.sessions.map((s) => s.pods.length)));
  const w = labelW + cols * (cell + 2) + 8;
  const h = 8 + opts.sessions.length * (cell + 2);
  const parts: string[] = [];
  opts.sessions.forEach((s, r) => {
    const y = 4 + r * (cell + 2);
    parts.push(
      `<text x="${labelW - 6}" y="${y + cell - 1}" text-anchor="end" font-size="9">${esc(s.session)}</text>`,
    );
    s.pods.slice(0, maxCells).forEach((pod, c) => {
      parts.push(
        `<rect x="${labelW + c * (cell + 2)}" y="${y}" width="${cell}" height="${cell}" fill="${opts.colorOf(pod)}"><title>${esc(`${s.session} #${c + 1}: ${pod}`)}</title></rect>`,
      );
    });
  });
  return svg(w, h, opts.title, parts);
}
