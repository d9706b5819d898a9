// `report` through the real CLI (process.execPath src/bin.ts) on small fixture files: exit codes 0/1/2,
// the files it writes, --baseline and --pushgateway-url against a loopback Pushgateway-shaped server.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { main } from '../../../src/cli.ts';
import type { Report, RequestRecord, Snapshot } from '../../../src/types.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'src/bin.ts'), 'report', ...args], {
    cwd: ROOT,
    timeout: 30_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

/** The same entry as bin.ts without a process per case (bad-input cases are many and each spawn costs ~1 s). */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['report', ...args], {
    stdout,
    stderr,
    env: {},
    now: () => Date.now(),
    signal: new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}

function snapshot(takenAt: string, q: [number, number], h: [number, number], model = 'm'): Snapshot {
  const pod = (name: string, queries: number, hits: number) => ({
    name,
    uid: `uid-${name}`,
    ip: '10.0.0.1',
    startTime: '2025-12-31T00:00:00Z',
    ready: true,
    counters: {
      prefixCacheQueries: queries,
      prefixCacheHits: hits,
      promptTokens: queries,
      generationTokens: 0,
      requestSuccess: 0,
      preemptions: 0,
    },
  });
  return {
    takenAt,
    label: 'x',
    source: 'pod-ip',
    model,
    pods: [pod('decode-a', q[0], h[0]), pod('decode-b', q[1], h[1])],
  };
}

function records(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r: RequestRecord = {
      runId: 'kvb-test',
      phase: 'measure',
      stage: 1,
      session: i % 4,
      turn: 2 + Math.floor(i / 4),
      startMs: 1_767_225_600_000 + i * 10,
      ttftMs: 20 + (i % 10),
      e2eMs: 300,
      promptTokens: 500,
      completionTokens: 50,
      prefixReusableTokens: 480,
      status: 200,
      servedBy: i % 2 === 0 ? 'decode-a' : 'decode-b',
    };
    lines.push(JSON.stringify(r));
  }
  return `${lines.join('\n')}\n`;
}

describe('kv-cache-bench report', () => {
  let dir: string;
  const f = (name: string) => join(dir, name);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvb-report-'));
    // 20 requests × 500 prompt tokens = 10,000 query tokens; upper bound 480/500 = 0.96.
    writeFileSync(f('before.json'), JSON.stringify(snapshot('2026-01-01T00:00:00Z', [1000, 1000], [0, 0])));
    writeFileSync(
      f('good.json'),
      JSON.stringify(snapshot('2026-01-01T00:10:00Z', [6000, 6000], [4700, 4712])),
    );
    writeFileSync(
      f('poor.json'),
      JSON.stringify(snapshot('2026-01-01T00:10:00Z', [6000, 6000], [3061, 3062])),
    );
    writeFileSync(
      f('other-model.json'),
      JSON.stringify(snapshot('2026-01-01T00:10:00Z', [6000, 6000], [0, 0], 'other/model')),
    );
    writeFileSync(f('records.jsonl'), `${records(20)}{"runId":"kvb-test","phase":"meas`);
    writeFileSync(
      f('stages.jsonl'),
      `${JSON.stringify({ runId: 'kvb-test', stage: 1, spec: '4x20', startMs: 0, endMs: 1000, requested: 20, completed: 20, errors: 0, achievedRps: 20, scheduleLagMs: { p50: 0, p99: 1 }, eventLoopLagMs: { p50: 0, p99: 2 }, generatorLimited: false })}\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes a good run: prints the table, writes the reports and the Tekton results (exit 0)', async () => {
    const out = f('out-good');
    const r = await cli([
      '--before',
      f('before.json'),
      '--after',
      f('good.json'),
      '--records',
      f('records.jsonl'),
      '--stages-file',
      f('stages.jsonl'),
      '--out-dir',
      out,
      '--results-dir',
      join(out, 'results'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('94.1 % of a possible 96.0 %');
    expect(r.stdout).toContain('VERDICT: PASS');
    expect(r.stdout).toContain('1 line could not be parsed and was dropped');
    expect(readdirSync(out).sort()).toEqual(['report.html', 'report.json', 'report.md', 'results']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report).toMatchObject({
      runId: 'kvb-test',
      verdict: 'PASS',
      requests: { total: 20, errors: 0 },
      stickiness: { grade: 'EXCELLENT', sessionConsistency: 1 },
    });
    expect(report.hitRate.delta).toBeCloseTo(0.9412, 4);
    const results = Object.fromEntries(
      readdirSync(join(out, 'results')).map((n) => [n, readFileSync(join(out, 'results', n), 'utf8')]),
    );
    expect(results).toMatchObject({ 'hit-rate': '0.9412', stickiness: 'EXCELLENT', verdict: 'PASS' });
    expect(Buffer.byteLength(results.summary ?? '')).toBeLessThan(1024);
    expect(JSON.parse(results.summary ?? '')).toMatchObject({ verdict: 'PASS', hitRate: 0.9412 });
  });

  it('fails a gate with exit 1 and one line per failed gate', async () => {
    const out = f('out-poor');
    const r = await cli([
      '--before',
      f('before.json'),
      '--after',
      f('poor.json'),
      '--records',
      f('records.jsonl'),
      '--out-dir',
      out,
      '--results-dir',
      join(out, 'results'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('gate failed: delta hit rate 0.6123 < 0.9');
    expect(r.stdout).toContain('VERDICT: FAIL');
    expect(readFileSync(join(out, 'results', 'verdict'), 'utf8')).toBe('FAIL');
  });

  it('honours --min-hit-rate', async () => {
    const r = await inProcess([
      '--before',
      f('before.json'),
      '--after',
      f('poor.json'),
      '--min-hit-rate',
      '0.6',
      '--out-dir',
      f('out-lenient'),
    ]);
    expect(r.code).toBe(0);
  });

  it.each([
    [
      'a missing snapshot',
      () => ['--before', f('nope.json'), '--after', f('good.json')],
      /^kv-cache-bench report: cannot read snapshot --before .*nope\.json: ENOENT \(/,
    ],
    [
      'a snapshot that is not JSON',
      () => ['--before', f('records.jsonl'), '--after', f('good.json')],
      /cannot read snapshot --before .*: not JSON/,
    ],
    [
      'snapshots of two models',
      () => ['--before', f('before.json'), '--after', f('other-model.json')],
      /different models: --before m, --after other\/model/,
    ],
    [
      'swapped snapshots',
      () => ['--before', f('good.json'), '--after', f('before.json')],
      /was taken before --before .* \(swap them\)/,
    ],
    [
      'a missing records file',
      () => ['--before', f('before.json'), '--after', f('good.json'), '--records', f('missing.jsonl')],
      /cannot read --records .*missing\.jsonl: ENOENT/,
    ],
    [
      'a hit-rate gate above 1',
      () => ['--before', f('before.json'), '--after', f('good.json'), '--min-hit-rate', '90'],
      /--min-hit-rate 90 is not a ratio/,
    ],
    [
      'a run id found in no record',
      () => [
        '--before',
        f('before.json'),
        '--after',
        f('good.json'),
        '--records',
        f('records.jsonl'),
        '--run-id',
        'zzz',
      ],
      /--run-id zzz matches none of the records \(they hold kvb-test\)/,
    ],
    ['a missing --after', () => ['--before', f('before.json')], /after/],
  ])('exits 2 on %s, with one line on stderr', async (_what, args, message) => {
    const r = await inProcess([...args(), '--out-dir', f('out-bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('shows a baseline run side by side (--baseline DIR)', async () => {
    const base = f('round-robin');
    mkdirSync(base);
    writeFileSync(
      join(base, 'report.json'),
      JSON.stringify({ hitRate: { delta: 0.412 }, latency: { ttftMs: { p50: 80, p95: 150, p99: 200 } } }),
    );
    const out = f('out-baseline');
    const r = await cli([
      '--before',
      f('before.json'),
      '--after',
      f('good.json'),
      '--baseline',
      base,
      '--out-dir',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Baseline (round-robin)');
    expect((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report).baseline).toEqual({
      policy: 'round-robin',
      hitRate: 0.412,
      ttftMs: { p50: 80, p95: 150, p99: 200 },
    });
  });

  describe('with a Pushgateway', () => {
    let server: Server;
    const pushes: { method: string; url: string; body: string }[] = [];
    let status = 200;

    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          pushes.push({ method: req.method ?? '', url: req.url ?? '', body });
          res.writeHead(status).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('pushes the run figures under job kv-cache-bench and the run id', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli([
        '--before',
        f('before.json'),
        '--after',
        f('good.json'),
        '--records',
        f('records.jsonl'),
        '--pushgateway-url',
        url,
        '--out-dir',
        f('out-push'),
      ]);
      expect(r.code).toBe(0);
      expect(pushes).toHaveLength(1);
      expect(pushes[0]).toMatchObject({ method: 'PUT', url: '/metrics/job/kv-cache-bench/run_id/kvb-test' });
      expect(pushes[0]?.body).toMatch(/kv_cache_bench_hit_rate\{kind="delta"\} 0\.941/);
      expect(pushes[0]?.body).toContain('kv_cache_bench_verdict 1');
    });

    it('warns but keeps the verdict when the push fails', async () => {
      status = 500;
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli([
        '--before',
        f('before.json'),
        '--after',
        f('good.json'),
        '--pushgateway-url',
        url,
        '--out-dir',
        f('out-push-fail'),
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^warning: cannot push to the Pushgateway .*status 500/);
    });
  });
});
