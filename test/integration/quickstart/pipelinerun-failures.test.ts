// PipelineRuns that go wrong on the embedded stack end the way Tekton ends them, seen through real kubectl:
// a load that fails (Succeeded=False, reason Failed, the report still written), a missing Pipeline
// (CouldntGetPipeline), a ServiceAccount without the Role (the API's 403 in the step log, --tls RBAC), a
// deleted run (its steps stop, its TaskRuns and pods go).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import { eventually, kubectlWith, resultsOf, succeeded, type PipelineRunJson, type Run } from './helpers.ts';

let stack: StackHandle;
let dir: string;
let kubectl: (...args: string[]) => Promise<Run>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pipelinerun-failures-'));
  stack = await startStack({
    pods: 2,
    latency: 'zero',
    readyDelayMs: 100,
    tls: true,
    tekton: true,
    host: 'llm-d.demo.local',
  });
  kubectl = kubectlWith(stack.kubeconfigPath, {
    ...process.env,
    KUBECONFIG: undefined,
    KUBECACHEDIR: join(dir, 'kube-cache'),
  });
  const applied = await kubectl('apply', '-k', '.');
  expect(applied.stderr).toBe('');
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `kubectl create -f` of a PipelineRun document; returns its name. */
async function create(doc: object): Promise<string> {
  const file = join(dir, `pr-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const r = await kubectl('create', '-n', 'llm-d', '-f', file, '-o', 'name');
  expect(r.stderr).toBe('');
  return r.stdout.trim().replace(/^pipelinerun\.tekton\.dev\//, '');
}

function pipelineRun(pipeline: string, params: Record<string, string>, serviceAccount = 'kv-cache-bench') {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: { generateName: `${pipeline}-test-` },
    spec: {
      pipelineRef: { name: pipeline },
      params: Object.entries(params).map(([name, value]) => ({ name, value })),
      taskRunTemplate: { serviceAccountName: serviceAccount },
    },
  };
}

async function get(name: string): Promise<PipelineRunJson> {
  return JSON.parse(
    (await kubectl('get', 'pipelinerun', '-n', 'llm-d', name, '-o', 'json')).stdout,
  ) as PipelineRunJson;
}

/** `kubectl wait --for=condition=Succeeded=False`, then the run. */
async function waitFailed(name: string): Promise<PipelineRunJson> {
  const w = await kubectl(
    'wait',
    '-n',
    'llm-d',
    '--for=condition=Succeeded=False',
    `pipelinerun/${name}`,
    '--timeout=120s',
  );
  expect(w.stdout).toMatch(/condition met/);
  return get(name);
}

async function taskRunPod(pipelineRun: string): Promise<string> {
  const r = await kubectl(
    'get',
    'taskruns',
    '-n',
    'llm-d',
    '-l',
    `tekton.dev/pipelineRun=${pipelineRun}`,
    '-o',
    'jsonpath={.items[0].status.podName}',
  );
  return r.stdout.trim();
}

describe('PipelineRuns that fail on the embedded stack', () => {
  it('a load that fails ends Succeeded=False (Failed) with the report still produced', async () => {
    const name = await create(
      pipelineRun('kv-cache-ramp', {
        'gateway-url': 'http://no-such-gateway.llm-d.svc.cluster.local',
        sessions: '2',
        stages: '2x4',
      }),
    );
    const pr = await waitFailed(name);
    expect(succeeded(pr)).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0',
    });
    expect(resultsOf(pr)).toMatchObject({ verdict: 'FAIL' });
    expect(pr.status?.completionTime).toEqual(expect.any(String));
    const pod = await taskRunPod(name);
    const ramp = await kubectl('logs', '-n', 'llm-d', pod, '-c', 'step-ramp-load');
    expect(ramp.stdout).toMatch(/ENOTFOUND|no-such-gateway/);
    const report = await kubectl('logs', '-n', 'llm-d', pod, '-c', 'step-report');
    expect(report.stdout).toMatch(/VERDICT: FAIL/);
    const trs = await kubectl('get', 'taskruns', '-n', 'llm-d', '-l', `tekton.dev/pipelineRun=${name}`);
    expect(trs.stdout).toMatch(/False\s+Failed/);
  }, 150_000);

  it('a PipelineRun naming a missing Pipeline fails with CouldntGetPipeline', async () => {
    const name = await create(pipelineRun('no-such-pipeline', {}));
    const pr = await waitFailed(name);
    expect(succeeded(pr)).toMatchObject({
      status: 'False',
      reason: 'CouldntGetPipeline',
      message: expect.stringContaining('pipelines.tekton.dev "no-such-pipeline" not found'),
    });
    expect(pr.status?.childReferences ?? []).toEqual([]);
  }, 60_000);

  it("a ServiceAccount the Role is not bound to gets the API's 403 in the step log", async () => {
    expect((await kubectl('create', 'serviceaccount', '-n', 'llm-d', 'no-rights')).stdout).toMatch(/created/);
    const name = await create(pipelineRun('kv-cache-pod-restart', {}, 'no-rights'));
    const pr = await waitFailed(name);
    expect(succeeded(pr)).toMatchObject({ reason: 'Failed' });
    const log = await kubectl('logs', '-n', 'llm-d', await taskRunPod(name), '-c', 'step-restart-pods');
    // The CLI turns the apiserver's forbiddenMessage() (`pods is forbidden: User "system:serviceaccount:
    // llm-d:no-rights" cannot list resource "pods" …`) into the grant it needs (src/kube/client.ts).
    expect(log.stdout).toMatch(/forbidden/);
    expect(log.stdout).toMatch(
      /needs verb "list" on resource "pods" in namespace llm-d|User "system:serviceaccount:llm-d:no-rights" cannot list resource "pods" in API group "" in the namespace "llm-d"/,
    );
  }, 60_000);

  it('deleting a running PipelineRun stops its steps and removes its TaskRuns and pods', async () => {
    const name = await create(pipelineRun('kv-cache-ramp', { stages: '2x2000', sessions: '2' }));
    const pod = await eventually(
      'the ramp-load step to run',
      async () => {
        const r = await kubectl(
          'get',
          'pod',
          '-n',
          'llm-d',
          '-l',
          `tekton.dev/pipelineRun=${name}`,
          '-o',
          'json',
        );
        const items = (
          JSON.parse(r.stdout) as {
            items: {
              metadata: { name: string };
              status: { containerStatuses: { name: string; state: object }[] };
            }[];
          }
        ).items;
        const p = items[0];
        const running = p?.status.containerStatuses.find(
          (c) => c.name === 'step-ramp-load' && 'running' in c.state,
        );
        return running ? p!.metadata.name : undefined;
      },
      60_000,
    );
    const del = await kubectl('delete', 'pipelinerun', '-n', 'llm-d', name);
    expect(del.stdout).toMatch(/deleted/);
    const left = await kubectl(
      'get',
      'taskruns,pods',
      '-n',
      'llm-d',
      '-l',
      `tekton.dev/pipelineRun=${name}`,
      '-o',
      'name',
    );
    expect(left.stdout.trim()).toBe('');
    expect((await kubectl('get', 'pod', '-n', 'llm-d', pod)).stderr).toMatch(/NotFound/);
  }, 90_000);
});
