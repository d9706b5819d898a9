// Issue #7, secrets never leaked: the gateway API key, from --api-key-file or a Secret-mounted env
// (KV_CACHE_BENCH_API_KEY), reaches the gateway — which requires it — and appears in no log line, record,
// report or result, even at --log-level debug. Every artifact of a run is searched for it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.ts';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Report, RequestRecord } from '../../../src/types.ts';
import { spawnCli } from '../../helpers/spawn-cli.ts';
import { runCli } from '../load/cli-io.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvb-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const uniqueKey = (label: string): string => `sk-${label}-${randomBytes(18).toString('hex')}`;

/** Every file under `root`, with its text. */
function artifacts(root: string): { path: string; text: string }[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path, text: readFileSync(path, 'latin1') };
    });
}

function expectAbsent(key: string, texts: { path: string; text: string }[]): void {
  const leaks = texts.filter((t) => t.text.includes(key)).map((t) => t.path);
  expect(leaks).toEqual([]);
}

const SMALL = [
  '--sessions',
  '4',
  '--turns',
  '3',
  '--system-prompt-tokens',
  '30',
  '--user-tokens',
  '15',
  '--max-tokens',
  '12',
  '--tokenizer',
  'approx',
  '--stages',
  '2x8',
  '--min-hit-rate',
  '0',
  '--log-level',
  'debug',
];

describe('demo with a key file and a key in the environment', () => {
  it('sends the file key to the gateway that requires it, and no artifact or log holds either key', async () => {
    const fileKey = uniqueKey('file');
    const envKey = uniqueKey('env');
    const keyFile = join(dir, 'api-key');
    writeFileSync(keyFile, `${fileKey}\n`);
    const outDir = join(dir, 'demo');
    const run = await spawnCli(
      [
        'demo',
        '--pods',
        '2',
        '--latency',
        'zero',
        '--settle',
        '50ms',
        '--api-key-file',
        keyFile,
        '--out-dir',
        outDir,
        ...SMALL,
      ],
      { env: { ...process.env, KV_CACHE_BENCH_API_KEY: envKey }, timeoutMs: 120_000 },
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    // The embedded gateway answers 401 without the right key: every request succeeding proves it arrived.
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
    expect(report.requests.total).toBeGreaterThan(0);
    expect(report.requests.errors).toBe(0);

    const everything = [
      ...artifacts(outDir),
      { path: 'stdout', text: run.stdout },
      { path: 'stderr', text: run.stderr },
    ];
    expect(everything.map((a) => a.path)).toEqual(
      expect.arrayContaining([
        join(outDir, 'records.jsonl'),
        join(outDir, 'report.json'),
        join(outDir, 'report.html'),
        join(outDir, 'results', 'summary'),
      ]),
    );
    expectAbsent(fileKey, everything);
    expectAbsent(envKey, everything);
  }, 120_000);
});

describe('run with the key only in a Secret-mounted env', () => {
  let stack: StackHandle;
  const key = uniqueKey('secret-env');
  beforeAll(async () => {
    stack = await startStack({
      pods: 2,
      latency: 'zero',
      tokenizer: 'approx',
      readyDelayMs: 100,
      apiKey: key,
    });
  }, 60_000);
  afterAll(async () => stack?.close());

  it('authenticates every request with it and writes it nowhere', async () => {
    const outDir = join(dir, 'run');
    const run = await runCli(
      [
        'run',
        '--gateway-url',
        stack.gatewayUrl,
        '--kubeconfig',
        stack.kubeconfigPath,
        '--restart',
        '--restart-timeout',
        '30s',
        '--settle',
        '50ms',
        '--out-dir',
        outDir,
        ...SMALL,
      ],
      { env: { KV_CACHE_BENCH_API_KEY: key } },
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
    expect(report.requests).toMatchObject({ errors: 0 });
    expectAbsent(key, [
      ...artifacts(outDir),
      { path: 'stdout', text: run.stdout },
      { path: 'stderr', text: run.stderr },
    ]);
  }, 60_000);

  it('without the key gets 401s that name no key', async () => {
    const out = join(dir, 'nokey.jsonl');
    const run = await runCli([
      'ramp-load',
      '--gateway-url',
      stack.gatewayUrl,
      '--out',
      out,
      ...SMALL.slice(0, 12),
      '--stages',
      '1x2',
      '--max-error-rate',
      '1',
    ]);
    expect(run.code).toBe(0);
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RequestRecord);
    expect(records.map((r) => [r.status, r.error])).toEqual([
      [401, 'HTTP 401: missing or wrong API key (send Authorization: Bearer <key>)'],
      [401, 'HTTP 401: missing or wrong API key (send Authorization: Bearer <key>)'],
    ]);
  });
});

describe('sim --api-key-file / --api-key-env', () => {
  it.each(['file', 'env'])('serves a gateway that requires the key from the %s', async (from) => {
    const key = uniqueKey(`sim-${from}`);
    const keyFile = join(dir, `sim-${from}-key`);
    writeFileSync(keyFile, key);
    const stateFile = join(dir, `sim-${from}-state.json`);
    const stop = new AbortController();
    const sim = runCli(
      [
        'sim',
        '--pods',
        '1',
        '--latency',
        'zero',
        '--tokenizer',
        'approx',
        '--ready-delay-ms',
        '50',
        '--state-file',
        stateFile,
        '--log-level',
        'debug',
        ...(from === 'file' ? ['--api-key-file', keyFile] : ['--api-key-env', 'GATEWAY_KEY']),
      ],
      { signal: stop.signal, env: { GATEWAY_KEY: key } },
    );
    let gateway: string | undefined;
    for (let i = 0; i < 200 && !gateway; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        gateway = (JSON.parse(readFileSync(stateFile, 'utf8')) as { gateway: string }).gateway;
      } catch {
        // not written yet
      }
    }
    const ask = (authorization?: string) =>
      fetch(`${gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      });
    const statuses = [];
    for (const auth of [undefined, 'Bearer wrong', `Bearer ${key}x`, `Bearer ${key}`]) {
      const res = await ask(auth);
      const body = await res.text();
      expect(body).not.toContain(key);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 200]);
    stop.abort();
    const done = await sim;
    expect(done.code).toBe(0);
    expect(done.stdout + done.stderr).not.toContain(key);
  });

  it('refuses an unreadable key file or an unset variable with one line', async () => {
    const a = await runCli(['sim', '--api-key-file', join(dir, 'missing-key')]);
    const b = await runCli(['sim', '--api-key-env', 'NOT_SET_ANYWHERE'], { env: {} });
    expect([a.code, b.code]).toEqual([2, 2]);
    expect(a.stderr).toMatch(/^kv-cache-bench sim: --api-key-file \S+ cannot be read: ENOENT\n$/);
    expect(b.stderr).toMatch(
      /^kv-cache-bench sim: --api-key-env NOT_SET_ANYWHERE: that environment variable is not set or empty\n$/,
    );
  });
});

describe('the logger', () => {
  it('redacts keys and authorization headers wherever they sit in a log object', () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const key = uniqueKey('log');
    const log = createLogger('debug', sink);
    log.debug({ apiKey: key }, 'a');
    log.debug({ headers: { authorization: `Bearer ${key}` } }, 'b');
    log.debug({ req: { headers: { authorization: `Bearer ${key}` } } }, 'c');
    log.debug({ options: { apiKey: key, token: key } }, 'd');
    log.debug({ token: key, authorization: `Bearer ${key}` }, 'e');
    expect(text.split('\n').filter(Boolean)).toHaveLength(5);
    expect(text).not.toContain(key);
    expect(text).toContain('[redacted]');
  });
});
