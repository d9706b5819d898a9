// PodControl over @kubernetes/client-node (the only importer of that package). Works the same against a
// real cluster and the embedded stack's API server.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { TargetError, UsageError } from '../errors.ts';
import { fileProblem } from '../files.ts';
import type { KubeConnectOptions, PodControl, PodInfo } from './types.ts';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A kubeconfig is a few KB; /dev/zero or a FIFO would make the loader read forever. */
function checkKubeconfigFile(file: string): void {
  const problem = fileProblem(file, 16 * 1024 * 1024);
  if (problem) throw new UsageError(`kubeconfig ${file} cannot be read: ${problem} (check --kubeconfig)`);
}

/** --kubeconfig, then in-cluster, then $KUBECONFIG, then ~/.kube/config (DESIGN.md, common flags). */
export function loadKubeConfig(opts: KubeConnectOptions): KubeConfig {
  const kc = new KubeConfig();
  const env = opts.env;
  // A temporary root for the ServiceAccount files lets a local runner give a step the in-cluster
  // environment without writing to /var/run (the embedded Tekton controller does).
  const saRoot = env.KV_CACHE_BENCH_SA_ROOT ?? '';
  const inCluster = env.KUBERNETES_SERVICE_HOST && existsSync(join(saRoot, SA_DIR, 'token'));
  try {
    if (opts.kubeconfig) {
      if (!existsSync(opts.kubeconfig))
        throw new UsageError(`kubeconfig ${opts.kubeconfig} does not exist (check --kubeconfig)`);
      checkKubeconfigFile(opts.kubeconfig);
      kc.loadFromFile(opts.kubeconfig);
    } else if (inCluster) {
      kc.loadFromCluster(saRoot || undefined);
    } else {
      const file = env.KUBECONFIG?.split(':')[0] || join(env.HOME ?? homedir(), '.kube', 'config');
      if (!existsSync(file)) {
        throw new UsageError(
          `no Kubernetes credentials: not in a cluster and ${file} does not exist (pass --kubeconfig or set KUBECONFIG)`,
        );
      }
      checkKubeconfigFile(file);
      kc.loadFromFile(file);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot load kubeconfig: ${(err as Error).message} (check --kubeconfig)`);
  }
  if (!kc.getCurrentCluster())
    throw new UsageError('kubeconfig has no current cluster (check --kubeconfig / its current-context)');
  return kc;
}

function toPodInfo(pod: V1Pod): PodInfo {
  const meta = pod.metadata ?? {};
  const status = pod.status ?? {};
  const conditions = (status.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
  }));
  const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
  return {
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    uid: meta.uid ?? '',
    ip: status.podIP ?? '',
    startTime: toIso(status.startTime ?? meta.creationTimestamp),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    phase: status.phase ?? 'Unknown',
    deleting: Boolean(meta.deletionTimestamp),
    labels: meta.labels ?? {},
    containerPorts: (pod.spec?.containers ?? []).flatMap((c) =>
      (c.ports ?? []).map((p) => ({ container: c.name, name: p.name, containerPort: p.containerPort })),
    ),
    conditions,
    owner: owner ? { kind: owner.kind, name: owner.name } : undefined,
  };
}

function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : '';
}

/** What a call needs from RBAC, to name it when the API server's answer does not (a watch's bare 403). */
export interface KubeNeed {
  verb: string;
  /** `pods`, `pods/proxy`, `deployments` */
  resource: string;
  /** API group, '' for the core group */
  group?: string;
  namespace: string;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
// The apiserver's forbiddenMessage(): `User "u" cannot VERB resource "R" in API group "G" in the namespace "NS"`.
const FORBIDDEN =
  /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/;

/** `forbidden: needs verb "delete" on resource "pods" in namespace llm-d (grant it in rbac/role.yaml)` */
export function forbiddenLine(statusMessage: string, need: KubeNeed | undefined): string {
  const m = FORBIDDEN.exec(statusMessage);
  const verb = m?.[1] ?? need?.verb;
  const resource = m?.[2] ?? need?.resource;
  if (!verb || !resource) return `forbidden: ${statusMessage} (check rbac/role.yaml)`;
  const group = (m ? m[3] : need?.group) ?? '';
  const ns = m ? m[4] : need?.namespace;
  return (
    `forbidden: needs verb "${verb}" on resource "${resource}"${group ? ` in API group "${group}"` : ''}` +
    `${ns ? ` in namespace ${ns}` : ' cluster-wide'} (grant it in rbac/role.yaml)`
  );
}

/**
 * One line from a client-node failure: the Kubernetes Status message when there is one, a 403 as the
 * verb and resource to grant, and whether retrying may help (5xx, 429, a dropped connection).
 */
export function describeKubeError(err: unknown, what: string, need?: KubeNeed): TargetError {
  const e = err as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    message?: string;
    cause?: { code?: unknown; message?: string };
  };
  const status =
    typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  let message = e.message ?? String(err);
  if (typeof e.body === 'string') {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? message;
    } catch {
      message = e.body.slice(0, 300) || message;
    }
  } else if (e.body && typeof e.body === 'object' && 'message' in e.body) {
    message = String((e.body as { message: unknown }).message);
  }
  message = message.split('\n')[0] ?? message;
  if (status === 403) return new TargetError(`${what}: ${forbiddenLine(message, need)}`, { status });
  if (status === 401) {
    return new TargetError(
      `${what}: unauthorized: the API server does not accept these credentials (check the token in --kubeconfig or the ServiceAccount)`,
      { status },
    );
  }
  if (status !== undefined)
    return new TargetError(`${what}: ${message} (HTTP ${status})`, {
      status,
      transient: TRANSIENT_STATUS.has(status),
    });
  // No answer at all: a refused or reset connection, a timeout. Worth another try.
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
  const cause = e.cause?.message && !message.includes(e.cause.message) ? ` (${e.cause.message})` : '';
  return new TargetError(`${what}: ${code && !message.includes(code) ? `${code} ` : ''}${message}${cause}`, {
    transient: true,
  });
}

export async function connectKube(opts: KubeConnectOptions): Promise<PodControl> {
  const kc = loadKubeConfig(opts);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = opts.namespace;

  return {
    namespace,
    async listPods(selector) {
      try {
        const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
        return list.items.map(toPodInfo);
      } catch (err) {
        throw describeKubeError(err, `cannot list pods in namespace ${namespace}`, {
          verb: 'list',
          resource: 'pods',
          namespace,
        });
      }
    },
    async deletePod(name) {
      try {
        await core.deleteNamespacedPod({ name, namespace });
      } catch (err) {
        if ((err as { code?: number }).code === 404) return; // already gone: what we wanted
        throw describeKubeError(err, `cannot delete pod ${namespace}/${name}`, {
          verb: 'delete',
          resource: 'pods',
          namespace,
        });
      }
    },
    async watchPods(selector, onEvent, signal) {
      const watch = new Watch(kc);
      const watchNeed: KubeNeed = { verb: 'watch', resource: 'pods', namespace };
      await new Promise<void>((resolve, reject) => {
        let controller: AbortController | undefined;
        const onAbort = () => controller?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        watch
          .watch(
            `/api/v1/namespaces/${namespace}/pods`,
            { labelSelector: selector, allowWatchBookmarks: false },
            (type, obj) => {
              if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')
                onEvent({ type, pod: toPodInfo(obj as V1Pod) });
            },
            (err) => {
              signal.removeEventListener('abort', onAbort);
              if (err && !signal.aborted && (err as Error).name !== 'AbortError')
                reject(describeKubeError(err, 'pod watch failed', watchNeed));
              else resolve();
            },
          )
          .then(
            (c) => {
              controller = c;
              if (signal.aborted) c.abort();
            },
            (err: unknown) => {
              signal.removeEventListener('abort', onAbort);
              reject(describeKubeError(err, 'cannot watch pods', watchNeed));
            },
          );
      });
    },
    async proxyGet(podName, port, path) {
      try {
        return await core.connectGetNamespacedPodProxyWithPath({
          name: `${podName}:${port}`,
          namespace,
          path: path.replace(/^\//, ''),
        });
      } catch (err) {
        throw describeKubeError(err, `cannot read ${path} of pod ${podName} through the API proxy`, {
          verb: 'get',
          resource: 'pods/proxy',
          namespace,
        });
      }
    },
    async rolloutRestart(kind, name, at) {
      // What `kubectl rollout restart` sends: a pod-template annotation change.
      const body = {
        spec: {
          template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } },
        },
      };
      const options = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
      try {
        if (kind === 'Deployment') await apps.patchNamespacedDeployment({ name, namespace, body }, options);
        else await apps.patchNamespacedStatefulSet({ name, namespace, body }, options);
      } catch (err) {
        throw describeKubeError(err, `cannot restart ${kind.toLowerCase()}/${name}`, {
          verb: 'patch',
          resource: kind === 'Deployment' ? 'deployments' : 'statefulsets',
          group: 'apps',
          namespace,
        });
      }
    },
    async ownerOf(pod) {
      if (!pod.owner) return undefined;
      if (pod.owner.kind === 'StatefulSet') return { kind: 'StatefulSet', name: pod.owner.name };
      if (pod.owner.kind !== 'ReplicaSet') return undefined;
      try {
        const rs = await apps.readNamespacedReplicaSet({ name: pod.owner.name, namespace });
        const dep = rs.metadata?.ownerReferences?.find((o) => o.kind === 'Deployment');
        return dep ? { kind: 'Deployment', name: dep.name } : undefined;
      } catch (err) {
        throw describeKubeError(err, `cannot read replicaset/${pod.owner.name}`, {
          verb: 'get',
          resource: 'replicasets',
          group: 'apps',
          namespace,
        });
      }
    },
  };
}
