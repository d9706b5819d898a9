// The role interface for Kubernetes (STYLE.md: small interfaces named for the role). src/kube/client.ts
// implements it with @kubernetes/client-node (the only importer of that package); the embedded stack's
// API server satisfies it on loopback, a real cluster in production.

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PodInfo {
  name: string;
  namespace: string;
  uid: string;
  /** status.podIP ('' until assigned) */
  ip: string;
  /** status.startTime (RFC 3339) or metadata.creationTimestamp when not started */
  startTime: string;
  ready: boolean;
  phase: string;
  deleting: boolean;
  labels: Record<string, string>;
  containerPorts: { container: string; name?: string; containerPort: number }[];
  conditions: PodCondition[];
  owner?: { kind: string; name: string };
}

export interface PodWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: PodInfo;
}

export interface PodControl {
  readonly namespace: string;
  listPods(selector: string): Promise<PodInfo[]>;
  deletePod(name: string): Promise<void>;
  /** Calls onEvent for each change until the signal aborts; resolves when the watch ends (reconnect is the caller's). */
  watchPods(selector: string, onEvent: (e: PodWatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** GET through the API server's pods/proxy subresource: /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH */
  proxyGet(podName: string, port: number, path: string): Promise<string>;
  /** `kubectl rollout restart`: patch the owning Deployment's pod template annotation. */
  rolloutRestart(kind: 'Deployment' | 'StatefulSet', name: string, at: Date): Promise<void>;
  /** ReplicaSet → Deployment owner, for rollout mode. */
  ownerOf(pod: PodInfo): Promise<{ kind: 'Deployment' | 'StatefulSet'; name: string } | undefined>;
}

export interface KubeConnectOptions {
  kubeconfig?: string;
  namespace: string;
  env: Record<string, string | undefined>;
}
