// The load driver against the embedded llm-d stack (simulated vLLM pods behind the gateway, llm-d's
// session-token affinity): the upper bound it computes must hold against what the pods really cached.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { RequestRecord } from '../../../src/types.ts';
import { runCli } from './cli-io.ts';

const records = (path: string): RequestRecord[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestRecord);

let stack: StackHandle;

beforeAll(async () => {
  stack = await startStack({
    pods: 3,
    policy: 'session-token',
    tokenizer: 'llama3',
    latency: 'zero',
    enablePromptTokensDetails: true,
  });
});

afterAll(async () => {
  await stack.close();
});

it('never reports more cached tokens than its upper bound allows, and keeps each session on one pod', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvb-stack-'));
  const flags = ['--gateway-url', stack.gatewayUrl, '--sessions', '6', '--turns', '4', '--max-tokens', '60'];
  const warm = await runCli(['warmup', ...flags, '--out', join(dir, 'warmup.jsonl')]);
  expect(warm.code).toBe(0);
  const ramp = await runCli([
    'ramp-load',
    ...flags,
    '--warmup-state',
    join(dir, 'warmup.jsonl.sessions.json'),
    '--stages',
    '3x12,6x12',
    '--out',
    join(dir, 'records.jsonl'),
  ]);
  expect(ramp.code).toBe(0);

  const measured = records(join(dir, 'records.jsonl'));
  expect(measured).toHaveLength(24);
  const pods = new Set(stack.pods.map((p) => p.name));
  for (const r of measured) {
    expect(r.status).toBe(200);
    expect(pods.has(r.servedBy!)).toBe(true);
    // The pod's cache holds a subset of everything sent before: it can never beat the perfect router.
    expect(r.cachedTokens ?? 0).toBeLessThanOrEqual(r.prefixReusableTokens);
    expect(r.prefixReusableTokens).toBeLessThan(r.promptTokens);
  }
  const all = [...records(join(dir, 'warmup.jsonl')), ...measured];
  for (let s = 0; s < 6; s++) {
    expect(new Set(all.filter((r) => r.session === s).map((r) => r.servedBy)).size).toBe(1);
  }
  // With affinity and no eviction the pods come within a block here and there of the bound on continued
  // conversations: the bound counts the answer plus <|eot_id|> (DESIGN "Upper bound"), while a pod never
  // computes KV for the last token it sampled, so a block that those tokens would complete stays empty.
  const continued = measured.filter((r) => r.turn > 1);
  const sum = (f: (r: RequestRecord) => number): number => continued.reduce((a, r) => a + f(r), 0);
  expect(sum((r) => r.cachedTokens ?? 0)).toBeGreaterThanOrEqual(0.97 * sum((r) => r.prefixReusableTokens));
});
