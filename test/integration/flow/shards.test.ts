// Issue #8: two shards of one seeded workload, run side by side and merged by `report`, give the same
// request count and the same hit-rate inputs (prompt tokens sent = prefix-cache queries counted) as one
// unsharded run. Each run gets a fresh embedded stack so neither inherits the other's cache.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../../../src/sim/stack.ts';
import type { Report, RequestRecord } from '../../../src/types.ts';
import { spawnCli } from '../../helpers/spawn-cli.ts';

const WORKLOAD = [
  '--sessions',
  '6',
  '--turns',
  '4',
  '--max-tokens',
  '40',
  '--seed',
  '5',
  '--tokenizer',
  'approx',
];
const dir = mkdtempSync(join(tmpdir(), 'kvb-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  report: Report;
  records: RequestRecord[];
}

async function measure(name: string, shards: string[]): Promise<Outcome> {
  const stack = await startStack({ pods: 2, policy: 'session-token', latency: 'zero', tokenizer: 'approx' });
  try {
    const urls = stack.pods.map((p) => `${p.url}/metrics`).join(',');
    const snap = (label: string) =>
      spawnCli([
        'scrape-metrics',
        '--via',
        'urls',
        '--urls',
        urls,
        '--label',
        label,
        '--out',
        join(dir, `${name}-${label}.json`),
      ]);
    expect((await snap('before')).code).toBe(0);
    const outs = shards.map((s, i) => join(dir, `${name}-${i}.jsonl`));
    const runs = await Promise.all(
      shards.map((shard, i) =>
        spawnCli([
          'ramp-load',
          '--gateway-url',
          stack.gatewayUrl,
          ...WORKLOAD,
          '--stages',
          '6x24',
          '--run-id',
          name,
          '--out',
          outs[i]!,
          ...(shard ? ['--shard', shard] : []),
        ]),
      ),
    );
    for (const r of runs) expect(r.code).toBe(0);
    expect((await snap('after')).code).toBe(0);
    const report = await spawnCli([
      'report',
      '--before',
      join(dir, `${name}-before.json`),
      '--after',
      join(dir, `${name}-after.json`),
      '--records',
      ...outs,
      '--min-hit-rate',
      '0',
      '--out-dir',
      join(dir, name),
    ]);
    expect(report.code).not.toBe(2);
    const records = outs.flatMap((f) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RequestRecord),
    );
    return { report: JSON.parse(readFileSync(join(dir, name, 'report.json'), 'utf8')) as Report, records };
  } finally {
    await stack.close();
  }
}

it('two shards plus a merge equal one unsharded run of the same seed', async () => {
  const whole = await measure('whole', ['']);
  const sharded = await measure('sharded', ['0/2', '1/2']);
  const sum = (rs: RequestRecord[], f: (r: RequestRecord) => number) => rs.reduce((a, r) => a + f(r), 0);
  const queries = (r: Report) => r.pods.reduce((a, p) => a + p.queries, 0);

  expect(sharded.report.requests.total).toBe(whole.report.requests.total);
  expect(sharded.report.requests.total).toBe(24);
  expect(new Set(sharded.records.map((r) => r.shard))).toEqual(new Set(['0/2', '1/2']));
  // The same sessions ran in both; which session takes the next free slot depends on timing, so the
  // turns each got may differ by one: the prompt tokens sent agree within a few percent.
  expect(new Set(sharded.records.map((r) => r.session))).toEqual(
    new Set(whole.records.map((r) => r.session)),
  );
  const tokens = [whole, sharded].map((o) => sum(o.records, (r) => r.promptTokens));
  expect(Math.abs(tokens[1]! - tokens[0]!) / tokens[0]!).toBeLessThan(0.05);
  // The merged records and the counters agree exactly: vLLM counts every prompt token as a query.
  expect(queries(whole.report)).toBe(tokens[0]);
  expect(queries(sharded.report)).toBe(tokens[1]);
  expect(sharded.report.hitRate.upperBound).not.toBeNull();
  console.log(
    `unsharded: ${whole.report.requests.total} requests, ${queries(whole.report)} queries, hit rate ${whole.report.hitRate.delta}; ` +
      `2 shards merged: ${sharded.report.requests.total} requests, ${queries(sharded.report)} queries, hit rate ${sharded.report.hitRate.delta}`,
  );
}, 180_000);
