// --tls mode: HTTPS with a self-signed certificate, bearer tokens, RBAC from Role/RoleBinding YAML. kubectl
// sends its token only over TLS (research §1.2), so this is the mode in which a ServiceAccount's limits show.
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCluster,
  Rbac,
  serviceAccountUser,
  startKubeApi,
  writeKubeconfig,
  type KubeApiServer,
  type SimCluster,
} from '../../../src/sim/kube-api/index.ts';
import { startLightPod } from '../../../src/sim/kube-api/light-pod.ts';

const ROLE = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: llm-d}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bench-reader-reads-pods, namespace: llm-d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: ServiceAccount, name: bench-reader, namespace: llm-d}
`;
const USER = 'system:serviceaccount:llm-d:bench-reader';

let cluster: SimCluster;
let api: KubeApiServer;
let dir: string;
let reader: string;
let stranger: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-tls-'));
  const rbac = new Rbac();
  rbac.load(ROLE);
  rbac.addToken('reader-token', serviceAccountUser('llm-d', 'bench-reader'));
  cluster = createCluster({ podFactory: startLightPod, readyDelayMs: 40, terminationDelayMs: 20 });
  api = await startKubeApi({ cluster, tls: true, rbac });
  reader = join(dir, 'reader.kubeconfig');
  stranger = join(dir, 'stranger.kubeconfig');
  await writeKubeconfig(reader, api.url, 'reader-token');
  await writeKubeconfig(stranger, api.url, 'unknown-token');
  await cluster.whenReady(10_000);
});
afterAll(async () => {
  await api.close();
  await cluster.close();
  await rm(dir, { recursive: true, force: true });
});

function kubectl(
  kubeconfig: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
  return new Promise((resolve, reject) =>
    execFile('kubectl', args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number')
        reject(new Error(`could not run kubectl (${err.message}); install kubectl to run these tests`));
      else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    }),
  );
}

const podNames = (): string[] => cluster.store.list('pods', 'llm-d').map((p) => p.metadata.name);

describe('the embedded API with --tls, tokens and RBAC', () => {
  it('serves HTTPS with the certificate it made', () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(api.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('lets a ServiceAccount whose Role allows get/list/watch list pods', async () => {
    const { code, stdout } = await kubectl(reader, 'get', 'pods', '-l', 'llm-d.ai/role=decode', '-o', 'name');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(podNames().map((n) => `pod/${n}`));
  });

  it('refuses that ServiceAccount a delete with the apiserver Forbidden message', async () => {
    const [name] = podNames();
    const { code, stderr } = await kubectl(reader, 'delete', 'pod', name!);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `Error from server (Forbidden): pods "${name}" is forbidden: User "${USER}" cannot delete resource "pods" in API group "" in the namespace "llm-d"`,
    );
    expect(podNames()).toContain(name);
  });

  it('answers auth can-i from the same RBAC', async () => {
    const del = await kubectl(reader, 'auth', 'can-i', 'delete', 'pods');
    expect([del.code, del.stdout.trim()]).toEqual([1, 'no']);
    const list = await kubectl(reader, 'auth', 'can-i', 'list', 'pods');
    expect([list.code, list.stdout.trim()]).toEqual([0, 'yes']);
  });

  it('refuses other resources and the pods/proxy subresource the Role does not name', async () => {
    const deploy = await kubectl(reader, 'get', 'deploy');
    expect(deploy.stderr.trim()).toBe(
      `Error from server (Forbidden): deployments.apps is forbidden: User "${USER}" cannot list resource "deployments" in API group "apps" in the namespace "llm-d"`,
    );
    const [name] = podNames();
    const proxy = await kubectl(
      reader,
      'get',
      '--raw',
      `/api/v1/namespaces/llm-d/pods/${name}/proxy/metrics`,
    );
    expect(proxy.stderr).toContain(
      `cannot get resource "pods/proxy" in API group "" in the namespace "llm-d"`,
    );
  });

  it('answers an unknown token with 401, which kubectl reports as not logged in', async () => {
    const { code, stderr } = await kubectl(stranger, 'get', 'pods');
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      'error: You must be logged in to the server (Unauthorized)',
    );
  });

  it('answers a request without a token with the Unauthorized Status', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${api.url}/api/v1/namespaces/llm-d/pods`, { rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect(JSON.parse(body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('gives client-node the same answers over HTTPS with the token', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(reader);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: 'llm-d', labelSelector: 'llm-d.ai/role=decode' });
    expect(list.items).toHaveLength(3);
    const err = (await core
      .deleteNamespacedPod({ name: podNames()[0]!, namespace: 'llm-d' })
      .catch((e: unknown) => e)) as k8s.ApiException<string>;
    expect(err.code).toBe(403);
    expect(JSON.parse(err.body).reason).toBe('Forbidden');
  });
});
