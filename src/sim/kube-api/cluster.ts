// The embedded cluster: one namespace holding a decode Deployment, its ReplicaSets and their pods, each pod
// backed by a real loopback server from `podFactory` (the vLLM simulator in the stack, something lighter in
// tests). A level-triggered controller keeps the pods at spec.replicas the way the ReplicaSet and
// Deployment controllers do: a deleted pod is replaced by a new name and uid with a fresh server (empty
// cache, zeroed counters); a changed pod template (rollout restart) rolls the pods one surge at a time.
// No HTTP here: server.ts serves `store`, and the gateway reads readyEndpoints().
import { randomUUID } from 'node:crypto';
import type { EndpointSource, GatewayEndpoint, VllmPodHandle } from '../contracts.ts';
import { reconcileDeployment } from './controller.ts';
import {
  deploymentSpec,
  newDeployment,
  RESTARTED_AT_ANNOTATION,
  unsupportedDeploymentChange,
} from './deployment.ts';
import { Kubelet, type PodFactory } from './kubelet.ts';
import { decodeTemplate } from './decode-template.ts';
import { removeWithDependents } from './objects.ts';
import { PodLogs } from './pod-logs.ts';
import { isPodReady, isTerminating, rfc3339 } from './pod-object.ts';
import { conflict, invalid, notFound } from './status.ts';
import { ObjectStore, type KubeObject } from './store.ts';

export type { PodFactory } from './kubelet.ts';
export { DECODE_LABELS } from './decode-template.ts';

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

export class SimCluster implements EndpointSource {
  readonly namespace: string;
  readonly deploymentName: string;
  readonly store: ObjectStore;
  /** errors from podFactory and pod shutdown (also passed to onError) */
  readonly errors: Error[] = [];
  /** container output for `kubectl logs` (the Tekton controller's steps write theirs here) */
  readonly podLogs = new PodLogs();
  private readonly opts: Required<Omit<ClusterOptions, 'onError'>> & Pick<ClusterOptions, 'onError'>;
  private readonly kubelet: Kubelet;
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
    this.kubelet = new Kubelet({
      ...this.opts,
      store: this.store,
      changed: () => this.scheduleReconcile(),
      report: (err) => this.report(err),
    });
    this.deploymentName = this.opts.deploymentName;
    for (const ns of ['default', 'kube-system', this.namespace]) {
      if (this.store.get('namespaces', undefined, ns)) continue;
      this.store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns,
          uid: this.opts.uuid(),
          resourceVersion: '',
          creationTimestamp: rfc3339(this.opts.now()),
          labels: { 'kubernetes.io/metadata.name': ns },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
      // The ServiceAccount controller gives every namespace its `default` ServiceAccount.
      this.store.create('serviceaccounts', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'default',
          namespace: ns,
          uid: this.opts.uuid(),
          resourceVersion: '',
          creationTimestamp: rfc3339(this.opts.now()),
        },
      });
    }
    this.store.observe((e) => {
      if (e.resource === 'pods' && e.type === 'DELETED')
        this.podLogs.forget(e.object.metadata.namespace ?? '', e.object.metadata.name);
    });
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
      const handle = this.kubelet.handle(pod.metadata.name);
      if (!handle || isTerminating(pod) || !isPodReady(pod)) continue;
      endpoints.push({
        name: pod.metadata.name,
        namespace: this.namespace,
        url: handle.url,
        load: () => handle.load(),
      });
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
    return this.kubelet.handle(name);
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
  async deletePod(
    name: string,
    opts: { gracePeriodSeconds?: number; uid?: string; resourceVersion?: string } = {},
  ): Promise<KubeObject> {
    const pod = this.store.get('pods', this.namespace, name);
    if (!pod) throw notFound('pods', '', name);
    if (opts.uid && opts.uid !== pod.metadata.uid) {
      throw conflict(
        'pods',
        '',
        name,
        `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${pod.metadata.uid}`,
      );
    }
    if (opts.resourceVersion && opts.resourceVersion !== pod.metadata.resourceVersion) {
      throw conflict(
        'pods',
        '',
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    // A pod no ReplicaSet runs (a TaskRun's) has no server here: its owner's controller stops its processes.
    if (!ownedByReplicaSet(pod)) {
      removeWithDependents(this.store, 'pods', pod);
      return pod;
    }
    const grace =
      opts.gracePeriodSeconds ??
      (pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ??
      30;
    if (grace === 0) return (await this.kubelet.finalize(name, false)) ?? pod;
    return this.kubelet.terminate(name, grace) ?? pod;
  }

  /** A container crash (OOM, SIGKILL): same pod, not Ready, restartCount + 1, a fresh server, Ready again later. */
  async killPod(name: string): Promise<void> {
    if (!(await this.kubelet.crash(name))) throw notFound('pods', '', name);
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
    if (bad)
      throw invalid(
        'deployments',
        'apps',
        name,
        `${bad}: Forbidden: the embedded cluster only changes spec.replicas and pod template annotations`,
      );
    const replicas = deploymentSpec(next).replicas;
    if (!Number.isInteger(replicas) || replicas < 0)
      throw invalid(
        'deployments',
        'apps',
        name,
        `spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
      );
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
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('the embedded cluster was closed'));
    }
    this.store.dropSubscribers();
    await this.kubelet.close();
  }

  // --- the controller's side -------------------------------------------------------------------------

  private scheduleReconcile(): void {
    if (this.reconcileQueued || this.closed) return;
    this.reconcileQueued = true;
    queueMicrotask(() => {
      this.reconcileQueued = false;
      if (this.closed) return;
      reconcileDeployment(
        {
          store: this.store,
          now: this.opts.now(),
          uuid: this.opts.uuid,
          creating: (rsName) => this.kubelet.starting(rsName),
          startPod: (rs) => this.kubelet.start(rs),
          terminatePod: (name) => void this.kubelet.terminate(name, 30),
        },
        this.namespace,
        this.deploymentName,
      );
      if (!this.settled()) return;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve();
      }
    });
  }

  private settled(): boolean {
    const d = this.store.get('deployments', this.namespace, this.deploymentName);
    if (!d || this.kubelet.starting() > 0) return false;
    const replicas = deploymentSpec(d).replicas;
    // Only the Deployment's pods: TaskRun pods share the namespace.
    const pods = this.store.list('pods', this.namespace).filter(ownedByReplicaSet);
    const status = d.status as { observedGeneration?: number; updatedReplicas?: number };
    return (
      status.observedGeneration === d.metadata.generation &&
      (status.updatedReplicas ?? 0) === replicas &&
      pods.length === replicas &&
      pods.every((p) => !isTerminating(p) && isPodReady(p))
    );
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.errors.push(e);
    if (this.errors.length > 100) this.errors.shift();
    this.opts.onError?.(e);
  }
}

const ownedByReplicaSet = (pod: KubeObject): boolean =>
  pod.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet') ?? false;

/** Creates the cluster and starts its pods; `await cluster.whenReady()` before routing to them. */
export function createCluster(options: ClusterOptions): SimCluster {
  return new SimCluster(options);
}
