// The catalog and its runs on the embedded stack through real kubectl: `kubectl apply -k .` stores and
// re-applies like a cluster (unchanged, configured), and PipelineRuns that go wrong end the way Tekton ends
// them — a load that fails (Succeeded=False, reason Failed, the report still written), a missing Pipeline
// (CouldntGetPipeline, seen through `get -w`), a ServiceAccount without the Role (the API's 403 in the
// step log, --tls RBAC), a deleted run (its steps stop, its TaskRuns and pods go).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import {
  eventually,
  kubectlWith,
  resultsOf,
  ROOT,
  succeeded,
  type PipelineRunJson,
  type Run,
} from './helpers.ts';

let stack: StackHandle;
let dir: string;
let kubectl: (...args: string[]) => Promise<Run>;
let kubectlEnv: NodeJS.ProcessEnv;
let applied: Run;

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
  kubectlEnv = { ...process.env, KUBECONFIG: undefined, KUBECACHEDIR: join(dir, 'kube-cache') };
  kubectl = kubectlWith(stack.kubeconfigPath, kubectlEnv);
  applied = await kubectl('apply', '-k', '.');
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

/** kind/name of every object `kubectl apply -k .` sends (kustomize works offline). */
function catalogObjects(): string[] {
  const out = execFileSync('kubectl', ['kustomize', ROOT], { encoding: 'utf8' });
  return [...out.matchAll(/^kind: (\w+)\nmetadata:\n(?:\s{2}.*\n)*?\s{2}name: (\S+)$/gm)].map(
    (m) => `${m[1]}/${m[2]}`,
  );
}

describe("the catalog's objects through kubectl", () => {
  it('kubectl apply -k . creates every object, and lists them like a cluster', async () => {
    expect(applied.stderr).toBe('');
    const objects = catalogObjects();
    expect(objects.length).toBeGreaterThan(10);
    expect(applied.stdout.trim().split('\n')).toHaveLength(objects.length);
    expect(applied.stdout).not.toMatch(/unchanged|configured/);
    const listed = await kubectl(
      'get',
      'tasks,pipelines,serviceaccounts,roles,rolebindings',
      '-n',
      'llm-d',
      '-o',
      'name',
    );
    for (const o of objects) {
      const [kind, name] = o.split('/') as [string, string];
      expect(listed.stdout).toContain(`${kind.toLowerCase()}`);
      expect(listed.stdout).toMatch(new RegExp(`/${name}$`, 'm'));
    }
  });

  it('applied again it changes nothing; a changed Task is patched to a new generation', async () => {
    const again = await kubectl('apply', '-k', '.');
    expect(
      again.stdout
        .trim()
        .split('\n')
        .every((l) => / unchanged$/.test(l)),
    ).toBe(true);
    const task = readFileSync(join(ROOT, 'tasks/kv-cache-warmup/kv-cache-warmup.yaml'), 'utf8');
    const changed = join(dir, 'warmup.yaml');
    writeFileSync(changed, task.replace(/default: info\b/, 'default: debug'));
    const patched = await kubectl('apply', '-n', 'llm-d', '-f', changed);
    expect(patched.stdout.trim()).toBe('task.tekton.dev/kv-cache-warmup configured');
    const r = await kubectl('get', 'task', '-n', 'llm-d', 'kv-cache-warmup', '-o', 'json');
    const obj = JSON.parse(r.stdout) as {
      metadata: { generation: number; annotations: Record<string, string> };
      spec: { params: { name: string; default?: string }[] };
    };
    expect(obj.metadata.generation).toBe(2);
    expect(obj.spec.params.find((p) => p.name === 'log-level')?.default).toBe('debug');
    expect(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('debug');
    expect((await kubectl('apply', '-k', '.')).stdout).toContain(
      'task.tekton.dev/kv-cache-warmup configured',
    );
  });
});

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
    const watch = spawn(
      'kubectl',
      ['--kubeconfig', stack.kubeconfigPath, 'get', 'pipelinerun', '-n', 'llm-d', '-w'],
      {
        env: kubectlEnv,
      },
    );
    let watched = '';
    watch.stdout.on('data', (c: Buffer) => (watched += c.toString()));
    const name = await create(pipelineRun('no-such-pipeline', {}));
    const pr = await waitFailed(name);
    await eventually(
      'the watch to show it',
      async () => (/False\s+CouldntGetPipeline/.test(watched) ? true : undefined),
      10_000,
    );
    watch.kill();
    expect(watched.split('\n')[0]).toMatch(/^NAME\s+SUCCEEDED\s+REASON\s+STARTTIME\s+COMPLETIONTIME/);
    expect(watched).toMatch(new RegExp(`^${name}\\s+False\\s+CouldntGetPipeline`, 'm'));
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

  it('cancelling a running PipelineRun (spec.status Cancelled, as tkn pipelinerun cancel) ends it Cancelled', async () => {
    const name = await create(pipelineRun('kv-cache-ramp', { stages: '2x2000', sessions: '2' }));
    await eventually('its TaskRun to run', async () => (await taskRunPod(name)) || undefined, 30_000);
    const patched = await kubectl(
      'patch',
      'pipelinerun',
      '-n',
      'llm-d',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"status":"Cancelled"}}',
    );
    expect(patched.stdout).toMatch(/patched/);
    const pr = await waitFailed(name);
    expect(succeeded(pr)).toMatchObject({
      reason: 'Cancelled',
      message: `PipelineRun "${name}" was cancelled`,
    });
    const trs = await kubectl('get', 'taskruns', '-n', 'llm-d', '-l', `tekton.dev/pipelineRun=${name}`);
    expect(trs.stdout).toMatch(/False\s+TaskRunCancelled/);
  }, 90_000);

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
