// The load driver over real HTTP against a small OpenAI-compatible SSE server (fake-openai.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { templateDate } from '../../../src/tokenize/chat-template.ts';
import type { RequestRecord, StageMark } from '../../../src/types.ts';
import { runCli } from './cli-io.ts';
import { startFakeOpenAi, type FakeServer } from './fake-openai.ts';

const BIN = fileURLToPath(new URL('../../../src/bin.ts', import.meta.url));
const SECRET = 'sk-test-secret-4f2a9';

const lines = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as T)
    : [];

const workload = (url: string, sessions = 4): string[] => [
  '--gateway-url',
  url,
  '--sessions',
  String(sessions),
  '--turns',
  '3',
  '--system-prompt-tokens',
  '40',
  '--user-tokens',
  '20',
  '--max-tokens',
  '30',
  '--tokenizer',
  'approx',
];

let dir: string;
let fake: FakeServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvb-load-'));
  fake = await startFakeOpenAi();
});

afterEach(async () => {
  await fake.close();
});

describe('warmup then ramp-load', () => {
  it('continues the warm-up conversations, pins the date, echoes session tokens and never writes the key', async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'kvb-key-')), 'api-key');
    writeFileSync(keyFile, `${SECRET}\n`);
    const common = [...workload(fake.url), '--api-key-file', keyFile, '--host-header', 'llm-d.demo.local'];
    const warmupOut = join(dir, 'warmup.jsonl');
    const warm = await runCli(['warmup', ...common, '--out', warmupOut]);
    expect(warm.stderr).toContain('warmup kvb-');
    expect(warm.code).toBe(0);

    const recordsOut = join(dir, 'records.jsonl');
    const ramp = await runCli([
      'ramp-load',
      ...common,
      '--warmup-state',
      `${warmupOut}.sessions.json`,
      '--stages',
      '2x6,4x6',
      '--out',
      recordsOut,
    ]);
    expect(ramp.stderr).toMatch(/stage 1 2x6: 6 req, 0 err, [\d.]+ req\/s, TTFT p50 \d+ ms p95 \d+ ms/);
    expect(ramp.code).toBe(0);

    const warmRecords = lines<RequestRecord>(warmupOut);
    expect(warmRecords.map((r) => [r.phase, r.stage, r.turn])).toEqual(Array(4).fill(['warmup', 0, 1]));
    expect(warmRecords.map((r) => r.session).sort()).toEqual([0, 1, 2, 3]);

    const records = lines<RequestRecord>(recordsOut);
    expect(records).toHaveLength(12);
    expect(new Set(records.map((r) => r.runId))).toEqual(new Set([warmRecords[0]!.runId]));
    expect(records.filter((r) => r.stage === 1)).toHaveLength(6);
    // Each session continues at turn 2, then 3, then starts over (turns = 3).
    for (let s = 0; s < 4; s++) {
      expect(records.filter((r) => r.session === s).map((r) => r.turn)).toEqual([2, 3, 1]);
    }
    for (const r of records) {
      expect(r).toMatchObject({ phase: 'measure', status: 200, completionTokens: 17 });
      expect(r.error).toBeUndefined();
      expect(r.ttftMs).not.toBeNull();
      expect(r.e2eMs).toBeGreaterThanOrEqual(r.ttftMs!);
      expect(r.cachedTokens).toBe(16 * (r.turn - 1));
    }
    expect(records.filter((r) => r.turn === 2).every((r) => r.prefixReusableTokens > 0)).toBe(true);

    // Every request: key, Host, a date pinned to one value, usage asked for.
    const date = templateDate(Date.now());
    expect(fake.requests).toHaveLength(16);
    for (const { headers, body } of fake.requests) {
      expect(headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(headers.host).toBe('llm-d.demo.local');
      expect(body.chat_template_kwargs).toEqual({ date_string: date });
      expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 30 });
      expect(body).not.toHaveProperty('temperature');
    }
    // Warm-up's requests carry no token; every later one echoes the token its session was given.
    expect(fake.requests.slice(0, 4).every((q) => q.headers['x-session-token'] === undefined)).toBe(true);
    expect(fake.requests.slice(4).every((q) => typeof q.headers['x-session-token'] === 'string')).toBe(true);
    // One pod per session, decoded from the token.
    for (let s = 0; s < 4; s++) {
      const pods = new Set(
        [...warmRecords, ...records].filter((r) => r.session === s).map((r) => r.servedBy),
      );
      expect(pods.size).toBe(1);
      expect([...pods][0]).toMatch(/^decode-[abc]$/);
    }

    const marks = lines<StageMark>(`${recordsOut}.stages.jsonl`);
    expect(marks.map((m) => [m.stage, m.spec, m.requested, m.completed, m.errors])).toEqual([
      [1, '2x6', 6, 6, 0],
      [2, '4x6', 6, 6, 0],
    ]);
    expect(marks[0]!.runId).toBe(warmRecords[0]!.runId);

    expect(readdirSync(dir).sort()).toEqual([
      'records.jsonl',
      'records.jsonl.stages.jsonl',
      'warmup.jsonl',
      'warmup.jsonl.sessions.json',
    ]);
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file), 'utf8')).not.toContain(SECRET);
    for (const text of [warm.stdout, warm.stderr, ramp.stdout, ramp.stderr])
      expect(text).not.toContain(SECRET);
  });

  it('appends to an existing records file', async () => {
    const out = join(dir, 'warmup.jsonl');
    expect((await runCli(['warmup', ...workload(fake.url, 2), '--out', out])).code).toBe(0);
    expect((await runCli(['warmup', ...workload(fake.url, 2), '--out', out])).code).toBe(0);
    expect(lines(out)).toHaveLength(4);
  });
});

describe('request options', () => {
  it('runs an open-loop stage without streaming and without a pinned date', async () => {
    const out = join(dir, 'r.jsonl');
    const run = await runCli([
      'ramp-load',
      ...workload(fake.url),
      '--stages',
      '25rps:10',
      '--no-stream',
      '--no-pin-date',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const records = lines<RequestRecord>(out);
    expect(records).toHaveLength(10);
    for (const r of records) expect(r).toMatchObject({ status: 200, ttftMs: null, completionTokens: 17 });
    for (const { body } of fake.requests) {
      expect(body.stream).toBe(false);
      expect(body).not.toHaveProperty('stream_options');
      expect(body).not.toHaveProperty('chat_template_kwargs');
    }
    const [mark] = lines<StageMark>(`${out}.stages.jsonl`);
    expect(mark).toMatchObject({ spec: '25rps:10', requested: 10, completed: 10 });
    expect(mark!.achievedRps).toBeGreaterThan(15);
  });

  it('records a timeout as status 0 with a one-line error', async () => {
    fake.behaviour = 'stall';
    const out = join(dir, 'r.jsonl');
    const run = await runCli([
      'ramp-load',
      ...workload(fake.url, 1),
      '--stages',
      '1x1',
      '--request-timeout',
      '300ms',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    expect(lines<RequestRecord>(out)).toEqual([
      expect.objectContaining({ status: 0, error: 'timeout after 300ms', ttftMs: null }),
    ]);
  });

  it('records a stream broken mid-answer as an error with the status it had', async () => {
    fake.behaviour = 'break-stream';
    const out = join(dir, 'r.jsonl');
    const run = await runCli(['ramp-load', ...workload(fake.url, 1), '--stages', '1x2', '--out', out]);
    expect(run.code).toBe(0);
    const records = lines<RequestRecord>(out);
    expect(records).toHaveLength(2);
    for (const r of records) {
      expect(r.status).toBe(200);
      expect(r.error).toMatch(/^(broken stream: |stream ended before \[DONE\])/);
    }
    // A failed turn is retried with the same content.
    expect(fake.requests[1]!.body.messages).toEqual(fake.requests[0]!.body.messages);
  });
});

describe('splitting the load', () => {
  it('runs the sessions in worker threads, records and one stage mark in the parent files', async () => {
    const out = join(dir, 'r.jsonl');
    const run = await runCli([
      'ramp-load',
      ...workload(fake.url),
      '--workers',
      '2',
      '--stages',
      '4x8,2x4',
      '--out',
      out,
    ]);
    expect(run.stderr).toContain('stage 2 2x4: 4 req, 0 err');
    expect(run.code).toBe(0);
    const records = lines<RequestRecord>(out);
    expect(records).toHaveLength(12);
    for (let s = 0; s < 4; s++)
      expect(records.filter((r) => r.session === s).map((r) => r.turn)).toEqual([1, 2, 3]);
    const marks = lines<StageMark>(`${out}.stages.jsonl`);
    expect(marks.map((m) => [m.stage, m.requested, m.completed])).toEqual([
      [1, 8, 8],
      [2, 4, 4],
    ]);
  });

  it('gives shards disjoint sessions that together make the unsharded run', async () => {
    const outs = ['0/2', '1/2'].map((shard, i) => ({ shard, out: join(dir, `shard${i}.jsonl`) }));
    for (const { shard, out } of outs) {
      const run = await runCli([
        'ramp-load',
        ...workload(fake.url),
        '--shard',
        shard,
        '--stages',
        '4x8',
        '--out',
        out,
        '--run-id',
        'sharded',
      ]);
      expect(run.code).toBe(0);
    }
    const [a, b] = outs.map(({ out }) => lines<RequestRecord>(out));
    expect(new Set(a!.map((r) => r.session))).toEqual(new Set([0, 2]));
    expect(new Set(b!.map((r) => r.session))).toEqual(new Set([1, 3]));
    expect(a!.every((r) => r.shard === '0/2' && r.runId === 'sharded')).toBe(true);
    expect(a!.length + b!.length).toBe(8);
    const [markA] = lines<StageMark>(`${outs[0]!.out}.stages.jsonl`);
    expect(markA).toMatchObject({ shard: '0/2', requested: 4, completed: 4 });
  });
});

describe('periodic scrapes', () => {
  it('appends a snapshot every --scrape-every to <out>.scrapes.jsonl while the load runs', async () => {
    fake.chunkDelayMs = 60;
    const out = join(dir, 'r.jsonl');
    const run = await runCli([
      'ramp-load',
      ...workload(fake.url, 1),
      '--stages',
      '1x4',
      '--scrape-every',
      '1s',
      '--via',
      'urls',
      '--urls',
      `${fake.url}/metrics`,
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const scrapes = lines<{ label: string; source: string; pods: unknown[] }>(`${out}.scrapes.jsonl`);
    expect(scrapes.length).toBeGreaterThanOrEqual(1);
    expect(scrapes[0]).toMatchObject({ label: 'scrape-1', source: 'urls' });
    expect(scrapes[0]!.pods).toHaveLength(1);
  });
});

describe('failures', () => {
  it('stops with exit 1 when the error rate passes --max-error-rate, records on disk', async () => {
    fake.behaviour = 'fail500';
    const out = join(dir, 'r.jsonl');
    const run = await runCli(['ramp-load', ...workload(fake.url), '--stages', '4x200', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'kv-cache-bench ramp-load: error rate 100.0 % (20 of 20 requests) is above --max-error-rate 0.05; last error: HTTP 500: engine crashed',
    );
    const records = lines<RequestRecord>(out);
    expect(records.length).toBeGreaterThanOrEqual(20);
    expect(records.length).toBeLessThan(30);
    for (const r of records) expect(r).toMatchObject({ status: 500, error: 'HTTP 500: engine crashed' });
    const marks = lines<StageMark>(`${out}.stages.jsonl`);
    expect(marks).toHaveLength(1);
    expect(marks[0]!.errors).toBe(records.length);
  });

  it('says the gateway cannot be reached when nothing listens there', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const out = join(dir, 'r.jsonl');
    const run = await runCli(['ramp-load', ...workload(url), '--stages', '2x10', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `kv-cache-bench ramp-load: cannot reach gateway ${url}: ECONNREFUSED (check --gateway-url)`,
    );
    const records = lines<RequestRecord>(out);
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const r of records) {
      expect(r.status).toBe(0);
      expect(r.error).toMatch(/^ECONNREFUSED: /);
    }
  });

  it.each([
    [['--sessions', '0'], '--sessions 0 is out of range'],
    [['--stages', '8x'], '--stages: cannot read "8x"'],
    [['--gateway-url', 'not a url'], '--gateway-url "not a url" is not a URL'],
    [['--shard', '2/2'], '--shard 2/2 is not i/K'],
  ])('exits 2 on %j with one line', async (flags, message) => {
    const run = await runCli(['ramp-load', ...workload(fake.url), '--out', join(dir, 'r.jsonl'), ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a warm-up state written for another workload, naming the flag', async () => {
    const warmupOut = join(dir, 'warmup.jsonl');
    expect((await runCli(['warmup', ...workload(fake.url), '--out', warmupOut])).code).toBe(0);
    const state = `${warmupOut}.sessions.json`;
    const other = await runCli([
      'ramp-load',
      ...workload(fake.url),
      '--seed',
      '7',
      '--warmup-state',
      state,
      '--out',
      join(dir, 'r.jsonl'),
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toBe(
      "kv-cache-bench ramp-load: --warmup-state was written with --seed 42, this run has --seed 7 (use the warm-up's workload flags)",
    );
    const missing = await runCli([
      'ramp-load',
      ...workload(fake.url),
      '--warmup-state',
      join(dir, 'nope.json'),
      '--out',
      join(dir, 'r.jsonl'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
    expect(fake.requests).toHaveLength(4);
  });

  it('keeps every finished record and the stage mark when killed with SIGTERM mid-run', async () => {
    fake.chunkDelayMs = 15;
    const out = join(dir, 'r.jsonl');
    const child = spawn(
      process.execPath,
      [BIN, 'ramp-load', ...workload(fake.url), '--stages', '2x1000', '--out', out, '--run-id', 'killed-run'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (lines(out).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(143);
    expect(stderr).toContain('interrupted by SIGTERM');
    const records = lines<RequestRecord>(out);
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(records.every((r) => r.runId === 'killed-run' && r.status === 200)).toBe(true);
    const marks = lines<StageMark>(`${out}.stages.jsonl`);
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatchObject({ stage: 1, spec: '2x1000', requested: 1000, completed: records.length });
  });
});
