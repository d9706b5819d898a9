// Issue #7, hostile and wrong input: every row is a command or an embedded endpoint, an input that is
// huge, negative, malformed, injected or from the wrong run, and what must come back — exit code 2 with
// one stderr line naming the problem, an HTTP status with a clear body, or the correct result. Never a
// hang (each row has a deadline), never a stack trace, never a wrong figure.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Snapshot } from '../../../src/types.ts';
import { runCli } from '../load/cli-io.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
/** No row may take longer than this: a hang fails the row, not the suite. */
const ROW_DEADLINE_MS = 5000;
const SERIES = 100_000;

let stack: StackHandle;
let dir: string;
let exporter: Server;
let exporterUrl: string;

const at = (name: string): string => join(dir, name);

/** 100k series in vLLM's exposition: 50k engines × 3 query tokens, and 2 hit tokens on every other engine. */
function hugeExposition(): string {
  const lines = [
    '# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.',
    '# TYPE vllm:prefix_cache_queries_total counter',
  ];
  for (let i = 0; i < SERIES / 2; i++)
    lines.push(`vllm:prefix_cache_queries_total{engine="${i}",model_name="${MODEL}"} 3.0`);
  lines.push('# TYPE vllm:prefix_cache_hits_total counter');
  for (let i = 0; i < SERIES / 2; i++)
    lines.push(`vllm:prefix_cache_hits_total{engine="${i}",model_name="${MODEL}"} ${i % 2 === 0 ? 2 : 0}.0`);
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  stack = await startStack({ pods: 2, latency: 'zero', tokenizer: 'approx', readyDelayMs: 100 });
  dir = mkdtempSync(join(tmpdir(), 'kvb-bad-input-'));
  const page = hugeExposition();
  const negative = `# TYPE vllm:prefix_cache_hits_total counter\nvllm:prefix_cache_hits_total{engine="0",model_name="${MODEL}"} -3\n`;
  exporter = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(req.url === '/negative' ? negative : page);
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  exporterUrl = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}`;

  // Fixtures: a real snapshot, the same from another model and from before it, records of another run,
  // a warm-up state written for another model.
  const run = await runCli(['scrape-metrics', '--kubeconfig', stack.kubeconfigPath, '--out', at('now.json')]);
  expect(run.code).toBe(0);
  const now = JSON.parse(readFileSync(at('now.json'), 'utf8')) as Snapshot;
  writeFileSync(at('other-model.json'), JSON.stringify({ ...now, model: 'mistralai/Mistral-7B-Instruct' }));
  writeFileSync(at('earlier.json'), JSON.stringify({ ...now, takenAt: '2020-01-01T00:00:00.000Z' }));
  writeFileSync(
    at('other-run.jsonl'),
    `${JSON.stringify({ runId: 'kvb-other-run', phase: 'measure', stage: 1, session: 0, turn: 2, startMs: 1, ttftMs: 5, e2eMs: 9, promptTokens: 80, completionTokens: 4, prefixReusableTokens: 64, status: 200 })}\n`,
  );
  writeFileSync(
    at('other-model.sessions.json'),
    JSON.stringify({
      version: 1,
      runId: 'kvb-x',
      model: 'mistralai/Mistral-7B-Instruct',
      tokenizer: 'llama3',
      shape: { seed: 42, sessions: 24, turns: 10, systemPromptTokens: 50, userTokens: 40 },
      dateString: '26 Jul 2024',
      pinDate: true,
      sessions: [],
    }),
  );
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await new Promise((r) => exporter?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for ${ROW_DEADLINE_MS} ms`)), ROW_DEADLINE_MS);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const gw = () => ['--gateway-url', stack.gatewayUrl, '--tokenizer', 'approx'];

// [what, argv, exit code, the one stderr line]
const CLI_ROWS: [string, () => string[], number, RegExp][] = [
  [
    'a huge session count',
    () => ['ramp-load', '--out', at('r.jsonl'), '--sessions', '1e12'],
    2,
    /--sessions 1000000000000 is out of range/,
  ],
  [
    'a negative session count',
    () => ['ramp-load', '--out', at('r.jsonl'), '--sessions', '-5'],
    2,
    /--sessions -5 is out of range/,
  ],
  [
    'an infinite session count',
    () => ['ramp-load', '--out', at('r.jsonl'), '--sessions', '1e309'],
    2,
    /--sessions Infinity is not a whole number/,
  ],
  [
    'a negative stage duration',
    () => ['ramp-load', '--out', at('r.jsonl'), '--stages', '8x-30s'],
    2,
    /--stages: "8x-30s" has no valid duration or count/,
  ],
  [
    'a 20-digit concurrency',
    () => ['ramp-load', '--out', at('r.jsonl'), '--stages', '99999999999999999999x10'],
    2,
    /asks for more than 4096 concurrent requests/,
  ],
  [
    'a negative request timeout',
    () => ['ramp-load', '--out', at('r.jsonl'), '--request-timeout', '-1s'],
    2,
    /^kv-cache-bench: --request-timeout -1s is negative/,
  ],
  ['a negative restart timeout', () => ['restart-pods', '--timeout', '-5s'], 2, /--timeout -5s is negative/],
  [
    'a restart timeout of eleven years',
    () => ['restart-pods', '--timeout', '99999h'],
    2,
    /--timeout 99999h is longer than 7 days/,
  ],
  [
    'a javascript: gateway URL',
    () => ['ramp-load', '--out', at('r.jsonl'), '--gateway-url', 'javascript:alert(1)'],
    2,
    /--gateway-url javascript:alert\(1\) must be http:\/\/ or https:\/\//,
  ],
  [
    'header injection in --host-header',
    () => ['ramp-load', '--out', at('r.jsonl'), '--host-header', 'evil\r\nX-Injected: 1'],
    2,
    /--host-header evil\\r\\nX-Injected: 1 has whitespace/,
  ],
  [
    'header injection in --served-by-header',
    () => ['ramp-load', '--out', at('r.jsonl'), '--served-by-header', 'x\r\nSet-Cookie: a'],
    2,
    /--served-by-header x\\r\\nSet-Cookie: a is not a header name/,
  ],
  [
    'a path in --run-id',
    () => ['ramp-load', '--out', at('r.jsonl'), '--run-id', '../../etc/passwd'],
    2,
    /--run-id \.\.\/\.\.\/etc\/passwd may hold only letters/,
  ],
  [
    '/dev/zero as the API key file',
    () => ['ramp-load', '--out', at('r.jsonl'), '--api-key-file', '/dev/zero'],
    2,
    /--api-key-file \/dev\/zero cannot be read: not a regular file/,
  ],
  [
    'an --out under /proc',
    () => ['ramp-load', ...gw(), '--out', '/proc/kvb-nope/r.jsonl', '--stages', '1x1'],
    2,
    /cannot create \/proc\/kvb-nope for --out: ENOENT/,
  ],
  [
    'a directory as --out',
    () => ['ramp-load', ...gw(), '--out', dir, '--stages', '1x1'],
    2,
    /cannot write .*: EISDIR/,
  ],
  [
    'shell injection in --selector',
    () => ['scrape-metrics', '--out', at('s.json'), '--selector', 'app=$(rm -rf /)'],
    2,
    /--selector "app=\$\(rm -rf \/\)" is not a label selector/,
  ],
  [
    'unicode in --selector',
    () => ['scrape-metrics', '--out', at('s.json'), '--selector', 'ロール=デコード'],
    2,
    /label key "ロール" is not a label name/,
  ],
  [
    'an unclosed set in --selector',
    () => ['scrape-metrics', '--out', at('s.json'), '--selector', 'app in (vllm'],
    2,
    /is not a label selector: cannot read "app in \(vllm"/,
  ],
  [
    'shell injection in --namespace',
    () => ['scrape-metrics', '--out', at('s.json'), '--namespace', 'llm-d; rm -rf /'],
    2,
    /--namespace "llm-d; rm -rf \/" is not a namespace name/,
  ],
  [
    '/dev/zero as the kubeconfig',
    () => ['scrape-metrics', '--out', at('s.json'), '--kubeconfig', '/dev/zero'],
    2,
    /kubeconfig \/dev\/zero cannot be read: not a regular file/,
  ],
  [
    'a file: URL to scrape',
    () => ['scrape-metrics', '--out', at('s.json'), '--via', 'urls', '--urls', 'file:///etc/passwd'],
    2,
    /--urls: file:\/\/\/etc\/passwd is not an http\(s\) URL/,
  ],
  [
    'a port above 65535',
    () => ['scrape-metrics', '--out', at('s.json'), '--metrics-port', '70000'],
    2,
    /--metrics-port 70000 is not a port number/,
  ],
  [
    'a snapshot from another model',
    () => ['report', '--before', at('other-model.json'), '--after', at('now.json'), '--out-dir', at('rep')],
    2,
    /the snapshots are of different models: --before mistralai\/Mistral-7B-Instruct/,
  ],
  [
    'the snapshots swapped',
    () => ['report', '--before', at('now.json'), '--after', at('earlier.json'), '--out-dir', at('rep')],
    2,
    /was taken before --before .* \(swap them\)/,
  ],
  [
    '/etc/passwd as a snapshot',
    () => ['report', '--before', '/etc/passwd', '--after', at('now.json')],
    2,
    /cannot read snapshot --before \/etc\/passwd: not JSON/,
  ],
  [
    '/dev/zero as the records',
    () => [
      'report',
      '--before',
      at('now.json'),
      '--after',
      at('now.json'),
      '--records',
      '/dev/zero',
      '--out-dir',
      at('rep'),
    ],
    2,
    /cannot read --records \/dev\/zero: not a regular file/,
  ],
  [
    'a records file from another run',
    () => [
      'report',
      '--before',
      at('now.json'),
      '--after',
      at('now.json'),
      '--records',
      at('other-run.jsonl'),
      '--run-id',
      'kvb-this-run',
      '--out-dir',
      at('rep'),
    ],
    2,
    /--run-id kvb-this-run matches none of the records \(they hold kvb-other-run\)/,
  ],
  [
    'a gate above 1',
    () => ['report', '--before', at('now.json'), '--after', at('now.json'), '--min-hit-rate', '1.5'],
    2,
    /--min-hit-rate 1\.5 is not a ratio between 0 and 1/,
  ],
  [
    'a warm-up state of another model',
    () => [
      'ramp-load',
      ...gw(),
      '--out',
      at('r.jsonl'),
      '--warmup-state',
      at('other-model.sessions.json'),
      '--tokenizer',
      'llama3',
    ],
    2,
    /--warmup-state was written for --model mistralai\/Mistral-7B-Instruct, this run has --model meta-llama/,
  ],
  [
    'a fault share of 150 %',
    () => ['sim', '--faults', 'gateway-503=150%'],
    2,
    /--faults "gateway-503=150%": "150%" is not a share/,
  ],
  [
    'a hundred thousand pods',
    () => ['sim', '--pods', '100000'],
    2,
    /--pods must be an integer from 1 to 64, got 100000/,
  ],
  [
    'markup as the routing policy',
    () => ['demo', '--policy', '<script>alert(1)</script>'],
    2,
    /unknown --policy <script>alert\(1\)<\/script> \(choose one of/,
  ],
  [
    'an 11-digit max-tokens',
    () => ['warmup', '--out', at('w.jsonl'), '--max-tokens', '99999999999'],
    2,
    /--max-tokens 99999999999 is out of range/,
  ],
  [
    'an exposition with a negative counter',
    () => ['scrape-metrics', '--via', 'urls', '--urls', `${exporterUrl}/negative`, '--out', at('neg.json')],
    1,
    /vllm:prefix_cache_hits_total is -3, which no counter can be/,
  ],
];

describe('hostile or wrong command-line input', () => {
  it.each(CLI_ROWS)('%s', async (what, argv, code, message) => {
    const run = await withDeadline(runCli(argv()), what);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(code);
    if (code === 2) {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^kv-cache-bench[ :]/);
    }
    expect(run.stderr).toMatch(message);
  });

  it(`reads a Prometheus exposition of ${SERIES} series and sums it exactly`, async () => {
    const started = Date.now();
    const run = await withDeadline(
      runCli([
        'scrape-metrics',
        '--via',
        'urls',
        '--urls',
        `${exporterUrl}/metrics`,
        '--out',
        at('huge.json'),
      ]),
      'the 100k-series scrape',
    );
    expect(Date.now() - started).toBeLessThan(ROW_DEADLINE_MS);
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^scrape-metrics snapshot: 1\/1 pods read via urls, prefix cache 50000 hits \/ 150000 queries \(33\.3 %\)/,
      ),
    ]);
    const snap = JSON.parse(readFileSync(at('huge.json'), 'utf8')) as Snapshot;
    expect(snap.pods[0]?.counters).toMatchObject({ prefixCacheQueries: 150_000, prefixCacheHits: 50_000 });
  });
});

// [what, method, url, headers, body, status, body pattern]
type HttpRow = [
  string,
  string,
  () => string,
  Record<string, string>,
  () => string | Buffer | undefined,
  number,
  RegExp,
];
const chat = (extra: object = {}) =>
  JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, ...extra });
const JSON_CT = { 'content-type': 'application/json' };
const FIFTY_MB = () => Buffer.alloc(50 * 1024 * 1024, 0x61);

const HTTP_ROWS: HttpRow[] = [
  [
    'a 50 MB body to the gateway',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    FIFTY_MB,
    413,
    /request body over 33554432 bytes/,
  ],
  [
    'a 50 MB body to a pod',
    'POST',
    () => `${stack.pods[0]?.url}/v1/chat/completions`,
    JSON_CT,
    FIFTY_MB,
    413,
    /request body exceeds 16777216 bytes/,
  ],
  [
    'a 50 MB body to the Kubernetes API',
    'POST',
    () => `${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods`,
    JSON_CT,
    FIFTY_MB,
    400,
    /request body larger than 8388608 bytes/,
  ],
  [
    'a body that is not JSON',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    () => '{"messages": [ not json',
    400,
    /invalid request body: not JSON/,
  ],
  [
    'SQL and bidi characters as the model',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    () => chat({ model: "x'; DROP TABLE pods; --\u202e" }),
    404,
    /The model `x'; DROP TABLE pods; --.*` does not exist/,
  ],
  [
    'max_tokens of 1e12',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    () => chat({ max_tokens: 1e12 }),
    400,
    /maximum context length is \d+ tokens/,
  ],
  [
    'a negative max_tokens',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    () => chat({ max_tokens: -1 }),
    400,
    /max_tokens must be at least 1, got -1/,
  ],
  [
    'messages that are a shell command',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    () => JSON.stringify({ messages: 'rm -rf /' }),
    400,
    /Input should be a valid list/,
  ],
  [
    'n of 1000',
    'POST',
    () => `${stack.pods[0]?.url}/v1/completions`,
    JSON_CT,
    () => JSON.stringify({ prompt: 'hi', n: 1000 }),
    400,
    /n must be 1/,
  ],
  [
    'a session token that decodes to a path',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    { ...JSON_CT, 'x-session-token': Buffer.from('../../etc/passwd\u0000').toString('base64') },
    () => chat(),
    200,
    /"object":"chat\.completion"/,
  ],
  [
    'markup as the session token',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    { ...JSON_CT, 'x-session-token': '%%<script>' },
    () => chat(),
    200,
    /"object":"chat\.completion"/,
  ],
  [
    'lone surrogates, NUL and markup in a message',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    JSON_CT,
    () => chat({ messages: [{ role: 'user', content: 'ロール\u0000\ud800 𝕏 <script>alert(1)</script>' }] }),
    200,
    /"finish_reason":"(stop|length)"/,
  ],
  [
    'a 20 KB header',
    'POST',
    () => `${stack.gatewayUrl}/v1/chat/completions`,
    { ...JSON_CT, 'x-big': 'a'.repeat(20_000) },
    () => chat(),
    431,
    /^$/,
  ],
  [
    'unicode in a label selector',
    'GET',
    () =>
      `${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods?labelSelector=${encodeURIComponent('ロール=デコード')}`,
    {},
    () => undefined,
    400,
    /invalid label key \\"ロール\\"/,
  ],
  [
    'shell injection in a label selector',
    'GET',
    () =>
      `${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods?labelSelector=${encodeURIComponent('app=$(rm -rf /)')}`,
    {},
    () => undefined,
    400,
    /unable to parse requirement/,
  ],
  [
    'a negative resourceVersion on a watch',
    'GET',
    () => `${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods?watch=true&resourceVersion=-5`,
    {},
    () => undefined,
    200,
    /"type":"ERROR".*too old resource version: -5.*"code":410/,
  ],
];

describe('hostile or wrong input to the embedded endpoints', () => {
  it.each(HTTP_ROWS)('%s', async (what, method, url, headers, body, status, pattern) => {
    const res = await withDeadline(
      request(url(), { method: method as 'GET' | 'POST', headers, body: body() ?? null }),
      what,
    );
    const text = await withDeadline(res.body.text(), what);
    expect([res.statusCode, text]).toEqual([status, expect.stringMatching(pattern)]);
    expect(text).not.toMatch(/\n\s+at /);
  });
});
