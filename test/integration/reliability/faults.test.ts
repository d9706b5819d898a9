// Issue #7, faults mid-run: each fault injected into the embedded stack while the real CLI runs against it
// (ramp-load, scrape-metrics, report, restart-pods in-process). For each: no crash, the right figures, and a
// report that says what happened in words.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeSnapshotWith } from '../../../src/metrics/take-snapshot.ts';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Report, RequestRecord, Snapshot } from '../../../src/types.ts';
import { runCli, scrapeCli } from '../load/cli-io.ts';

let stack: StackHandle;
let dir: string;
let n = 0;

beforeAll(async () => {
  // Round-robin spreads every session over every pod, so a fault on one pod shows in a third of requests.
  stack = await startStack({
    pods: 3,
    policy: 'round-robin',
    latency: 'realistic',
    tokenizer: 'approx',
    readyDelayMs: 300,
  });
  dir = mkdtempSync(join(tmpdir(), 'kvb-faults-'));
}, 60_000);
afterEach(() => stack.faults.clear());
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string): string => join(dir, `${++n}-${name}`);
const WORKLOAD = ['--sessions', '6', '--turns', '4', '--system-prompt-tokens', '40', '--user-tokens', '20'];

async function scrape(label: string): Promise<{ file: string; snap: Snapshot; stderr: string }> {
  const out = file(`${label}.json`);
  return { file: out, ...(await scrapeCli(stack.kubeconfigPath, label, out)) };
}

async function ramp(stages: string, ...extra: string[]): Promise<{ file: string; records: RequestRecord[] }> {
  const out = file('records.jsonl');
  const run = await runCli([
    'ramp-load',
    '--gateway-url',
    stack.gatewayUrl,
    ...WORKLOAD,
    '--max-tokens',
    '16',
    '--tokenizer',
    'approx',
    '--stages',
    stages,
    '--max-error-rate',
    '1',
    '--out',
    out,
    ...extra,
  ]);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(0);
  const records = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestRecord);
  return { file: out, records };
}

async function report(
  before: string,
  after: string,
  records: string,
): Promise<{ code: number; report: Report; stderr: string }> {
  const outDir = file('report');
  const run = await runCli([
    'report',
    '--before',
    before,
    '--after',
    after,
    '--records',
    records,
    '--stages-file',
    `${records}.stages.jsonl`,
    '--min-hit-rate',
    '0',
    '--out-dir',
    outDir,
  ]);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return {
    code: run.code,
    report: JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report,
    stderr: run.stderr,
  };
}

const errorsOf = (records: RequestRecord[]) => records.filter((r) => r.error !== undefined);

describe('the gateway answering 503 to a share of requests', () => {
  it('counts each 503 as an error with status 503, fails the error-rate gate and says so', async () => {
    const before = await scrape('before');
    stack.faults.set('gateway-503=10%');
    const { file: records, records: recs } = await ramp('4x40');
    const after = await scrape('after');
    expect(recs).toHaveLength(40);
    const failed = errorsOf(recs);
    expect(failed).toHaveLength(4);
    expect(failed.every((r) => r.status === 503 && /^HTTP 503: .*gateway-503/.test(r.error ?? ''))).toBe(
      true,
    );

    const { code, report: r } = await report(before.file, after.file, records);
    expect(code).toBe(1);
    expect(r.requests).toMatchObject({ total: 40, errors: 4 });
    expect(r.gates.find((g) => g.name === 'max-error-rate')).toMatchObject({ value: 0.1, ok: false });
    expect(r.warnings).toContainEqual(
      expect.stringMatching(/^4 of 40 measured requests failed \(4 HTTP 503\)/),
    );
    // Refused at the gateway, they never reached a pod: the pods' counters agree with the records.
    expect(r.warnings.join('\n')).not.toMatch(/prefix-cache query tokens/);
  });
});

describe('streams cut mid-response', () => {
  it('records them as "stream ended before [DONE]" errors and counts them by kind', async () => {
    const before = await scrape('before');
    stack.faults.set('cut-stream=25%');
    const { file: records, records: recs } = await ramp('4x40');
    const after = await scrape('after');
    const failed = errorsOf(recs);
    expect(failed).toHaveLength(10);
    for (const f of failed) {
      expect(f.status).toBe(200);
      expect(f.error).toMatch(/^stream ended before \[DONE\]/);
    }
    const { report: r } = await report(before.file, after.file, records);
    expect(r.requests).toMatchObject({ total: 40, errors: 10 });
    expect(r.warnings).toContainEqual(
      expect.stringMatching(/^10 of 40 measured requests failed \(10 stream cut before \[DONE\]\)/),
    );
    // The pods did count the cut requests' prompts: that is no sign of foreign traffic.
    expect(r.warnings.join('\n')).not.toMatch(/other traffic reached the pods/);
  });
});

describe('a pod that stalls', () => {
  it('turns its requests into timeouts at --request-timeout while the other pods serve', async () => {
    stack.faults.set('stall=pod-1:1500ms');
    const started = Date.now();
    const { records: recs } = await ramp('3x30', '--request-timeout', '400ms');
    expect(Date.now() - started).toBeLessThan(15_000);
    const failed = errorsOf(recs);
    // Round-robin sends every third request to pod-1.
    expect(failed.length).toBeGreaterThanOrEqual(8);
    expect(
      failed.every((r) => r.status === 0 && r.error === 'timeout after 400ms' && r.ttftMs === null),
    ).toBe(true);
    expect(recs.length - failed.length).toBeGreaterThanOrEqual(15);
  });
});

describe('a /metrics endpoint that returns garbage or never answers', () => {
  it('records the garbage pod with an error, reads the others, and exits 0', async () => {
    stack.faults.set('metrics-garbage=pod-1');
    const { snap, stderr } = await scrape('garbage');
    const bad = snap.pods[1];
    expect(bad?.error).toMatch(/^metrics line 1: /);
    expect(bad?.counters.prefixCacheQueries).toBeNull();
    expect(snap.pods.filter((p) => !p.error)).toHaveLength(2);
    expect(stderr).toMatch(new RegExp(`^  pod ${bad?.name}: metrics line 1`, 'm'));
  });

  it('gives up on the pod that never answers at the deadline and says which pod the report misses', async () => {
    const before = await scrape('before');
    const { file: records, records: recs } = await ramp('2x6');
    expect(recs).toHaveLength(6);
    stack.faults.set('metrics-timeout=pod-2');
    const started = Date.now();
    const io = {
      stdout: process.stdout,
      stderr: process.stderr,
      env: {},
      now: () => Date.now(),
      signal: new AbortController().signal,
    };
    // What scrape-metrics runs, with a short per-pod deadline instead of its 10 s.
    const after = await takeSnapshotWith(
      {
        via: 'pod-ip',
        namespace: 'llm-d',
        selector: 'llm-d.ai/role=decode',
        kubeconfig: stack.kubeconfigPath,
        model: 'meta-llama/Llama-3.2-3B-Instruct',
        label: 'after',
      },
      io,
      { timeoutMs: 500 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const hung = after.pods[2];
    expect(hung?.error).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/metrics within 500 ms/);
    expect(after.pods.filter((p) => !p.error)).toHaveLength(2);

    const afterFile = file('after-timeout.json');
    writeFileSync(afterFile, JSON.stringify(after));
    const { report: r } = await report(before.file, afterFile, records);
    expect(r.pods.find((p) => p.name === hung?.name)).toMatchObject({ queries: 0, hits: 0 });
    expect(r.warnings).toContainEqual(
      expect.stringContaining(`pod ${hung?.name} could not be read after the run (no answer from`),
    );
  });
});

describe('a pod killed in the middle of ramp-load', () => {
  it('detects the counter reset, flags the pod restarted, counts only what it served since, and says so', async () => {
    const before = await scrape('before');
    const victim = before.snap.pods[1]?.name as string;
    stack.faults.set('kill-pod-after=pod-1:700ms');
    const { file: records } = await ramp('4x2500ms');
    // The crashed container is back (same pod, new process) before the after-snapshot.
    await stack.cluster.whenReady(10_000);
    const after = await scrape('after');
    const pod = stack.cluster.store.get('pods', 'llm-d', victim);
    expect(
      (pod?.status as { containerStatuses: { restartCount: number }[] }).containerStatuses[0]?.restartCount,
    ).toBe(1);

    const { report: r } = await report(before.file, after.file, records);
    const reported = r.pods.find((p) => p.name === victim);
    const a = after.snap.pods.find((p) => p.name === victim)!;
    expect(reported).toMatchObject({ restarted: true, queries: a.counters.prefixCacheQueries });
    for (const p of r.pods.filter((x) => x.name !== victim)) {
      const b = before.snap.pods.find((x) => x.name === p.name)!;
      const q = after.snap.pods.find((x) => x.name === p.name)!;
      expect(p).toMatchObject({
        restarted: false,
        queries: q.counters.prefixCacheQueries! - b.counters.prefixCacheQueries!,
      });
    }
    expect(r.pods.every((p) => p.queries >= 0 && p.hits >= 0)).toBe(true);
    expect(r.warnings).toContainEqual(
      expect.stringMatching(new RegExp(`^pod ${victim} restarted between the snapshots`)),
    );
  });
});

describe('restart-pods while the API server misbehaves', () => {
  it('retries 500s, re-watches after dropped watches, and still finishes', async () => {
    stack.faults.set('api-500=3,drop-watch-after=150ms');
    const out = file('restart.json');
    const run = await runCli([
      'restart-pods',
      '--kubeconfig',
      stack.kubeconfigPath,
      '--timeout',
      '30s',
      '--out',
      out,
    ]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/cannot list pods in namespace llm-d: .*\(HTTP 500\); retrying in 200 ms/);
    expect(run.stderr).toMatch(/the API server ended the watch; re-listing/);
    expect(run.stderr).toMatch(/prefix-cache counters at zero/);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { countersZero: boolean }).countersZero).toBe(true);
  });

  it('gives up at --timeout with one line naming the failure when the 500s do not stop', async () => {
    stack.faults.set('api-500=100%');
    const started = Date.now();
    const run = await runCli(['restart-pods', '--kubeconfig', stack.kubeconfigPath, '--timeout', '1s']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^kv-cache-bench restart-pods: cannot list pods in namespace llm-d: .*\(HTTP 500\)$/,
    );
  });
});

describe('scrapes while the API server answers 500s', () => {
  it.each([
    ['pod-ip', 'api-500=2'],
    ['api-proxy', 'api-500=50%'],
  ])('--via %s under %s retries and reads every pod', async (via, fault) => {
    stack.faults.set(fault);
    const out = file(`snap-${via}.json`);
    const run = await runCli([
      'scrape-metrics',
      '--kubeconfig',
      stack.kubeconfigPath,
      '--via',
      via,
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const snap = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snap.pods.map((p) => p.error)).toEqual([undefined, undefined, undefined]);
  });
});

describe('a pod deleted and replaced in the middle of ramp-load', () => {
  it('reports the old pod gone and its replacement restarted, never a negative delta', async () => {
    const before = await scrape('before');
    const victim = before.snap.pods[0]?.name as string;
    stack.faults.set('delete-pod-after=pod-0:500ms');
    const { file: records } = await ramp('4x2s');
    await stack.cluster.whenReady(10_000);
    const after = await scrape('after');
    const replacement = after.snap.pods.find((p) => !before.snap.pods.some((b) => b.name === p.name));
    expect(replacement).toBeDefined();

    const { report: r } = await report(before.file, after.file, records);
    expect(r.pods.find((p) => p.name === victim)).toMatchObject({ gone: true, queries: 0 });
    expect(r.pods.find((p) => p.name === replacement?.name)).toMatchObject({
      restarted: true,
      queries: replacement?.counters.prefixCacheQueries,
    });
    expect(r.pods.every((p) => p.queries >= 0)).toBe(true);
    expect(r.warnings).toContainEqual(
      expect.stringMatching(new RegExp(`^pod ${victim} is gone from the after-snapshot`)),
    );
  });
});

describe('sim --faults', () => {
  it('serves the stack with the faults it was given, and refuses a bad spec with one line', async () => {
    const bad = await runCli(['sim', '--faults', 'gateway-503=10']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kv-cache-bench sim: --faults "gateway-503=10": "10" is not a share/);

    const stateFile = file('state.json');
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
        '--faults',
        'gateway-503=100%',
        '--state-file',
        stateFile,
        '--log-level',
        'warn',
      ],
      { signal: stop.signal },
    );
    let state: { gateway: string } | undefined;
    for (let i = 0; i < 200 && !state; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        state = JSON.parse(readFileSync(stateFile, 'utf8')) as { gateway: string };
      } catch {
        // not written yet
      }
    }
    const res = await fetch(`${state?.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('injected fault: gateway-503');
    stop.abort();
    const done = await sim;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/fault injection on/);
  });
});
