// Issue #7, nothing lost: a Tekton timeout sends SIGTERM to ramp-load mid-stage. Every request that finished
// is in the records file (whole JSON lines), the stage in progress still gets its mark, and the exit code
// says "interrupted" (143). Then `report` on a records file whose last line was cut mid-write reports the
// rest and says one line was dropped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Report, RequestRecord, StageMark } from '../../../src/types.ts';
import { CLI } from '../../helpers/spawn-cli.ts';
import { runCli, scrapeCli } from '../load/cli-io.ts';

let stack: StackHandle;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ pods: 2, latency: 'realistic', tokenizer: 'approx', readyDelayMs: 200 });
  dir = mkdtempSync(join(tmpdir(), 'kvb-sigterm-'));
}, 60_000);
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const lineCount = (path: string): number =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;

async function scrape(label: string): Promise<string> {
  const out = join(dir, `${label}.json`);
  await scrapeCli(stack.kubeconfigPath, label, out);
  return out;
}

describe('SIGTERM in the middle of ramp-load', () => {
  const records = (): string => join(dir, 'records.jsonl');

  it('keeps every finished request, writes the stage mark, and exits 143', async () => {
    await scrape('before');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'ramp-load',
        '--gateway-url',
        stack.gatewayUrl,
        '--sessions',
        '8',
        '--turns',
        '4',
        '--system-prompt-tokens',
        '40',
        '--user-tokens',
        '20',
        '--max-tokens',
        '24',
        '--tokenizer',
        'approx',
        '--stages',
        '4x60s,8x60s',
        '--out',
        records(),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    // Wait until requests are finishing, then stop it as Tekton's timeout would.
    for (let i = 0; i < 300 && lineCount(records()) < 15; i++) await new Promise((r) => setTimeout(r, 50));
    expect(lineCount(records())).toBeGreaterThanOrEqual(15);
    const killedAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(code).toBe(143);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      'kv-cache-bench ramp-load: interrupted by SIGTERM; finished requests are in the records file',
    );

    const text = readFileSync(records(), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as RequestRecord);
    expect(parsed.every((r) => r.phase === 'measure' && r.stage === 1)).toBe(true);
    expect(parsed.filter((r) => r.error !== undefined)).toEqual([]);

    const marks = readFileSync(`${records()}.stages.jsonl`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StageMark);
    // One mark, for the stage SIGTERM cut short; the next stage never started.
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatchObject({ stage: 1, spec: '4x60s', completed: lines.length, errors: 0 });
    expect(marks[0]!.endMs - marks[0]!.startMs).toBeLessThan(60_000);
  }, 60_000);

  it('reports a records file whose last line was cut mid-write, and says one line was dropped', async () => {
    const whole = readFileSync(records(), 'utf8').split('\n').filter(Boolean);
    const cut = join(dir, 'cut.jsonl');
    // A kill between two write() calls of one line: half a JSON object, no newline.
    const last = whole.at(-1) as string;
    writeFileSync(cut, `${whole.slice(0, -1).join('\n')}\n${last.slice(0, Math.floor(last.length / 2))}`);
    const after = await scrape('after');
    const outDir = join(dir, 'report');
    const run = await runCli([
      'report',
      '--before',
      join(dir, 'before.json'),
      '--after',
      after,
      '--records',
      cut,
      '--min-hit-rate',
      '0',
      '--out-dir',
      outDir,
    ]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
    expect(report.requests).toMatchObject({ total: whole.length - 1, errors: 0 });
    expect(report.warnings).toContainEqual(
      `1 line could not be parsed and was dropped (${cut}:${whole.length})`,
    );
  });
});
