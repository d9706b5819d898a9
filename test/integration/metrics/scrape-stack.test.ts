// scrape-metrics and report through the CLI against the embedded stack: real Kubernetes API (pod discovery,
// pods/proxy), real simulated vLLM pods, traffic through the gateway between two snapshots.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Report, Snapshot } from '../../../src/types.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';

// Async on purpose: the stack serves from this process, so a synchronous child would deadlock it.
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'src/bin.ts'), ...args], { cwd: ROOT, timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

describe('scrape-metrics against the embedded stack', () => {
  let stack: StackHandle;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack({
      pods: 2,
      tokenizer: 'approx',
      latency: 'zero',
      readyDelayMs: 0,
      policy: 'round-robin',
      model: MODEL,
    });
    dir = mkdtempSync(join(tmpdir(), 'kvb-stack-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await stack.close();
  });

  it('exits 2 naming the selector when no pod matches', async () => {
    const r = await cli([
      'scrape-metrics',
      '--kubeconfig',
      stack.kubeconfigPath,
      '--selector',
      'app=nothing',
      '--out',
      join(dir, 'x.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'kv-cache-bench scrape-metrics: no pods match app=nothing in namespace llm-d (check --selector / --namespace)',
    );
  });

  it('measures the traffic sent between a --via pod-ip and a --via api-proxy snapshot', async () => {
    const before = join(dir, 'before.json');
    const after = join(dir, 'after.json');
    // Each CLI start loads client-node (seconds on these machines): one snapshot per way of reading.
    expect(
      (
        await cli([
          'scrape-metrics',
          '--via',
          'pod-ip',
          '--kubeconfig',
          stack.kubeconfigPath,
          '--label',
          'start',
          '--out',
          before,
        ])
      ).code,
    ).toBe(0);
    const start = JSON.parse(readFileSync(before, 'utf8')) as Snapshot;
    expect(start.pods.map((p) => p.name).sort()).toEqual(stack.pods.map((p) => p.name).sort());
    for (const p of start.pods) {
      expect(p).toMatchObject({ ready: true, counters: { prefixCacheQueries: 0 } });
      expect(p.error).toBeUndefined();
      expect(p.uid).not.toBe('');
      expect(p.createdAt).toBeGreaterThan(1.7e9);
    }
    const messages = [
      { role: 'user', content: 'explain the prefix cache of vLLM in detail please '.repeat(8) },
    ];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages, max_tokens: 4, stream: false }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(
      (
        await cli([
          'scrape-metrics',
          '--via',
          'api-proxy',
          '--kubeconfig',
          stack.kubeconfigPath,
          '--out',
          after,
        ])
      ).code,
    ).toBe(0);
    const out = join(dir, 'report');
    const r = await cli([
      'report',
      '--before',
      before,
      '--after',
      after,
      '--min-hit-rate',
      '0',
      '--out-dir',
      out,
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    // Round-robin over 2 pods: each pod sees the prompt twice, the second time from its cache.
    expect(report.pods.map((p) => [p.share, p.restarted])).toEqual([
      [0.5, false],
      [0.5, false],
    ]);
    expect(report.hitRate.delta).toBeGreaterThan(0.3);
    expect(report.hitRate.delta).toBeLessThan(0.5);
  });
});
