// Services of the embedded cluster: the llm-d gateway's (`llm-d-gateway-istio`, port 80, the name
// PipelineRuns use) and the API server's (`kubernetes` in default, port 443). On loopback a Service's
// backend is one local server, so `targetPort` holds that server's port: the pod network
// (src/sim/tekton/pod-network.ts) sends `<name>.<namespace>.svc.cluster.local:<port>` there.
import { randomUUID } from 'node:crypto';
import type { SimCluster } from './cluster.ts';
import { clusterIp } from './objects.ts';
import { rfc3339 } from './pod-object.ts';
import type { KubeObject } from './store.ts';

/** The Service Istio creates for the llm-d Gateway (llm-d-infra's gateway, class istio). */
export const GATEWAY_SERVICE = 'llm-d-gateway-istio';

export interface ServiceInput {
  name: string;
  namespace: string;
  port: number;
  /** the loopback port of the Service's backend */
  targetPort: number;
  portName?: string;
  selector?: Record<string, string>;
  labels?: Record<string, string>;
}

/** Creates (or replaces) a ClusterIP Service in the cluster's store. */
export function putService(cluster: SimCluster, s: ServiceInput): KubeObject {
  const store = cluster.store;
  const old = store.get('services', s.namespace, s.name);
  if (old) store.remove('services', s.namespace, s.name);
  const clusterIP = s.name === 'kubernetes' ? '10.96.0.1' : clusterIp(Math.random);
  return store.create('services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: randomUUID(),
      resourceVersion: '',
      creationTimestamp: rfc3339(cluster.now()),
      ...(s.labels ? { labels: s.labels } : {}),
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ports: [{ name: s.portName ?? 'http', port: s.port, protocol: 'TCP', targetPort: s.targetPort }],
      ...(s.selector ? { selector: s.selector } : {}),
      sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  });
}

/** The gateway's Service in the pods' namespace, port 80 → the gateway's loopback port. */
export function putGatewayService(cluster: SimCluster, gatewayPort: number): KubeObject {
  return putService(cluster, {
    name: GATEWAY_SERVICE,
    namespace: cluster.namespace,
    port: 80,
    targetPort: gatewayPort,
    portName: 'default',
    selector: { 'gateway.networking.k8s.io/gateway-name': 'llm-d-gateway' },
    labels: { 'gateway.networking.k8s.io/gateway-name': 'llm-d-gateway' },
  });
}

/** `kubernetes.default.svc:443` → the API server's HTTPS port. */
export function putApiService(cluster: SimCluster, httpsPort: number): KubeObject {
  return putService(cluster, {
    name: 'kubernetes',
    namespace: 'default',
    port: 443,
    targetPort: httpsPort,
    portName: 'https',
    labels: { component: 'apiserver', provider: 'kubernetes' },
  });
}
