// Real kubectl against the embedded API server (research/kubectl-api-surface.md). The installed kubectl is
// gcloud's dispatcher: it runs kubectl 1.<minor> for the minor /version reports, so the server's
// kubernetesMinor picks the client under test. Each run gets its own cache dir (discovery is cached per
// host:port, /version forever: research §10).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCluster,
  startKubeApi,
  writeKubeconfig,
  type KubeApiServer,
  type SimCluster,
} from '../../../src/sim/kube-api/index.ts';
import { startLightPod } from '../../../src/sim/kube-api/light-pod.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Env {
  cluster: SimCluster;
  api: KubeApiServer;
  dir: string;
  kubectl: (...args: string[]) => Promise<Run>;
  close: () => Promise<void>;
}

async function startEnv(kubernetesMinor: number, replicas = 3): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-kubectl-'));
  const cluster = createCluster({
    podFactory: startLightPod,
    replicas,
    readyDelayMs: 150,
    terminationDelayMs: 50,
  });
  const api = await startKubeApi({ cluster, kubernetesMinor });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, api.url);
  await cluster.whenReady(10_000);
  const env = { ...process.env, KUBECONFIG: undefined, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve, reject) =>
      execFile(
        'kubectl',
        ['--kubeconfig', kubeconfig, ...args],
        { env, timeout: 30_000 },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') {
            reject(new Error(`could not run kubectl (${err.message}); install kubectl to run these tests`));
          } else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
        },
      ),
    );
  return {
    cluster,
    api,
    dir,
    kubectl,
    close: async () => {
      await api.close();
      await cluster.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const names = (c: SimCluster): string[] => c.store.list('pods', 'llm-d').map((p) => p.metadata.name);
const uids = (c: SimCluster): string[] => c.store.list('pods', 'llm-d').map((p) => p.metadata.uid);

describe('kubectl 1.32 against the embedded API', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(32);
  });
  afterAll(async () => {
    await env.close();
  });

  it('prints the decode pods as a table with READY, STATUS, RESTARTS and AGE', async () => {
    const { code, stdout } = await env.kubectl('get', 'pods', '-n', 'llm-d', '-l', 'llm-d.ai/role=decode');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual(
      names(env.cluster).map((n) => [n, '1/1', 'Running', '0']),
    );
  });

  it('prints pods as JSON and through a jsonpath with each pod IP and its own port', async () => {
    const json = await env.kubectl('get', 'pods', '-l', 'llm-d.ai/role=decode', '-o', 'json');
    expect(JSON.parse(json.stdout).items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(
      names(env.cluster),
    );
    const path =
      '{range .items[*]}{.metadata.name} {.status.podIP}:{.spec.containers[0].ports[0].containerPort}{"\\n"}{end}';
    const { stdout } = await env.kubectl(
      'get',
      'pods',
      '-n',
      'llm-d',
      '--field-selector=status.phase=Running',
      '-o',
      `jsonpath=${path}`,
    );
    const expected = names(env.cluster).map((n) => `${n} 127.0.0.1:${env.cluster.podHandle(n)!.port}`);
    expect(stdout.trim().split('\n')).toEqual(expected);
  });

  it('reports a missing pod with the apiserver NotFound text and exit code 1', async () => {
    const { code, stderr } = await env.kubectl('get', 'pod', 'x', '-n', 'llm-d');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Error from server (NotFound): pods "x" not found');
  });

  it("reads a pod's /metrics through get --raw on the pods/NAME:PORT/proxy path", async () => {
    const pod = names(env.cluster)[0]!;
    const port = env.cluster.podHandle(pod)!.port;
    const { code, stdout } = await env.kubectl(
      'get',
      '--raw',
      `/api/v1/namespaces/llm-d/pods/${pod}:${port}/proxy/metrics`,
    );
    expect(code).toBe(0);
    expect(stdout).toContain(
      `vllm:request_success_total{engine="0",finished_reason="stop",model_name="light-pod",pod="${pod}"} 0`,
    );
  });

  it('answers auth can-i from its protobuf SelfSubjectAccessReview', async () => {
    const { code, stdout } = await env.kubectl('auth', 'can-i', 'delete', 'pods', '-n', 'llm-d');
    expect([code, stdout.trim()]).toEqual([0, 'yes']);
  });

  it('deletes a pod, waits for it to go, and the ReplicaSet replaces it with a new name and uid', async () => {
    const [victim] = names(env.cluster);
    const uidsBefore = uids(env.cluster);
    const del = await env.kubectl('delete', 'pod', victim!, '-n', 'llm-d');
    expect([del.code, del.stdout.trim()]).toEqual([0, `pod "${victim}" deleted`]);
    expect(names(env.cluster)).not.toContain(victim);
    const wait = await env.kubectl(
      'wait',
      '--for=condition=Ready',
      'pod',
      '-l',
      'llm-d.ai/role=decode',
      '-n',
      'llm-d',
      '--timeout=20s',
    );
    expect(wait.code).toBe(0);
    expect(wait.stdout.trim().split('\n')).toHaveLength(3);
    expect(wait.stdout).toMatch(/condition met/);
    const replacement = uids(env.cluster).filter((u) => !uidsBefore.includes(u));
    expect(replacement).toHaveLength(1);
  });

  it('creates a PipelineRun from a manifest with generateName, validated against the served OpenAPI v3', async () => {
    const file = join(env.dir, 'pipelinerun.yaml');
    await writeFile(
      file,
      'apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  generateName: cache-hit-\nspec:\n  pipelineRef:\n    name: cache-hit\n',
    );
    const { code, stdout, stderr } = await env.kubectl('create', '-f', file);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(
      /^pipelinerun\.tekton\.dev\/cache-hit-[bcdfghjklmnpqrstvwxz2456789]{5} created$/,
    );
    expect(env.cluster.store.list('pipelineruns', 'llm-d')).toHaveLength(1);
  });

  it('rolls out a restart and reports it with rollout status', async () => {
    const before = names(env.cluster);
    const restart = await env.kubectl('rollout', 'restart', 'deployment/llama-decode', '-n', 'llm-d');
    expect([restart.code, restart.stdout.trim()]).toEqual([0, 'deployment.apps/llama-decode restarted']);
    const status = await env.kubectl(
      'rollout',
      'status',
      'deploy/llama-decode',
      '-n',
      'llm-d',
      '--timeout=30s',
    );
    expect(status.code).toBe(0);
    expect(status.stdout.trim().split('\n').at(-1)).toBe('deployment "llama-decode" successfully rolled out');
    await env.cluster.whenReady(10_000);
    expect(names(env.cluster).filter((n) => before.includes(n))).toEqual([]);
  });
});

describe.each([28, 33])('kubectl 1.%i against the embedded API', (minor) => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(minor, 2);
  });
  afterAll(async () => {
    await env.close();
  });

  it('lists pods and answers auth can-i (JSON or protobuf review)', async () => {
    const version = await env.kubectl('version', '-o', 'json');
    expect(JSON.parse(version.stdout).clientVersion.minor).toBe(String(minor));
    const get = await env.kubectl('get', 'pods', '-o', 'name');
    expect(get.stdout.trim().split('\n')).toEqual(names(env.cluster).map((n) => `pod/${n}`));
    const can = await env.kubectl('auth', 'can-i', 'get', 'pods', '--subresource=proxy');
    expect(can.stdout.trim()).toBe('yes');
  });
});
