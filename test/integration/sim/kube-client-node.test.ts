// @kubernetes/client-node 2 against the embedded API server, as src/kube/ will use it: list with a label
// selector, watch, delete, pods/proxy, the rollout-restart patch, a self access review. The last block
// runs the cluster on the real simulated vLLM pods: a deleted pod's replacement starts with zeroed counters.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZERO_LATENCY } from '../../../src/sim/contracts.ts';
import {
  createCluster,
  startKubeApi,
  writeKubeconfig,
  type ClusterOptions,
  type KubeApiServer,
  type SimCluster,
} from '../../../src/sim/kube-api/index.ts';
import { startLightPod } from '../../../src/sim/kube-api/light-pod.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { loadTokenizer } from '../../../src/tokenize/tokenizer.ts';

interface Env {
  cluster: SimCluster;
  api: KubeApiServer;
  kc: k8s.KubeConfig;
  close: () => Promise<void>;
}

async function startEnv(podFactory: ClusterOptions['podFactory']): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-client-node-'));
  const cluster = createCluster({ podFactory, readyDelayMs: 40, terminationDelayMs: 20 });
  const api = await startKubeApi({ cluster });
  const file = join(dir, 'kubeconfig');
  await writeKubeconfig(file, api.url, 'any-token');
  await cluster.whenReady(10_000);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return {
    cluster,
    api,
    kc,
    close: async () => {
      await api.close();
      await cluster.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const SELECTOR = 'llm-d.ai/role=decode';

describe('@kubernetes/client-node against the embedded API', () => {
  let env: Env;
  let core: k8s.CoreV1Api;
  beforeAll(async () => {
    env = await startEnv(startLightPod);
    core = env.kc.makeApiClient(k8s.CoreV1Api);
  });
  afterAll(async () => {
    await env.close();
  });

  it('lists the decode pods by label selector into typed objects', async () => {
    const list = await core.listNamespacedPod({ namespace: 'llm-d', labelSelector: SELECTOR });
    expect(list.items).toHaveLength(3);
    const pod = list.items[0]!;
    expect(pod.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(pod.status?.podIP).toBe('127.0.0.1');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
  });

  it('throws an ApiException whose body is the NotFound Status', async () => {
    const err = await core.readNamespacedPod({ name: 'nope', namespace: 'llm-d' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(k8s.ApiException);
    const e = err as k8s.ApiException<string>;
    expect(e.code).toBe(404);
    expect(JSON.parse(e.body)).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });
  });

  it('reads /metrics through the pods/proxy subresource (colon and path percent-encoded by the client)', async () => {
    const name = env.cluster.store.list('pods', 'llm-d')[0]!.metadata.name;
    const port = env.cluster.podHandle(name)!.port;
    const text = await core.connectGetNamespacedPodProxyWithPath({
      name: `${name}:${port}`,
      namespace: 'llm-d',
      path: 'metrics',
    });
    expect(text).toContain(`pod="${name}"`);
  });

  it('watches a delete: the old pod is DELETED, a new pod is ADDED, with newline-framed events', async () => {
    const list = await core.listNamespacedPod({ namespace: 'llm-d', labelSelector: SELECTOR });
    const victim = list.items[0]!.metadata!.name!;
    const seen: { type: string; name: string }[] = [];
    let abort = (): void => {};
    const done = new Promise<void>((resolve, reject) => {
      new k8s.Watch(env.kc)
        .watch(
          '/api/v1/namespaces/llm-d/pods',
          {
            labelSelector: SELECTOR,
            resourceVersion: list.metadata!.resourceVersion,
            allowWatchBookmarks: true,
          },
          (type: string, obj: k8s.V1Pod) => {
            seen.push({ type, name: obj.metadata!.name! });
            if (seen.some((e) => e.type === 'DELETED') && seen.some((e) => e.type === 'ADDED')) resolve();
          },
          (err: unknown) => (err ? reject(err as Error) : resolve()),
        )
        .then((ctl) => (abort = () => ctl.abort()), reject);
    });
    const deleted = await core.deleteNamespacedPod({
      name: victim,
      namespace: 'llm-d',
      propagationPolicy: 'Background',
    });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await done;
    abort();
    expect(seen.find((e) => e.type === 'DELETED')?.name).toBe(victim);
    expect(seen.find((e) => e.type === 'ADDED')?.name).not.toBe(victim);
    await env.cluster.whenReady(10_000);
  });

  it('keeps an informer in step across a dropped watch: it re-watches from its resourceVersion and sees the delete', async () => {
    const list = () => core.listNamespacedPod({ namespace: 'llm-d', labelSelector: SELECTOR });
    const informer = k8s.makeInformer(env.kc, '/api/v1/namespaces/llm-d/pods', list, SELECTOR);
    const deleted: string[] = [];
    const gone = new Promise<void>((resolve) =>
      informer.on('delete', (pod) => {
        deleted.push(pod.metadata!.name!);
        resolve();
      }),
    );
    await informer.start();
    try {
      expect(informer.list('llm-d')).toHaveLength(3);
      expect(env.cluster.dropWatches()).toBeGreaterThanOrEqual(1);
      // Deleted as the informer re-watches from its last resourceVersion: from the replayed history or live.
      const victim = env.cluster.store.list('pods', 'llm-d')[0]!.metadata.name;
      await env.cluster.deletePod(victim, { gracePeriodSeconds: 0 });
      await gone;
      expect(deleted).toEqual([victim]);
      await env.cluster.whenReady(10_000);
    } finally {
      await informer.stop();
    }
  });

  it('restarts the Deployment with a strategic-merge patch of the restartedAt annotation', async () => {
    const apps = env.kc.makeApiClient(k8s.AppsV1Api);
    const before = new Set(env.cluster.store.list('pods', 'llm-d').map((p) => p.metadata.uid));
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'llama-decode',
        namespace: 'llm-d',
        body: {
          spec: {
            template: {
              metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
            },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.metadata?.generation).toBe(2);
    await env.cluster.whenReady(10_000);
    const rs = await apps.listNamespacedReplicaSet({ namespace: 'llm-d' });
    expect(rs.items.map((r) => r.spec?.replicas).sort()).toEqual([0, 3]);
    expect(env.cluster.store.list('pods', 'llm-d').filter((p) => before.has(p.metadata.uid))).toEqual([]);
  });

  it('answers a JSON SelfSubjectAccessReview', async () => {
    const review = await env.kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace: 'llm-d', verb: 'delete', resource: 'pods' } },
      },
    });
    expect(review.status?.allowed).toBe(true);
  });
});

describe('the cluster on simulated vLLM pods', () => {
  let env: Env;
  beforeAll(async () => {
    const tokenizer = await loadTokenizer('approx');
    env = await startEnv(({ name, namespace, port }) =>
      startVllmPod({
        name,
        namespace,
        port,
        model: 'meta-llama/Llama-3.2-3B-Instruct',
        tokenizer,
        blockSizeTokens: 16,
        numBlocks: 1024,
        maxNumSeqs: 16,
        maxModelLen: 8192,
        latency: ZERO_LATENCY,
        enablePromptTokensDetails: false,
        seed: 1,
        host: '127.0.0.1',
      }),
    );
  });
  afterAll(async () => {
    await env.close();
  });

  const queries = (metrics: string): number => {
    const line = metrics.split('\n').find((l) => l.startsWith('vllm:prefix_cache_queries_total{'));
    if (!line) throw new Error('no vllm:prefix_cache_queries_total in the exposition');
    return Number(line.split(' ').at(-1));
  };

  it("serves a pod's vLLM API through pods/proxy, and a deleted pod comes back with zeroed counters", async () => {
    const core = env.kc.makeApiClient(k8s.CoreV1Api);
    const name = (await core.listNamespacedPod({ namespace: 'llm-d', labelSelector: SELECTOR })).items[0]!
      .metadata!.name!;
    const proxy = `${env.api.url}/api/v1/namespaces/llm-d/pods/${name}/proxy`;
    const chat = await fetch(`${proxy}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'meta-llama/Llama-3.2-3B-Instruct',
        messages: [{ role: 'user', content: 'Hello there' }],
        max_tokens: 4,
      }),
    });
    expect(chat.status).toBe(200);
    expect(
      queries(await core.connectGetNamespacedPodProxyWithPath({ name, namespace: 'llm-d', path: 'metrics' })),
    ).toBeGreaterThan(0);

    await core.deleteNamespacedPod({ name, namespace: 'llm-d' });
    await env.cluster.whenReady(10_000);
    const pods = (await core.listNamespacedPod({ namespace: 'llm-d', labelSelector: SELECTOR })).items.map(
      (p) => p.metadata!.name!,
    );
    expect(pods).not.toContain(name);
    for (const pod of pods) {
      expect(
        queries(
          await core.connectGetNamespacedPodProxyWithPath({ name: pod, namespace: 'llm-d', path: 'metrics' }),
        ),
      ).toBe(0);
    }
  });
});
