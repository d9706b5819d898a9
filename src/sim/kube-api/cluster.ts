// The embedded cluster: one namespace holding a decode Deployment, its ReplicaSets and their pods, each pod
// backed by a real loopback server from `podFactory` (the vLLM simulator in the stack, something lighter in
// tests). A level-triggered controller keeps the pods at spec.replicas the way the ReplicaSet and
// Deployment controllers do: a deleted pod is replaced by a new name and uid with a fresh server (empty
// cache, zeroed counters); a changed pod template (rollout restart) rolls the pods one surge at a time.
// No HTTP here: server.ts serves `store`, and the gateway reads readyEndpoints().
import { randomUUID } from 'node:crypto';
import type { EndpointSource, GatewayEndpoint, VllmPodHandle } from '../contracts.ts';
import { newDeployment, RESTARTED_AT_ANNOTATION, unsupportedDeploymentChange, deploymentSpec } from './deployment.ts';
import { randomSuffix } from './ids.ts';
import {
  isPodReady,
  isTerminating,
  markCrashed,
  markReady,
  markRestarted,
  markRunning,
  markStopped,
  markTerminating,
  newPod,
  rfc3339,
  type PodTemplate,
} from './pod-object.ts';
import { reconcileDeployment, type ControllerHooks } from './controller.ts';
import { ObjectStore, type KubeObject } from './store.ts';
import { invalid, notFound, conflict } from './status.ts';

export type PodFactory = (pod: { name: string; namespace: string; port?: number }) => Promise<VllmPodHandle>;

export interface ClusterOptions {
  /** starts the server behind one pod; called again for every replacement and container restart */
  podFactory: PodFactory;
  replicas?: number;
  namespace?: string;
  deploymentName?: string;
  /** served model, shown in the container args */
  model?: string;
  /** creation → Ready (the readiness probe's first success) */
  readyDelayMs?: number;
  /** creation → Running (container started); at most readyDelayMs */
  startDelayMs?: number;
  /** how long a deleted pod stays Terminating before it is gone */
  terminationDelayMs?: number;
  /** events kept for watches that resume from an older resourceVersion (older ones get 410 Expired) */
  watchHistory?: number;
  now?: () => number;
  random?: () => number;
  uuid?: () => string;
  onError?: (err: Error) => void;
}

interface PodRuntime {
  name: string;
  handle?: VllmPodHandle;
  timers: Set<NodeJS.Timeout>;
  terminating: boolean;
}

export const DECODE_LABELS = { 'llm-d.ai/role': 'decode', 'llm-d.ai/inferenceServing': 'true' };

function decodeTemplate(app: string, model: string): PodTemplate {
  return {
    metadata: { labels: { app, ...DECODE_LABELS } },
    spec: {
      containers: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.10.0',
          args: ['--model', model, '--port', '8000', '--block-size', '16', '--enable-prefix-caching'],
          ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/health', port: 'http', scheme: 'HTTP' } },
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      securityContext: {},
    },
  };
}

export class SimCluster implements EndpointSource {
  readonly namespace: string;
  readonly deploymentName: string;
  readonly store: ObjectStore;
  /** errors from podFactory and pod shutdown (also passed to onError) */
  readonly errors: Error[] = [];
  private readonly opts: Required<Omit<ClusterOptions, 'onError'>> & Pick<ClusterOptions, 'onError'>;
  private readonly runtimes = new Map<string, PodRuntime>();
  private readonly creating = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private reconcileQueued = false;
  private waiters: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private injected = { remaining: 0, code: 500 };
  private endpointCache: { rv: number; endpoints: GatewayEndpoint[] } | undefined;

  constructor(options: ClusterOptions) {
    const readyDelayMs = options.readyDelayMs ?? 1500;
    this.opts = {
      replicas: 3,
      namespace: 'llm-d',
      deploymentName: 'llama-decode',
      model: 'meta-llama/Llama-3.2-3B-Instruct',
      terminationDelayMs: 300,
      now: Date.now,
      random: Math.random,
      uuid: randomUUID,
      watchHistory: 5000,
      ...options,
      readyDelayMs,
      startDelayMs: Math.min(options.startDelayMs ?? Math.min(200, readyDelayMs / 3), readyDelayMs),
    };
    this.namespace = this.opts.namespace;
    this.store = new ObjectStore(this.opts.watchHistory);
    this.deploymentName = this.opts.deploymentName;
    for (const ns of ['default', 'kube-system', this.namespace]) {
      if (this.store.get('namespaces', undefined, ns)) continue;
      this.store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, uid: this.opts.uuid(), resourceVersion: '', creationTimestamp: rfc3339(this.opts.now()), labels: { 'kubernetes.io/metadata.name': ns } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
    const template = decodeTemplate(this.deploymentName, this.opts.model);
    this.store.create(
      'deployments',
      newDeployment({
        name: this.deploymentName,
        namespace: this.namespace,
        uid: this.opts.uuid(),
        labels: { app: this.deploymentName, 'llm-d.ai/role': 'decode' },
        replicas: this.opts.replicas,
        template,
        nowMs: this.opts.now(),
      }),
    );
    this.scheduleReconcile();
  }

  /** EndpointSource: Ready, non-terminating pods with a live server, by name. */
  readyEndpoints(): readonly GatewayEndpoint[] {
    const rv = this.store.resourceVersion;
    if (this.endpointCache?.rv === rv) return this.endpointCache.endpoints;
    const endpoints: GatewayEndpoint[] = [];
    for (const pod of this.store.list('pods', this.namespace)) {
      const handle = this.runtimes.get(pod.metadata.name)?.handle;
      if (!handle || isTerminating(pod) || !isPodReady(pod)) continue;
      endpoints.push({ name: pod.metadata.name, namespace: this.namespace, url: handle.url, load: () => handle.load() });
    }
    this.endpointCache = { rv, endpoints };
    return endpoints;
  }

  /** The cluster's clock (ms since the epoch): AGE columns and timestamps use it. */
  now(): number {
    return this.opts.now();
  }

  /** The live server behind a pod (for tests and the stack). */
  podHandle(name: string): VllmPodHandle | undefined {
    return this.runtimes.get(name)?.handle;
  }

  /** Resolves once every replica is updated, Ready and alone (no old, starting or terminating pod). */
  whenReady(timeoutMs = 60_000): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`the embedded cluster's pods were not all Ready within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  /**
   * DELETE of a pod: graceful (Terminating for terminationDelayMs, then gone) or, with gracePeriodSeconds 0,
   * at once. Its server closes before the pod disappears; the ReplicaSet replaces it right away.
   */
  async deletePod(name: string, opts: { gracePeriodSeconds?: number; uid?: string; resourceVersion?: string } = {}): Promise<KubeObject> {
    const pod = this.store.get('pods', this.namespace, name);
    if (!pod) throw notFound('pods', '', name);
    if (opts.uid && opts.uid !== pod.metadata.uid) {
      throw conflict('pods', '', name, `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${pod.metadata.uid}`);
    }
    if (opts.resourceVersion && opts.resourceVersion !== pod.metadata.resourceVersion) {
      throw conflict('pods', '', name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const grace = opts.gracePeriodSeconds ?? ((pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30);
    if (grace === 0) return (await this.finalizePod(name, false)) ?? pod;
    return this.terminatePod(name, grace) ?? pod;
  }

  /** A container crash (OOM, SIGKILL): same pod, not Ready, restartCount + 1, a fresh server, Ready again later. */
  async killPod(name: string): Promise<void> {
    const rt = this.runtimes.get(name);
    if (!rt || rt.terminating) throw notFound('pods', '', name);
    this.clearPodTimers(rt);
    const old = rt.handle;
    rt.handle = undefined;
    this.store.update('pods', this.namespace, name, (p) => markCrashed(p, this.opts.now()));
    this.scheduleReconcile();
    if (old) await old.close();
    const handle = await this.opts.podFactory({ name, namespace: this.namespace, port: old?.port });
    if (this.closed || rt.terminating || !this.runtimes.has(name)) return void (await handle.close());
    rt.handle = handle;
    this.store.update('pods', this.namespace, name, (p) => markRestarted(p, this.opts.now(), this.containerId(), handle.port));
    this.podTimer(rt, this.opts.readyDelayMs, () => this.podBecameReady(name));
  }

  /** Cuts every open watch; clients re-watch from the last resourceVersion they saw. */
  dropWatches(): number {
    return this.store.dropSubscribers();
  }

  /** The next `count` resource requests to the API server fail with `code` (discovery and /version excepted). */
  failNextRequests(count: number, code = 500): void {
    this.injected = { remaining: count, code };
  }

  /** Called by the server for each resource request: the injected status code to answer with, if any. */
  takeInjectedFailure(): number | undefined {
    if (this.injected.remaining <= 0) return undefined;
    this.injected.remaining--;
    return this.injected.code;
  }

  /** `kubectl rollout restart` without HTTP. */
  rolloutRestart(at: Date = new Date(this.opts.now())): KubeObject {
    const d = this.store.get('deployments', this.namespace, this.deploymentName)!;
    const next = structuredClone(d);
    const meta = deploymentSpec(next).template.metadata;
    meta.annotations = { ...meta.annotations, [RESTARTED_AT_ANNOTATION]: rfc3339(at.getTime()) };
    return this.updateDeployment(this.deploymentName, next);
  }

  /** Stores a patched Deployment (only replicas, labels/annotations and template annotations may change). */
  updateDeployment(name: string, next: KubeObject): KubeObject {
    const current = this.store.get('deployments', this.namespace, name);
    if (!current) throw notFound('deployments', 'apps', name);
    const bad = unsupportedDeploymentChange(current, next);
    if (bad) throw invalid('deployments', 'apps', name, `${bad}: Forbidden: the embedded cluster only changes spec.replicas and pod template annotations`);
    const replicas = deploymentSpec(next).replicas;
    if (!Number.isInteger(replicas) || replicas < 0) throw invalid('deployments', 'apps', name, `spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`);
    const specChanged = JSON.stringify(current.spec) !== JSON.stringify(next.spec);
    const stored = this.store.update('deployments', this.namespace, name, (d) => {
      if (next.metadata.labels) d.metadata.labels = next.metadata.labels;
      if (next.metadata.annotations) d.metadata.annotations = next.metadata.annotations;
      d.spec = next.spec;
      if (specChanged) d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    })!;
    this.scheduleReconcile();
    return stored;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('the embedded cluster was closed'));
    }
    this.waiters = [];
    this.store.dropSubscribers();
    const handles = [...this.runtimes.values()].flatMap((rt) => (rt.handle ? [rt.handle] : []));
    for (const rt of this.runtimes.values()) this.clearPodTimers(rt);
    this.runtimes.clear();
    await Promise.allSettled(handles.map((h) => h.close()));
  }

  // --- the controller's side -------------------------------------------------------------------------

  private scheduleReconcile(): void {
    if (this.reconcileQueued || this.closed) return;
    this.reconcileQueued = true;
    queueMicrotask(() => {
      this.reconcileQueued = false;
      if (this.closed) return;
      const hooks: ControllerHooks = {
        store: this.store,
        now: this.opts.now(),
        uuid: this.opts.uuid,
        creating: (rsName) => [...this.creating.values()].filter((rs) => rs === rsName).length,
        startPod: (rs) => this.startPod(rs),
        terminatePod: (name) => void this.terminatePod(name, 30),
      };
      reconcileDeployment(hooks, this.namespace, this.deploymentName);
      if (this.settled()) for (const w of this.waiters.splice(0)) (clearTimeout(w.timer), w.resolve());
    });
  }

  private settled(): boolean {
    const d = this.store.get('deployments', this.namespace, this.deploymentName);
    if (!d || this.creating.size > 0) return false;
    const replicas = deploymentSpec(d).replicas;
    const pods = this.store.list('pods', this.namespace);
    const status = d.status as { observedGeneration?: number; updatedReplicas?: number };
    return (
      status.observedGeneration === d.metadata.generation &&
      (status.updatedReplicas ?? 0) === replicas &&
      pods.length === replicas &&
      pods.every((p) => !isTerminating(p) && isPodReady(p))
    );
  }

  private startPod(rs: KubeObject): void {
    const rsName = rs.metadata.name;
    let name: string;
    do name = `${rsName}-${randomSuffix(this.opts.random)}`;
    while (this.store.get('pods', this.namespace, name) || this.runtimes.has(name) || this.creating.has(name));
    this.creating.set(name, rsName);
    void this.bringUp(name, rs);
  }

  private async bringUp(name: string, rs: KubeObject): Promise<void> {
    let handle: VllmPodHandle;
    try {
      handle = await this.opts.podFactory({ name, namespace: this.namespace });
    } catch (err) {
      this.creating.delete(name);
      this.report(err);
      // The ReplicaSet controller retries with back-off; one second is enough here.
      this.later(1000, () => this.scheduleReconcile());
      return;
    }
    this.creating.delete(name);
    if (this.closed) return void (await handle.close());
    const rt: PodRuntime = { name, handle, timers: new Set(), terminating: false };
    this.runtimes.set(name, rt);
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true };
    const template = (rs.spec as { template: PodTemplate }).template;
    const hash = template.metadata.labels['pod-template-hash'] ?? '';
    this.store.create(
      'pods',
      newPod({ name, namespace: this.namespace, uid: this.opts.uuid(), owner, templateHash: hash, template, port: handle.port, nowMs: this.opts.now() }),
    );
    this.podTimer(rt, this.opts.startDelayMs, () => {
      this.store.update('pods', this.namespace, name, (p) => markRunning(p, this.opts.now(), this.containerId()));
    });
    this.podTimer(rt, this.opts.readyDelayMs, () => this.podBecameReady(name));
    this.scheduleReconcile();
  }

  private podBecameReady(name: string): void {
    this.store.update('pods', this.namespace, name, (p) => markReady(p, this.opts.now()));
    this.scheduleReconcile();
  }

  private terminatePod(name: string, graceSeconds: number): KubeObject | undefined {
    const rt = this.runtimes.get(name);
    if (rt?.terminating) return this.store.get('pods', this.namespace, name);
    if (rt) {
      rt.terminating = true;
      this.clearPodTimers(rt);
      this.podTimer(rt, this.opts.terminationDelayMs, () => void this.finalizePod(name));
    }
    const pod = this.store.update('pods', this.namespace, name, (p) => markTerminating(p, this.opts.now(), graceSeconds));
    this.scheduleReconcile();
    return pod;
  }

  /**
   * The container exits: close its server (cache and counters gone), write the stopped status as the kubelet
   * does after a graceful stop, then remove the pod. A forced delete (grace 0) skips the status write.
   */
  private async finalizePod(name: string, graceful = true): Promise<KubeObject | undefined> {
    const rt = this.runtimes.get(name);
    if (rt) {
      this.runtimes.delete(name);
      this.clearPodTimers(rt);
      try {
        await rt.handle?.close();
      } catch (err) {
        this.report(err);
      }
    }
    if (graceful && !this.closed) this.store.update('pods', this.namespace, name, (p) => markStopped(p, this.opts.now()));
    const last = this.store.remove('pods', this.namespace, name);
    this.scheduleReconcile();
    return last;
  }

  private podTimer(rt: PodRuntime, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      rt.timers.delete(t);
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    rt.timers.add(t);
    this.timers.add(t);
  }

  private clearPodTimers(rt: PodRuntime): void {
    for (const t of rt.timers) {
      clearTimeout(t);
      this.timers.delete(t);
    }
    rt.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private containerId(): string {
    let hex = '';
    for (let i = 0; i < 64; i++) hex += Math.floor(this.opts.random() * 16).toString(16);
    return hex;
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.errors.push(e);
    if (this.errors.length > 100) this.errors.shift();
    this.opts.onError?.(e);
  }
}

/** Creates the cluster and starts its pods; `await cluster.whenReady()` before routing to them. */
export function createCluster(options: ClusterOptions): SimCluster {
  return new SimCluster(options);
}
