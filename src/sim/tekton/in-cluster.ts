// What a pod sees of the cluster, for the steps the embedded Tekton controller runs as local processes:
// the API server through KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's token, CA and namespace
// at the standard paths (under a temporary root: src/kube/client.ts reads KV_CACHE_BENCH_SA_ROOT), and
// Services by their cluster DNS names (pod-network.ts routes `<svc>.<ns>.svc.cluster.local:<port>` to
// the Service's loopback backend).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../kube-api/store.ts';

/** The variable pod-network.ts reads: `host:port` → `127.0.0.1:port`. */
export const SERVICES_ENV = 'KV_CACHE_BENCH_CLUSTER_SERVICES';
export const SA_ROOT_ENV = 'KV_CACHE_BENCH_SA_ROOT';
const SA_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';

type ServicePort = { port: number; targetPort?: number | string };

/**
 * Every name a pod in `podNamespace` can use for each Service port (resolv.conf search list
 * `<ns>.svc.cluster.local svc.cluster.local cluster.local`, plus the ClusterIP), mapped to the loopback
 * port the Service's backend listens on (its numeric targetPort). Pure.
 */
export function serviceTable(services: readonly KubeObject[], podNamespace: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const svc of services) {
    const { name, namespace = 'default' } = svc.metadata;
    const spec = (svc.spec ?? {}) as { clusterIP?: string; ports?: ServicePort[] };
    const names = [
      `${name}.${namespace}.svc.cluster.local`,
      `${name}.${namespace}.svc`,
      `${name}.${namespace}`,
    ];
    if (namespace === podNamespace) names.push(name);
    if (spec.clusterIP && spec.clusterIP !== 'None') names.push(spec.clusterIP);
    for (const p of spec.ports ?? []) {
      const target = typeof p.targetPort === 'number' ? p.targetPort : Number(p.targetPort);
      if (!Number.isInteger(target) || target <= 0) continue;
      for (const n of names) table[`${n}:${p.port}`] = `127.0.0.1:${target}`;
    }
  }
  return table;
}

export interface InClusterApi {
  /** the HTTPS port of the API server on 127.0.0.1 */
  port: number;
  /** its certificate (PEM): the pod's ca.crt */
  ca: string;
}

/** The kubelet's service environment for the `kubernetes` Service, and the Service table. */
export function inClusterEnv(api: InClusterApi, services: Record<string, string>): Record<string, string> {
  const port = String(api.port);
  return {
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://127.0.0.1:${port}`,
    [SERVICES_ENV]: JSON.stringify(services),
  };
}

/** Writes token, ca.crt and namespace where a pod finds them; returns the root to pass in SA_ROOT_ENV. */
export function writeServiceAccountRoot(
  root: string,
  files: { token: string; ca: string; namespace: string },
): string {
  const dir = join(root, SA_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), files.token, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), files.ca);
  writeFileSync(join(dir, 'namespace'), files.namespace);
  return root;
}
