// Issue #3: restart-pods really replaces the pods (new uids, counters at zero), and every bad input of
// the list gets one stderr line naming the problem and exit code 2.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Snapshot } from '../../../src/types.ts';
import { spawnCli } from '../../helpers/spawn-cli.ts';

let stack: StackHandle;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ pods: 2, latency: 'zero', tokenizer: 'approx', readyDelayMs: 200 });
  dir = mkdtempSync(join(tmpdir(), 'kvb-restart-'));
}, 60_000);
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Async: the API server lives in this process, a synchronous kubectl would deadlock it.
async function podUids(): Promise<string[]> {
  const { stdout: out } = await promisify(execFile)('kubectl', [
    '--kubeconfig',
    stack.kubeconfigPath,
    'get',
    'pods',
    '-n',
    'llm-d',
    '-l',
    'llm-d.ai/role=decode',
    '-o',
    'jsonpath={.items[*].metadata.uid}',
  ]);
  return out.split(' ').filter(Boolean).sort();
}

describe('restart-pods against the embedded stack', () => {
  it('replaces every decode pod with a new uid and finds their counters at zero', async () => {
    // Put something in the caches and counters first.
    const res = await fetch(`${stack.gatewayUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'meta-llama/Llama-3.2-3B-Instruct',
        prompt: 'Hello there, '.repeat(20),
        max_tokens: 4,
      }),
    });
    expect(res.status).toBe(200);
    const before = await podUids();
    expect(before).toHaveLength(2);

    const out = join(dir, 'restart.json');
    const run = await spawnCli([
      'restart-pods',
      '--kubeconfig',
      stack.kubeconfigPath,
      '--timeout',
      '30s',
      '--out',
      out,
    ]);
    expect(run.stderr).toContain('prefix-cache counters at zero');
    expect(run.code).toBe(0);

    const after = await podUids();
    expect(after).toHaveLength(2);
    expect(after.filter((uid) => before.includes(uid))).toEqual([]);
    const record = JSON.parse(readFileSync(out, 'utf8')) as {
      countersZero: boolean;
      after: { uid: string }[];
    };
    expect(record.countersZero).toBe(true);
    expect(record.after.map((p) => p.uid).sort()).toEqual(after);

    const snapFile = join(dir, 'snap.json');
    const scrape = await spawnCli([
      'scrape-metrics',
      '--kubeconfig',
      stack.kubeconfigPath,
      '--label',
      'after',
      '--out',
      snapFile,
    ]);
    expect(scrape.code).toBe(0);
    const snap = JSON.parse(readFileSync(snapFile, 'utf8')) as Snapshot;
    expect(snap.pods.map((p) => p.counters.prefixCacheQueries)).toEqual([0, 0]);
  }, 90_000);
});

describe('bad input: one line, exit code 2', () => {
  const missing = () => join(dir, 'no-such-snapshot.json');
  const cases: [string, () => string[], RegExp][] = [
    [
      'an unknown flag',
      () => ['report', '--before', 'a', '--after', 'b', '--bogus-flag'],
      /Unknown argument: bogus-flag/,
    ],
    [
      'a gateway that is not a URL',
      () => ['warmup', '--gateway-url', 'not a url', '--out', join(dir, 'w.jsonl')],
      /--gateway-url/,
    ],
    ['zero sessions', () => ['warmup', '--sessions', '0', '--out', join(dir, 'w.jsonl')], /--sessions/],
    [
      'a malformed --stages',
      () => ['ramp-load', '--stages', '8y30s', '--out', join(dir, 'r.jsonl')],
      /--stages/,
    ],
    [
      'an unreadable snapshot file',
      () => ['report', '--before', missing(), '--after', missing()],
      /cannot read snapshot --before/,
    ],
    [
      'a selector that matches nothing',
      () => [
        'scrape-metrics',
        '--kubeconfig',
        stack.kubeconfigPath,
        '--selector',
        'app=nothing-here',
        '--out',
        join(dir, 's.json'),
      ],
      /no pods match app=nothing-here in namespace llm-d/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const run = await spawnCli(args());
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable gateway', async () => {
    const run = await spawnCli([
      'warmup',
      '--gateway-url',
      'http://127.0.0.1:9',
      '--sessions',
      '2',
      '--out',
      join(dir, 'u.jsonl'),
    ]);
    expect(run.code).toBe(2);
    // Progress lines may precede it; the error is the one last line.
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^kv-cache-bench warmup: cannot reach gateway http:\/\/127\.0\.0\.1:9: ECONNREFUSED/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a snapshot file that is not JSON', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const run = await spawnCli(['report', '--before', bad, '--after', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/not JSON/);
  });
});
