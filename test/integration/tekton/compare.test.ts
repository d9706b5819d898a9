// Issue #5 in Tekton: the kv-cache-compare Pipeline, run by the local executor against an embedded
// stack with two gateways over the same pods — prefix-aware (the llm-d gateway) and round-robin (the
// baseline route) — with the params of pipelineruns/cache-compare-pipelinerun.yaml; only the URLs point
// at the local stack and the workload is small. Steps run as `kv-cache-bench` with exactly rbac/'s Role.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackHandle } from '../../../src/sim/stack.ts';
import {
  loadPipelineRun,
  runPipelineRun,
  type Catalog,
  type PipelineRunStatus,
  type RunPipelineOptions,
} from '../../../src/tekton/index.ts';
import type { RestartRecord } from '../../../src/flow/restart-step.ts';
import type { Report } from '../../../src/types.ts';
import { ROOT } from '../../unit/tekton/catalog-files.ts';
import { startTektonStack, type TektonStack } from '../../helpers/tekton-stack.ts';

const RUN_FILE = join(ROOT, 'pipelineruns', 'cache-compare-pipelinerun.yaml');

let stack: StackHandle;
let catalog: Catalog;
let dir: string;
let saKubeconfig: string;

let env: TektonStack | undefined;

beforeAll(async () => {
  env = await startTektonStack('tekton-compare-', { policy: 'prefix-aware', baselinePolicy: 'round-robin' });
  ({ stack, catalog, dir, saKubeconfig } = env);
}, 120_000);

afterAll(async () => {
  await env?.close();
});

function options(extra: Partial<RunPipelineOptions>): RunPipelineOptions {
  return {
    catalog,
    pipelineRun: loadPipelineRun(RUN_FILE),
    params: {
      'gateway-url': stack.gatewayUrl,
      'baseline-url': stack.baselineGatewayUrl ?? '',
      // The demo's session shape with fewer sessions, so both passes finish in seconds: 8 sessions,
      // their turns 2–10 after the warm-up (a perfect router reaches about 0.95, over the 0.9 gate).
      sessions: '8',
      stages: '4x24,8x48',
      'restart-timeout': '1m',
    },
    serviceAccounts: { 'kv-cache-bench': { env: { KUBECONFIG: saKubeconfig } } },
    ...extra,
    dir: extra.dir ?? mkdtempSync(join(dir, 'run-')),
  };
}

function explain(pr: PipelineRunStatus): string {
  return Object.values(pr.taskRuns)
    .flatMap((tr) =>
      tr.steps.map((s) => `--- ${tr.name}/${s.name} exit ${String(s.exitCode)}\n${s.log.slice(-3000)}`),
    )
    .join('\n');
}

describe('the kv-cache-compare pipeline on the embedded stack', () => {
  let pr: PipelineRunStatus;
  let reports: string;
  let report: Report;
  let podsBefore: string[];

  beforeAll(async () => {
    reports = mkdtempSync(join(dir, 'reports-'));
    podsBefore = stack.pods.map((p) => p.name);
    pr = await runPipelineRun(options({ workspaces: [{ name: 'reports', hostPath: reports }] }));
    const out = join(reports, pr.taskRuns.compare?.name ?? '');
    if (!existsSync(join(out, 'report.json'))) throw new Error(`no report.json\n${explain(pr)}`);
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    console.log(
      `prefix-aware: hit rate ${report.hitRate.delta}, ${report.verdict}; ` +
        `${report.baseline?.policy} (round-robin): hit rate ${report.baseline?.hitRate}`,
    );
  }, 180_000);

  it('restarts the decode pods before each pass, as the ServiceAccount of rbac/', () => {
    expect(stack.pods.map((p) => p.name).filter((n) => podsBefore.includes(n))).toEqual([]);
    const out = join(reports, pr.taskRuns.compare?.name ?? '');
    const [first, second] = ['baseline/restart.json', 'restart.json'].map(
      (f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as RestartRecord,
    );
    const names = (pods: { name: string }[] | undefined) => (pods ?? []).map((p) => p.name).sort();
    // The gateway pass starts from fresh pods too: its restart replaced the ones the baseline warmed.
    expect(names(first?.before)).toEqual([...podsBefore].sort());
    expect(names(second?.before)).toEqual(names(first?.after));
    expect(names(second?.after)).toEqual(stack.pods.map((p) => p.name).sort());
    expect([first?.countersZero, second?.countersZero]).toEqual([true, true]);
  });

  it('gives the gateway pass hit rate, stickiness and verdict as Pipeline results', () => {
    const results = Object.fromEntries(pr.results.map((r) => [r.name, r.value]));
    expect({
      condition: pr.condition.reason,
      results: Object.keys(results).sort(),
      verdict: results.verdict,
      log: results.verdict === 'PASS' ? '' : explain(pr),
    }).toEqual({
      condition: 'Succeeded',
      results: ['hit-rate', 'stickiness', 'verdict'],
      verdict: 'PASS',
      log: '',
    });
    expect(Number(results['hit-rate'])).toBeCloseTo(report.hitRate.delta ?? NaN, 4);
    expect(results.stickiness).toBe(report.stickiness.grade);
    expect(results.verdict).toBe(report.verdict);
    const summary = JSON.parse(
      String(pr.taskRuns.compare?.results.find((r) => r.name === 'summary')?.value),
    ) as { hitRate: number };
    expect(summary.hitRate).toBeCloseTo(report.hitRate.delta ?? NaN, 4);
  });

  it('reports the round-robin baseline, by the name the PipelineRun gives it, below the prefix-aware gateway', () => {
    const run = loadPipelineRun(RUN_FILE);
    const name = run.spec.params?.find((p) => p.name === 'baseline-name')?.value;
    expect(report.baseline?.policy).toBe(name);
    expect(report.hitRate.delta).toBeGreaterThan(0.5);
    expect(report.baseline?.hitRate).toBeLessThan((report.hitRate.delta ?? 0) - 0.1);
    expect(report.baseline?.throughputRps).toBeGreaterThan(0);
  });

  it('keeps both passes in the reports workspace, the baseline under baseline/', () => {
    const out = join(reports, pr.taskRuns.compare?.name ?? '');
    for (const f of [
      'restart.json',
      'snapshot-1-warm.json',
      'records.jsonl',
      'report.md',
      'baseline/restart.json',
      'baseline/report.json',
      'baseline/records.jsonl',
    ])
      expect([f, existsSync(join(out, f))]).toEqual([f, true]);
    // The Tekton results are the gateway pass's; the baseline's stay in its own folder.
    expect(existsSync(join(out, 'results'))).toBe(false);
    expect(existsSync(join(out, 'baseline', 'results', 'hit-rate'))).toBe(true);
  });
});

it('without the workspace, the same out-dir is a folder of the emptyDir: startable from params alone', async () => {
  const runDir = mkdtempSync(join(dir, 'run-'));
  const pr = await runPipelineRun(options({ dir: runDir }));
  const tr = pr.taskRuns.compare;
  expect(tr?.steps.map((s) => [s.name, s.command.slice(0, 3)])).toEqual([
    ['compare', ['kv-cache-bench', 'run', '--restart']],
  ]);
  expect(tr?.steps[0]?.command).toEqual(
    expect.arrayContaining([`--out-dir=/scratch/reports/${tr?.name ?? ''}`, '--results-dir=/tekton/results']),
  );
  // The executor keeps each TaskRun's volumes under <dir>/<TaskRun>/volumes/<name>.
  const out = join(runDir, tr?.name ?? '', 'volumes', 'scratch', 'reports', tr?.name ?? '');
  expect({
    report: existsSync(join(out, 'report.json')),
    baseline: existsSync(join(out, 'baseline', 'report.json')),
    log: existsSync(join(out, 'report.json')) ? '' : explain(pr),
  }).toEqual({ report: true, baseline: true, log: '' });
  expect(pr.results.map((r) => r.name).sort()).toEqual(['hit-rate', 'stickiness', 'verdict']);
}, 120_000);
