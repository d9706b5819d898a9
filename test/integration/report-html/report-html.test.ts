// report.html as a reader sees it: a small real `demo` (embedded stack, session-token affinity, periodic
// scrapes) writes it, and real headless Chromium (/usr/bin/chromium driven by playwright-core) opens it.
// Every chart must be drawn with the run's data and fit its box, the page must log no error and fetch
// nothing but itself. A full-page screenshot goes to test-artifacts/report.png for a human look.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { hitRateTimeline } from '../../../src/analysis/timeline.ts';
import { readScrapeFiles } from '../../../src/analysis/records.ts';
import { GRID_CELLS } from '../../../src/report/render-html.ts';
import type { Report, RequestRecord, Snapshot } from '../../../src/types.ts';
import { runCli } from '../load/cli-io.ts';
import { requireBinary } from '../../helpers/prometheus.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACT = join(ROOT, 'test-artifacts', 'report.png');

let dir: string;
let profile: string;
let context: BrowserContext | undefined;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
let report: Report;

const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;

beforeAll(async () => {
  requireBinary(CHROMIUM, 'chromium');
  dir = mkdtempSync(join(tmpdir(), 'kvb-html-'));
  profile = mkdtempSync(join(tmpdir(), 'kvb-chromium-'));
  // Realistic latency and 1 s scrapes so the timeline has several points; session-token affinity
  // spreads the conversations over the pods, so the grid and the share bars show more than one colour.
  const demo = await runCli([
    'demo',
    '--out-dir',
    dir,
    '--policy',
    'session-token',
    '--latency',
    'realistic',
    '--tokenizer',
    'approx',
    '--max-tokens',
    '40',
    '--sessions',
    '6',
    '--turns',
    '4',
    '--stages',
    '3x2s,6x2s',
    '--scrape-every',
    '1s',
  ]);
  // The default 0.9 gate may or may not pass on so short a run; either way the report is written.
  if (demo.code !== 0 && demo.code !== 1) throw new Error(`demo exited ${demo.code}: ${demo.stderr}`);
  report = readJson<Report>('report.json');

  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1000, height: 800 },
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ChartShape {
  width: number;
  height: number;
  circles: number;
  paths: string[];
  rects: { width: number; height: number; fill: string; title: string }[];
  /** texts sticking out of the viewBox: clipped labels */
  clipped: string[];
}

function chart(label: string): Promise<ChartShape> {
  return page.$eval(`svg[aria-label="${label}"]`, (svg) => {
    const box = svg.getBoundingClientRect();
    const view = (svg as SVGSVGElement).viewBox.baseVal;
    const clipped = [...svg.querySelectorAll('text')]
      .filter((t) => {
        const b = t.getBBox();
        return (
          b.x < -0.5 || b.y < -0.5 || b.x + b.width > view.width + 0.5 || b.y + b.height > view.height + 0.5
        );
      })
      .map((t) => t.textContent ?? '');
    return {
      width: box.width,
      height: box.height,
      circles: svg.querySelectorAll('circle').length,
      paths: [...svg.querySelectorAll('path')].map((p) => p.getAttribute('d') ?? ''),
      // Plotted bars and cells carry a tooltip; legend swatches do not.
      rects: [...svg.querySelectorAll('rect')]
        .filter((r) => r.querySelector('title') || r.getAttribute('height') !== '10')
        .map((r) => {
          const b = r.getBBox();
          return {
            width: b.width,
            height: b.height,
            fill: r.getAttribute('fill') ?? '',
            title: r.querySelector('title')?.textContent ?? '',
          };
        }),
      clipped,
    };
  });
}

it('loads with no console error and fetches nothing but the file itself', async () => {
  expect(consoleErrors).toEqual([]);
  expect(requests).toEqual([pathToFileURL(join(dir, 'report.html')).href]);
  expect(await page.title()).toBe(`kv-cache-bench ${report.runId}: ${report.verdict}`);
  expect(await page.textContent('.verdict')).toBe(report.verdict);
});

it('draws four sized charts whose labels all fit inside them', async () => {
  const labels = await page.$$eval('svg[role="img"]', (svgs) =>
    svgs.map((s) => s.getAttribute('aria-label')),
  );
  expect(labels).toEqual([
    'Delta hit rate over the run',
    'Share of the delta queries per pod',
    'Serving pod per session',
    'TTFT percentiles per stage (ms)',
  ]);
  for (const label of labels) {
    const c = await chart(label!);
    expect({ label, sized: c.width > 100 && c.height > 50, clipped: c.clipped }).toEqual({
      label,
      sized: true,
      clipped: [],
    });
  }
});

it('plots one point per periodic scrape on the hit-rate timeline', async () => {
  const before = readJson<Snapshot>('snapshot-1-warm.json');
  const after = readJson<Snapshot>('snapshot-2-end.json');
  const scrapes = await readScrapeFiles([join(dir, 'records.jsonl.scrapes.jsonl')]);
  const timeline = hitRateTimeline(before, scrapes.items, after);
  expect(timeline.length).toBeGreaterThanOrEqual(3);
  const plotted =
    timeline.filter((p) => p.cumulative !== null).length + timeline.filter((p) => p.interval !== null).length;
  const c = await chart('Delta hit rate over the run');
  // since start + per interval, and the upper bound's two ends.
  expect(c.circles).toBe(plotted + 2);
  expect(c.paths).toHaveLength(3);
  for (const d of c.paths) expect(d).toMatch(/^M[\d.]+,[\d.]+ L/);
});

it('draws a share bar per pod, as long as its share of the queries', async () => {
  const c = await chart('Share of the delta queries per pod');
  const live = report.pods.filter((p) => !p.gone);
  expect(c.rects).toHaveLength(live.length);
  const top = Math.max(...live.map((p) => p.share ?? 0));
  const topWidth = Math.max(...c.rects.map((r) => r.width));
  expect(topWidth).toBeGreaterThan(100);
  live.forEach((p, i) => expect(c.rects[i]!.width).toBeCloseTo(((p.share ?? 0) / top) * topWidth, 0));
  expect(new Set(c.rects.map((r) => r.fill)).size).toBe(live.length);
});

it('colours one grid cell per measured request by the pod that served it', async () => {
  const records = readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestRecord)
    .filter((r) => r.phase === 'measure' && r.servedBy);
  // The grid shows each session slot's first GRID_CELLS requests.
  const bySession = new Map<number, RequestRecord[]>();
  for (const r of records) bySession.set(r.session, [...(bySession.get(r.session) ?? []), r]);
  const shown = [...bySession.values()].flatMap((rs) =>
    rs.sort((a, b) => a.startMs - b.startMs).slice(0, GRID_CELLS),
  );
  const c = await chart('Serving pod per session');
  expect(c.rects).toHaveLength(shown.length);
  const servingPods = new Set(shown.map((r) => r.servedBy));
  expect(servingPods.size).toBeGreaterThan(1);
  expect(new Set(c.rects.map((r) => r.fill)).size).toBe(servingPods.size);
  for (const r of c.rects) expect(r.title).toMatch(/^\d+ #\d+: \S+$/);
});

it('draws the TTFT p50/p95/p99 bars of every stage with heights in their order', async () => {
  const c = await chart('TTFT percentiles per stage (ms)');
  expect(c.rects).toHaveLength(3 * (1 + report.stages.length));
  for (let g = 0; g < c.rects.length; g += 3) {
    const [p50, p95, p99] = c.rects.slice(g, g + 3).map((r) => r.height);
    expect(p50).toBeGreaterThan(0);
    expect(p95).toBeGreaterThanOrEqual(p50!);
    expect(p99).toBeGreaterThanOrEqual(p95!);
  }
});

it('saves a full-page screenshot to test-artifacts/report.png', async () => {
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: ARTIFACT, fullPage: true });
  const png = readFileSync(ARTIFACT);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  // IHDR: width and height, big-endian, at bytes 16 and 20.
  expect(png.readUInt32BE(16)).toBe(1000);
  expect(png.readUInt32BE(20)).toBeGreaterThan(1200);
  expect(statSync(ARTIFACT).size).toBeGreaterThan(20_000);
});
