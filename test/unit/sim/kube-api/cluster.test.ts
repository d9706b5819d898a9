// The cluster model without HTTP: pods are fake handles, so these run in milliseconds.
import type { VllmPodHandle } from '../../../../src/sim/contracts.ts';
import { createCluster, type ClusterOptions, type SimCluster } from '../../../../src/sim/kube-api/cluster.ts';
import { isPodReady, isTerminating } from '../../../../src/sim/kube-api/pod-object.ts';
import type { KubeObject } from '../../../../src/sim/kube-api/store.ts';

interface FakePods {
  factory: ClusterOptions['podFactory'];
  started: { name: string; port?: number }[];
  closed: string[];
}

function fakePods(): FakePods {
  let nextPort = 30000;
  const pods: FakePods = { started: [], closed: [], factory: async () => undefined as never };
  pods.factory = async ({ name, namespace, port }) => {
    pods.started.push({ name, port });
    const p = port ?? nextPort++;
    const handle: VllmPodHandle = {
      name,
      namespace,
      port: p,
      url: `http://127.0.0.1:${p}`,
      load: () => ({ waiting: 0, running: 0, kvUsage: 0 }),
      close: async () => void pods.closed.push(name),
    };
    return handle;
  };
  return pods;
}

const open: SimCluster[] = [];
function start(over: Partial<ClusterOptions> = {}): { cluster: SimCluster; pods: FakePods } {
  const pods = fakePods();
  const cluster = createCluster({
    podFactory: pods.factory,
    readyDelayMs: 20,
    terminationDelayMs: 10,
    ...over,
  });
  open.push(cluster);
  return { cluster, pods };
}
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

const podsOf = (c: SimCluster): KubeObject[] => c.store.list('pods', 'llm-d');
const deployment = (c: SimCluster): KubeObject => c.store.get('deployments', 'llm-d', 'llama-decode')!;

describe('the embedded cluster', () => {
  it('runs a Deployment whose ReplicaSet owns Ready decode pods', async () => {
    const { cluster } = start();
    await cluster.whenReady(5000);
    const [rs, ...more] = cluster.store.list('replicasets', 'llm-d');
    expect(more).toHaveLength(0);
    expect(rs!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'llama-decode',
      controller: true,
    });
    const pods = podsOf(cluster);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^${rs!.metadata.name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.labels).toMatchObject({
        'llm-d.ai/role': 'decode',
        'pod-template-hash': rs!.metadata.labels!['pod-template-hash'],
      });
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', uid: rs!.metadata.uid });
      expect(isPodReady(p)).toBe(true);
    }
    const endpoints = cluster.readyEndpoints();
    expect(endpoints.map((e) => e.name)).toEqual(pods.map((p) => p.metadata.name).sort());
    const port = (pods[0]!.spec as { containers: { ports: { containerPort: number }[] }[] }).containers[0]!
      .ports[0]!.containerPort;
    expect(endpoints.find((e) => e.name === pods[0]!.metadata.name)?.url).toBe(`http://127.0.0.1:${port}`);
    expect(deployment(cluster).status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
  });

  it('replaces a deleted pod with a new name, uid and server after it has terminated', async () => {
    const { cluster, pods } = start();
    await cluster.whenReady(5000);
    const victim = podsOf(cluster)[0]!;
    const deleted = await cluster.deletePod(victim.metadata.name);
    expect(isTerminating(deleted)).toBe(true);
    expect(cluster.readyEndpoints().map((e) => e.name)).not.toContain(victim.metadata.name);
    const removed = new Promise<void>((resolve) =>
      cluster.store.subscribe({
        onEvent: (e) => {
          if (e.type === 'DELETED' && e.object.metadata.name === victim.metadata.name) {
            // The server is closed before the pod disappears: its cache and counters are gone with it.
            expect(pods.closed).toContain(victim.metadata.name);
            resolve();
          }
        },
        onDrop: () => {},
      }),
    );
    await removed;
    await cluster.whenReady(5000);
    const now = podsOf(cluster);
    expect(now).toHaveLength(3);
    expect(now.map((p) => p.metadata.name)).not.toContain(victim.metadata.name);
    expect(now.map((p) => p.metadata.uid)).not.toContain(victim.metadata.uid);
    expect(pods.started).toHaveLength(4);
  });

  it('removes a pod at once when deleted with gracePeriodSeconds 0', async () => {
    const { cluster } = start({ replicas: 1 });
    await cluster.whenReady(5000);
    const name = podsOf(cluster)[0]!.metadata.name;
    await cluster.deletePod(name, { gracePeriodSeconds: 0 });
    expect(cluster.store.get('pods', 'llm-d', name)).toBeUndefined();
  });

  it('refuses a delete whose uid precondition does not match', async () => {
    const { cluster } = start({ replicas: 1 });
    await cluster.whenReady(5000);
    const name = podsOf(cluster)[0]!.metadata.name;
    await expect(cluster.deletePod(name, { uid: 'other' })).rejects.toMatchObject({ code: 409 });
    await expect(cluster.deletePod('nope')).rejects.toMatchObject({ code: 404 });
  });

  // maxSurge 25 % rounded up, maxUnavailable 25 % rounded down (and a surge of 1 when both are 0).
  it.each([
    [1, 1, 2],
    [3, 3, 4],
    [4, 3, 5],
  ])(
    'rolls a restart of %i replicas keeping at least %i Ready and at most %i pods',
    async (replicas, floor, ceiling) => {
      const { cluster } = start({ replicas });
      await cluster.whenReady(5000);
      const before = new Set(podsOf(cluster).map((p) => p.metadata.uid));
      let minReady = Infinity;
      let maxActive = 0;
      cluster.store.subscribe({
        onEvent: () => {
          const active = podsOf(cluster).filter((p) => !isTerminating(p));
          minReady = Math.min(minReady, active.filter(isPodReady).length);
          maxActive = Math.max(maxActive, active.length);
        },
        onDrop: () => {},
      });
      cluster.rolloutRestart(new Date(Date.UTC(2025, 0, 1)));
      expect(deployment(cluster).metadata.generation).toBe(2);
      await cluster.whenReady(5000);
      expect(minReady).toBe(floor);
      expect(maxActive).toBe(ceiling);
      const after = podsOf(cluster);
      expect(after.filter((p) => before.has(p.metadata.uid))).toEqual([]);
      const rss = cluster.store.list('replicasets', 'llm-d');
      expect(rss.map((rs) => (rs.spec as { replicas: number }).replicas).sort()).toEqual([0, replicas]);
      const d = deployment(cluster);
      expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      expect(d.status).toMatchObject({
        observedGeneration: 2,
        updatedReplicas: replicas,
        availableReplicas: replicas,
      });
      expect(
        (d.status as { conditions: { type: string; reason: string }[] }).conditions.map((c) => [
          c.type,
          c.reason,
        ]),
      ).toEqual([
        ['Available', 'MinimumReplicasAvailable'],
        ['Progressing', 'NewReplicaSetAvailable'],
      ]);
    },
  );

  it('restarts a killed container in the same pod on its old port, counting the restart', async () => {
    const { cluster, pods } = start({ replicas: 1 });
    await cluster.whenReady(5000);
    const before = podsOf(cluster)[0]!;
    const port = cluster.podHandle(before.metadata.name)!.port;
    const killing = cluster.killPod(before.metadata.name);
    expect(isPodReady(podsOf(cluster)[0]!)).toBe(false);
    expect(cluster.readyEndpoints()).toHaveLength(0);
    await killing;
    await cluster.whenReady(5000);
    const after = podsOf(cluster)[0]!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(
      (after.status as { containerStatuses: { restartCount: number }[] }).containerStatuses[0]!.restartCount,
    ).toBe(1);
    expect(pods.started.at(-1)).toEqual({ name: before.metadata.name, port });
    expect(pods.closed).toEqual([before.metadata.name]);
  });

  it('scales through a Deployment update and refuses changes it does not model', async () => {
    const { cluster } = start({ replicas: 2 });
    await cluster.whenReady(5000);
    const d = structuredClone(deployment(cluster));
    (d.spec as { replicas: number }).replicas = 1;
    cluster.updateDeployment('llama-decode', d);
    await cluster.whenReady(5000);
    expect(podsOf(cluster)).toHaveLength(1);
    const bad = structuredClone(deployment(cluster));
    (
      bad.spec as { template: { spec: { containers: { image: string }[] } } }
    ).template.spec.containers[0]!.image = 'other';
    expect(() => cluster.updateDeployment('llama-decode', bad)).toThrow(/only changes spec.replicas/);
  });

  it('retries a pod whose server failed to start, recording the error', async () => {
    const pods = fakePods();
    let failures = 1;
    const factory: ClusterOptions['podFactory'] = async (p) => {
      if (failures-- > 0) throw new Error('port in use');
      return pods.factory(p);
    };
    const { cluster } = start({ replicas: 1, podFactory: factory });
    await cluster.whenReady(5000);
    expect(cluster.errors.map((e) => e.message)).toEqual(['port in use']);
    expect(podsOf(cluster)).toHaveLength(1);
  });

  it('hands out injected API failures the requested number of times', () => {
    const { cluster } = start({ replicas: 0 });
    cluster.failNextRequests(2, 503);
    expect([
      cluster.takeInjectedFailure(),
      cluster.takeInjectedFailure(),
      cluster.takeInjectedFailure(),
    ]).toEqual([503, 503, undefined]);
  });
});
