// Issue #5: the same seeded workload through a prefix-aware gateway and a round-robin one (after a
// restart each), side by side in one report: prefix-aware reuses more of the cache and so starts
// answering sooner. Realistic pod latency, pinned to CPU 0 where that exists (DESIGN "Runtime").
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../../src/types.ts';
import { spawnCli } from '../../helpers/spawn-cli.ts';

let outDir: string;
let report: Report;
let markdown: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'kvb-compare-'));
  const args = [
    'demo',
    '--policy',
    'prefix-aware',
    '--compare-policy',
    'round-robin',
    '--sessions',
    '8',
    '--turns',
    '8',
    '--max-tokens',
    '80',
    '--stages',
    '4x28,8x28',
    '--latency',
    'realistic',
    '--seed',
    '11',
    '--out-dir',
    outDir,
  ];
  const run = await spawnCli(args, { timeoutMs: 240_000, pinCpu0: existsSync('/usr/bin/taskset') });
  expect(run.stderr).toContain('comparing with a round-robin gateway');
  report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
  markdown = readFileSync(join(outDir, 'report.md'), 'utf8');
  console.log(
    `prefix-aware: hit rate ${report.hitRate.delta}, TTFT p50 ${report.latency.ttftMs.p50} ms; ` +
      `round-robin: hit rate ${report.baseline?.hitRate}, TTFT p50 ${report.baseline?.ttftMs.p50} ms`,
  );
}, 300_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

it('measures the baseline pass in its own out dir after its own restart', () => {
  expect(existsSync(join(outDir, 'baseline', 'report.json'))).toBe(true);
  expect(existsSync(join(outDir, 'baseline', 'restart.json'))).toBe(true);
  expect(report.baseline?.policy).toBe('round-robin');
});

it('shows a higher hit rate and a lower TTFT p50 for prefix-aware, with the numbers in the report', () => {
  const b = report.baseline!;
  expect(report.hitRate.delta!).toBeGreaterThan(b.hitRate! + 0.1);
  expect(report.latency.ttftMs.p50!).toBeLessThan(b.ttftMs.p50!);
  expect(markdown).toContain('## Against the baseline (round-robin)');
  expect(markdown).toContain((report.hitRate.delta! * 100).toFixed(1));
  expect(markdown).toContain((b.hitRate! * 100).toFixed(1));
  expect(b.throughputRps).toBeGreaterThan(0);
});
