// Every Pipeline of the catalog, run by the local executor against the embedded llm-d stack with the
// params of its PipelineRun file (only the gateway URL points at the local stack). Steps run as the
// `kv-cache-bench` ServiceAccount with exactly the permissions of rbac/ (the stack enforces RBAC).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { serviceAccountUser } from '../../../src/sim/kube-api/rbac.ts';
import { writeKubeconfig } from '../../../src/sim/kube-api/kubeconfig.ts';
import type { StackHandle } from '../../../src/sim/stack.ts';
import {
  loadPipelineRun,
  runPipelineRun,
  type Catalog,
  type PipelineRunStatus,
  type RunPipelineOptions,
} from '../../../src/tekton/index.ts';
import { ROOT } from '../../unit/tekton/catalog-files.ts';
import { startTektonStack, type TektonStack } from '../../helpers/tekton-stack.ts';

let stack: StackHandle;
let catalog: Catalog;
let dir: string;
let saKubeconfig: string;

let env: TektonStack | undefined;

beforeAll(async () => {
  env = await startTektonStack('tekton-it-');
  ({ stack, catalog, dir, saKubeconfig } = env);
}, 120_000);

afterAll(async () => {
  await env?.close();
});

/** Runs a PipelineRun file; `runDir` holds its TaskRuns' directories and claims. */
async function run(
  file: string,
  extra: Partial<RunPipelineOptions> = {},
): Promise<PipelineRunStatus & { runDir: string }> {
  const runDir = mkdtempSync(join(dir, 'run-'));
  const pr = await runPipelineRun({
    catalog,
    pipelineRun: loadPipelineRun(join(ROOT, 'pipelineruns', file)),
    params: { 'gateway-url': stack.gatewayUrl },
    serviceAccounts: { 'kv-cache-bench': { env: { KUBECONFIG: saKubeconfig } } },
    dir: runDir,
    ...extra,
  });
  return { ...pr, runDir };
}

/** What the logs say when a run goes wrong: every step's tail. */
function explain(pr: PipelineRunStatus): string {
  return Object.values(pr.taskRuns)
    .flatMap((tr) =>
      tr.steps.map(
        (s) =>
          `--- ${tr.name}/${s.name} exit ${String(s.exitCode)} ${s.terminationReason}\n${s.log.slice(-1500)}`,
      ),
    )
    .join('\n');
}

const GRADES = ['EXCELLENT', 'GOOD', 'FAIR', 'POOR'];

/** The report's verdict decides the run: PASS → Succeeded, FAIL → Failed by the report step alone. */
function expectMeasured(pr: PipelineRunStatus, reportTask: string, reportStep: string): void {
  const results = Object.fromEntries(pr.results.map((r) => [r.name, r.value]));
  expect({
    results: Object.keys(results).sort(),
    log: Object.keys(results).length === 3 ? '' : explain(pr),
  }).toEqual({
    results: ['hit-rate', 'stickiness', 'verdict'],
    log: '',
  });
  expect(Number(results['hit-rate'])).toBeGreaterThan(0.5);
  expect(GRADES).toContain(results.stickiness);
  const pass = results.verdict === 'PASS';
  expect(pr.condition).toMatchObject(
    pass ? { status: 'True', reason: 'Succeeded' } : { status: 'False', reason: 'Failed' },
  );
  for (const tr of Object.values(pr.taskRuns)) {
    for (const s of tr.steps) {
      const failing = !pass && tr.pipelineTaskName === reportTask && s.name === reportStep;
      if (s.terminationReason !== 'Skipped')
        expect([tr.pipelineTaskName, s.name, s.exitCode]).toEqual([
          tr.pipelineTaskName,
          s.name,
          failing ? 1 : 0,
        ]);
    }
  }
  const summary = JSON.parse(
    String(pr.taskRuns[reportTask]?.results.find((r) => r.name === 'summary')?.value),
  ) as { verdict: string };
  expect(summary.verdict).toBe(results.verdict);
}

describe('the catalog on the embedded stack', () => {
  it('cache-pod-restart: replaces every decode pod and the next snapshot reads zero counters', async () => {
    const before = stack.pods.map((p) => p.name).sort();
    const pr = await run('cache-pod-restart-pipelinerun.yaml');
    expect({
      condition: pr.condition.status,
      log: pr.condition.status === 'True' ? '' : explain(pr),
    }).toEqual({ condition: 'True', log: '' });
    const after = stack.pods.map((p) => p.name).sort();
    expect(after).toHaveLength(before.length);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    // The verify step ran in its container's working directory (no workspace bound).
    const verify = pr.taskRuns.verify;
    const snapshotFile = join(
      pr.runDir,
      verify?.name ?? '',
      'containers',
      'step-scrape-metrics',
      'snapshot.json',
    );
    const snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8')) as {
      label: string;
      pods: { name: string; counters: Record<string, number | null> }[];
    };
    expect(verify?.condition.reason).toBe('Succeeded');
    expect(snapshot.label).toBe('after-restart');
    expect(snapshot.pods.map((p) => p.name).sort()).toEqual(after);
    for (const p of snapshot.pods)
      expect([p.counters.prefixCacheQueries, p.counters.prefixCacheHits]).toEqual([0, 0]);
  }, 120_000);

  it('cache-hit: the ramp pipeline gives hit rate, stickiness and verdict from params alone', async () => {
    const pr = await run('cache-hit-pipelinerun.yaml');
    expectMeasured(pr, 'measure', 'report');
    expect(pr.taskRuns.measure?.steps.find((s) => s.name === 'publish')?.terminationReason).toBe('Skipped');
  }, 180_000);

  it('cache-restart-ramp: restarts, then measures from zeroed counters', async () => {
    const pr = await run('cache-restart-ramp-pipelinerun.yaml');
    expect(Object.keys(pr.taskRuns)).toEqual(['restart', 'measure']);
    expect(Date.parse(pr.taskRuns.measure?.startTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(pr.taskRuns.restart?.completionTime ?? ''),
    );
    expectMeasured(pr, 'measure', 'report');
  }, 240_000);

  it('cache-ramp-stepwise: one TaskRun per step through the claim, the report in finally', async () => {
    const pr = await run('cache-ramp-stepwise-pipelinerun.yaml');
    expect(Object.keys(pr.taskRuns).sort()).toEqual([
      'ramp-load',
      'report',
      'scrape-end',
      'scrape-start',
      'scrape-warm',
      'warmup',
    ]);
    expectMeasured(pr, 'report', 'report');
    const claim = join(pr.runDir, 'pvc', `data-${pr.name}`);
    for (const f of [
      'snapshot-0-start.json',
      'warmup.jsonl',
      'warmup.jsonl.sessions.json',
      'snapshot-1-warm.json',
      'records.jsonl',
      'records.stages.jsonl',
      'snapshot-2-end.json',
      'report.json',
      'report.html',
    ]) {
      expect([f, existsSync(join(claim, f))]).toEqual([f, true]);
    }
  }, 240_000);

  it('cache-ramp-fanout: two shards load at once and the report merges their records', async () => {
    const pr = await run('cache-ramp-fanout-pipelinerun.yaml');
    expect(Object.keys(pr.taskRuns).sort()).toEqual([
      'ramp-load/0',
      'ramp-load/1',
      'report',
      'scrape-end',
      'scrape-start',
      'scrape-warm',
      'warmup',
    ]);
    expectMeasured(pr, 'report', 'report');
    const claim = join(pr.runDir, 'pvc', `data-${pr.name}`);
    const shards = ['records-0.jsonl', 'records-1.jsonl'].map((f) =>
      readFileSync(join(claim, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { shard: string }).shard),
    );
    expect(shards.map((s) => [...new Set(s)])).toEqual([['0/2'], ['1/2']]);
    const report = JSON.parse(readFileSync(join(claim, 'report.json'), 'utf8')) as {
      requests: { total: number };
    };
    expect(report.requests.total).toBe(shards[0]!.length + shards[1]!.length);
  }, 240_000);

  it('a load that cannot reach the gateway is still reported, publishes the report, and fails the run', async () => {
    const closed = await closedPort();
    const reports = mkdtempSync(join(dir, 'reports-'));
    const pr = await run('cache-hit-pipelinerun.yaml', {
      params: { 'gateway-url': `http://127.0.0.1:${closed}` },
      workspaces: [{ name: 'reports', hostPath: reports }],
    });
    expect(pr.condition).toMatchObject({ status: 'False', reason: 'Failed' });
    const steps = Object.fromEntries((pr.taskRuns.measure?.steps ?? []).map((s) => [s.name, s.exitCode]));
    expect(steps).toMatchObject({
      'scrape-start': 0,
      'scrape-warm': 0,
      'scrape-end': 0,
      publish: 1,
      report: 1,
    });
    expect(steps.warmup).not.toBe(0);
    expect(steps['ramp-load']).not.toBe(0);
    expect(pr.results.find((r) => r.name === 'verdict')?.value).toBe('FAIL');
    const published = JSON.parse(
      readFileSync(join(reports, pr.taskRuns.measure?.name ?? '', 'report.json'), 'utf8'),
    ) as { verdict: string; requests: { errors: number } };
    expect(published.verdict).toBe('FAIL');
    expect(published.requests.errors).toBeGreaterThan(0);
  }, 180_000);

  it('runs with no more than rbac/ grants: a ServiceAccount without the Role cannot restart', async () => {
    const token = randomBytes(24).toString('base64url');
    stack.rbac?.addToken(token, serviceAccountUser(stack.namespace, 'unbound'));
    const kubeconfig = join(dir, 'unbound-kubeconfig');
    await writeKubeconfig(kubeconfig, stack.kubernetesUrl, token, { namespace: stack.namespace });
    const pr = await run('cache-pod-restart-pipelinerun.yaml', {
      serviceAccounts: { 'kv-cache-bench': { env: { KUBECONFIG: kubeconfig } } },
    });
    expect(pr.condition).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(pr.taskRuns.restart?.steps[0]?.log).toMatch(/forbidden/i);
    expect(pr.skippedTasks).toEqual([{ name: 'verify', reason: 'PipelineRun was stopping' }]);
  }, 60_000);

  it('cache-ramp: resolves to the exact commands a cluster would run (dry run)', async () => {
    const pr = await run('cache-ramp-pipelinerun.yaml', { dryRun: true });
    const steps = pr.taskRuns.measure?.steps ?? [];
    expect(steps.map((s) => s.name)).toEqual([
      'scrape-start',
      'warmup',
      'scrape-warm',
      'ramp-load',
      'scrape-end',
      'publish',
      'report',
    ]);
    expect(steps.find((s) => s.name === 'ramp-load')?.command).toEqual(
      expect.arrayContaining([
        'kv-cache-bench',
        'ramp-load',
        '--stages=8x72,16x144',
        `--gateway-url=${stack.gatewayUrl}`,
      ]),
    );
    expect(steps.find((s) => s.name === 'report')?.command).toContain('--results-dir=/tekton/results');
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
