// The embedded API server over real HTTP on loopback, request by request: what kubectl and client-node
// rely on (research/kubectl-api-surface.md §12), checked at the wire.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are read ad hoc in assertions */
import {
  createCluster,
  startKubeApi,
  type KubeApiServer,
  type SimCluster,
} from '../../../src/sim/kube-api/index.ts';
import { startLightPod } from '../../../src/sim/kube-api/light-pod.ts';
import { encodeSelfSubjectAccessReview } from '../../../src/sim/kube-api/protobuf.ts';

const NS = '/api/v1/namespaces/llm-d';
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

let cluster: SimCluster;
let api: KubeApiServer;

beforeAll(async () => {
  cluster = createCluster({
    podFactory: startLightPod,
    readyDelayMs: 40,
    terminationDelayMs: 20,
    watchHistory: 40,
  });
  api = await startKubeApi({ cluster });
  await cluster.whenReady(10_000);
});
afterAll(async () => {
  await api.close();
  await cluster.close();
});

async function getJson(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: any; type: string | null }> {
  const res = await fetch(api.url + path, init);
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : undefined,
    type: res.headers.get('content-type'),
  };
}

interface Event {
  type: string;
  object: any;
}

/** Reads a watch stream until `until` says stop (or the server ends it); returns the events seen. */
async function watch(
  path: string,
  until: (events: Event[]) => boolean,
  act?: () => Promise<void>,
): Promise<{ events: Event[]; ended: boolean }> {
  const ctl = new AbortController();
  const res = await fetch(api.url + path, { signal: ctl.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Event[] = [];
  let buffer = '';
  let ended = false;
  const timer = setTimeout(() => ctl.abort(), 10_000);
  const acting = act?.();
  try {
    while (!until(events)) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)) as Event);
        buffer = buffer.slice(nl + 1);
      }
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
    await acting;
  }
  return { events, ended };
}

const podNames = async (): Promise<string[]> =>
  (await getJson(`${NS}/pods`)).body.items.map((p: any) => p.metadata.name);

describe('embedded Kubernetes API over HTTP', () => {
  it('reports version 1.32 and serves aggregated discovery with its exact content type', async () => {
    expect((await getJson('/version')).body).toMatchObject({ major: '1', minor: '32' });
    const agg = await getJson('/api', {
      headers: {
        accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      },
    });
    expect(agg.type).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(agg.body.items[0].metadata.name).toBe('');
    const legacy = await getJson('/apis/apps/v1');
    expect(legacy.body.resources.map((r: any) => r.name)).toEqual([
      'deployments',
      'deployments/scale',
      'replicasets',
      'statefulsets',
    ]);
  });

  it('lists pods by label selector as a PodList whose items carry no kind', async () => {
    const { body } = await getJson(
      `${NS}/pods?labelSelector=${encodeURIComponent('llm-d.ai/role in (decode),app')}`,
    );
    expect(body.kind).toBe('PodList');
    expect(Number(body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(body.items).toHaveLength(3);
    expect(body.items[0].kind).toBeUndefined();
    expect(
      (await getJson(`${NS}/pods?labelSelector=${encodeURIComponent('llm-d.ai/role=prefill')}`)).body.items,
    ).toEqual([]);
  });

  it('lists pods of every namespace at /api/v1/pods (kubectl get pods -A)', async () => {
    const { body } = await getJson('/api/v1/pods', { headers: { accept: TABLE_ACCEPT } });
    expect(body.rows.map((r: any) => r.object.metadata.namespace)).toEqual(['llm-d', 'llm-d', 'llm-d']);
  });

  it('scales the Deployment through its scale subresource', async () => {
    const path = '/apis/apps/v1/namespaces/llm-d/deployments/llama-decode/scale';
    expect((await getJson(path)).body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
    });
    const patch = (replicas: number) =>
      getJson(path, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ spec: { replicas } }),
      });
    expect((await patch(2)).body.spec).toEqual({ replicas: 2 });
    await cluster.whenReady(10_000);
    expect(await podNames()).toHaveLength(2);
    await patch(3);
    await cluster.whenReady(10_000);
    expect(await podNames()).toHaveLength(3);
  });

  it.each([
    ['status.phase=Running', 3],
    ['status.phase!=Running', 0],
    ['spec.nodeName=sim-node', 3],
  ])('filters pods by field selector %s', async (selector, count) => {
    expect(
      (await getJson(`${NS}/pods?fieldSelector=${encodeURIComponent(selector)}`)).body.items,
    ).toHaveLength(count);
  });

  it.each([
    ['fieldSelector=spec.foo%3D1', 'field label not supported: spec.foo'],
    ['labelSelector=a%20b', 'unable to parse requirement'],
  ])('answers a bad selector (%s) with 400 BadRequest', async (query, message) => {
    const { status, body } = await getJson(`${NS}/pods?${query}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(body.message).toContain(message);
  });

  it('answers a missing pod with the apiserver 404 Status, byte for byte', async () => {
    const res = await fetch(`${api.url}${NS}/pods/x`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}',
    );
  });

  it.each([
    ['/api/v1/namespaces/other', 'GET', 404, 'namespaces "other" not found'],
    ['/api/v1/nothing', 'GET', 404, 'the server could not find the requested resource'],
    [`${NS}/pods`, 'POST', 405, 'the server does not allow this method on the requested resource'],
  ])('%s %s answers %i', async (path, method, status, message) => {
    const res = await getJson(path, { method, body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(status);
    expect(res.body.message).toBe(message);
  });

  it('prints pods as a Table when asked, with metadata in each row', async () => {
    const { body } = await getJson(`${NS}/pods?labelSelector=llm-d.ai%2Frole%3Ddecode&limit=500`, {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(body.kind).toBe('Table');
    expect(body.rows).toHaveLength(3);
    expect(body.rows[0].cells.slice(1, 4)).toEqual(['1/1', 'Running', 0]);
    expect(body.rows[0].object.metadata.labels['llm-d.ai/role']).toBe('decode');
  });

  it('proxies to a pod by name:port with a percent-encoded path, and refuses a port it does not declare', async () => {
    const { body } = await getJson(`${NS}/pods`);
    const pod = body.items[0];
    const port = pod.spec.containers[0].ports[0].containerPort;
    const metrics = await fetch(`${api.url}${NS}/pods/${pod.metadata.name}%3A${port}/proxy/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`pod="${pod.metadata.name}"`);
    const post = await getJson(`${NS}/pods/${pod.metadata.name}/proxy/v1%2Fcompletions?x=1`, {
      method: 'POST',
      body: '{}',
    });
    expect(post.body).toMatchObject({ pod: pod.metadata.name, path: '/v1/completions' });
    const wrong = await getJson(`${NS}/pods/${pod.metadata.name}:1/proxy/metrics`);
    expect(wrong.status).toBe(503);
    expect(wrong.body.reason).toBe('ServiceUnavailable');
    expect((await getJson(`${NS}/pods/nope:1/proxy/metrics`)).body.message).toBe('pods "nope" not found');
  });

  it('answers a protobuf SelfSubjectAccessReview in JSON', async () => {
    const body = encodeSelfSubjectAccessReview({
      resourceAttributes: {
        namespace: 'llm-d',
        verb: 'delete',
        group: '',
        version: '',
        resource: 'pods',
        subresource: '',
        name: '',
      },
    });
    const res = await getJson('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.kubernetes.protobuf',
        accept: 'application/vnd.kubernetes.protobuf,application/json',
      },
      body: new Uint8Array(body),
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toEqual({ allowed: true });
    expect(res.body.spec.resourceAttributes).toMatchObject({ verb: 'delete', resource: 'pods' });
  });

  it('creates a PipelineRun from generateName and refuses a duplicate name', async () => {
    const path = '/apis/tekton.dev/v1/namespaces/llm-d/pipelineruns';
    const body = {
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { generateName: 'cache-hit-' },
      spec: { pipelineRef: { name: 'p' } },
    };
    const created = await getJson(`${path}?fieldManager=kubectl-create&fieldValidation=Strict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const name = created.body.metadata.name as string;
    expect(name).toMatch(/^cache-hit-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect((await getJson(`${path}/${name}`)).body.spec).toEqual(body.spec);
    const again = await getJson(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, metadata: { name } }),
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`pipelineruns.tekton.dev "${name}" already exists`);
  });

  it.each([
    ['application/apply-patch+yaml', {}, 415],
    ['application/merge-patch+json', { spec: { template: { spec: { containers: [] } } } }, 422],
    ['application/merge-patch+json', { spec: { replicas: 3 } }, 200],
  ])('answers a %s deployment patch %j with %i', async (type, patch, status) => {
    const res = await getJson('/apis/apps/v1/namespaces/llm-d/deployments/llama-decode', {
      method: 'PATCH',
      headers: { 'content-type': type },
      body: JSON.stringify(patch),
    });
    expect(res.status).toBe(status);
  });

  it('fails the requested number of resource requests while discovery keeps answering', async () => {
    cluster.failNextRequests(1, 503);
    expect((await getJson('/version')).status).toBe(200);
    const failed = await getJson(`${NS}/pods`);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect((await getJson(`${NS}/pods`)).status).toBe(200);
  });

  it('streams a filtered watch: the replacement enters status.phase=Running as ADDED, the deleted pod leaves as DELETED', async () => {
    const list = (await getJson(`${NS}/pods?fieldSelector=status.phase%3DRunning`)).body;
    const victim = list.items[0].metadata.name as string;
    const before = new Set<string>(list.items.map((p: any) => p.metadata.name));
    const rv = list.metadata.resourceVersion;
    const { events } = await watch(
      `${NS}/pods?watch=true&fieldSelector=status.phase%3DRunning&resourceVersion=${rv}&allowWatchBookmarks=true`,
      (ev) => ev.some((e) => e.type === 'DELETED') && ev.some((e) => e.type === 'ADDED'),
      async () =>
        void (await getJson(`${NS}/pods/${victim}`, {
          method: 'DELETE',
          headers: { 'content-type': 'application/json' },
          body: '{"propagationPolicy":"Background"}',
        })),
    );
    const added = events.find((e) => e.type === 'ADDED')!;
    expect(before.has(added.object.metadata.name)).toBe(false);
    expect(added.object.status.phase).toBe('Running');
    expect(events.find((e) => e.type === 'DELETED')!.object.metadata.name).toBe(victim);
    // The Pending replacement never showed: it did not match status.phase=Running yet.
    expect(events.every((e) => e.object.status.phase === 'Running')).toBe(true);
    await cluster.whenReady(10_000);
  });

  it('replays events after an old resourceVersion to a resumed watch', async () => {
    const rv = (await getJson(`${NS}/pods`)).body.metadata.resourceVersion;
    const victim = (await podNames())[0]!;
    await cluster.deletePod(victim, { gracePeriodSeconds: 0 });
    await cluster.whenReady(10_000);
    const { events } = await watch(`${NS}/pods?watch=true&resourceVersion=${rv}`, (ev) =>
      ev.some((e) => e.type === 'DELETED'),
    );
    expect(events.find((e) => e.type === 'DELETED')!.object.metadata.name).toBe(victim);
    expect(Number(events[0]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
  });

  it('tells a watch from a resourceVersion older than the history that it expired', async () => {
    // Each annotation patch is one event; enough of them push resourceVersion 1 out of the 40 kept.
    for (let i = 0; cluster.store.oldestResourceVersion <= 1; i++) {
      const patch = { metadata: { annotations: { 'test/n': String(i) } } };
      const res = await getJson('/apis/apps/v1/namespaces/llm-d/deployments/llama-decode', {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify(patch),
      });
      expect(res.status).toBe(200);
    }
    const { events, ended } = await watch(`${NS}/pods?watch=true&resourceVersion=1`, () => false);
    expect(ended).toBe(true);
    expect(events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', reason: 'Expired', code: 410 }) },
    ]);
  });

  it('starts a watch without resourceVersion with ADDED for every pod, and ends it on dropWatches', async () => {
    const { events, ended } = await watch(
      `${NS}/pods?watch=1`,
      () => false,
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        expect(cluster.dropWatches()).toBeGreaterThanOrEqual(1);
      },
    );
    expect(ended).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED']);
  });
});
