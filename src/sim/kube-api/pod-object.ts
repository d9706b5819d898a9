// The Pod object through its life, in the shape the apiserver serves (core/v1 Pod): created Pending
// (ContainerCreating), Running but not Ready, Ready, Terminating, crashed and restarted. Pure: each step
// is a function of the object and the time. Condition order and reasons follow the kubelet's
// (pkg/kubelet/status/generate.go): PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled.
import type { KubeObject, OwnerReference } from './store.ts';

export const SIM_NODE = 'sim-node';

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: {
      name: string;
      image: string;
      ports?: { name?: string; containerPort: number; protocol?: string }[];
      [k: string]: unknown;
    }[];
    [k: string]: unknown;
  };
}

export interface NewPodInput {
  name: string;
  namespace: string;
  uid: string;
  owner: OwnerReference;
  /** pod-template-hash of the owning ReplicaSet */
  templateHash: string;
  template: PodTemplate;
  /** the loopback port this pod's server listens on: containerPort and probe port */
  port: number;
  nowMs: number;
}

type Condition = {
  type: string;
  status: 'True' | 'False';
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
};

interface ContainerStatus {
  name: string;
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

interface PodStatus {
  phase: string;
  conditions: Condition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  containerStatuses: ContainerStatus[];
  qosClass: string;
}

const CONDITION_ORDER = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
];

function condition(type: string, ok: boolean, at: string, containerName: string): Condition {
  const c: Condition = { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at };
  if (!ok && (type === 'Ready' || type === 'ContainersReady')) {
    c.reason = 'ContainersNotReady';
    c.message = `containers with unready status: [${containerName}]`;
  }
  return c;
}

export function podStatus(pod: KubeObject): PodStatus {
  return pod.status as PodStatus;
}

/** Sets a condition, keeping lastTransitionTime when the status does not change (kubelet behaviour). */
function setCondition(pod: KubeObject, type: string, ok: boolean, at: string): void {
  const status = podStatus(pod);
  const container = status.containerStatuses[0]?.name ?? 'main';
  const old = status.conditions.find((c) => c.type === type);
  if (old && (old.status === 'True') === ok) return;
  const next = condition(type, ok, at, container);
  status.conditions = [...status.conditions.filter((c) => c.type !== type), next].sort(
    (a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type),
  );
}

/** Replaces the port in the template's first container: the pod's spec says where its server is. */
function containersFor(template: PodTemplate, port: number): PodTemplate['spec']['containers'] {
  return template.spec.containers.map((c, i) => {
    if (i > 0) return structuredClone(c);
    const ports = (c.ports ?? [{ name: 'http', containerPort: port, protocol: 'TCP' }]).map((p, j) =>
      j === 0 ? { ...p, containerPort: port } : { ...p },
    );
    const args = Array.isArray(c.args)
      ? (c.args as string[]).map((a, k, all) => (all[k - 1] === '--port' ? String(port) : a))
      : undefined;
    const out: PodTemplate['spec']['containers'][number] = { ...structuredClone(c), ports };
    if (args) out.args = args;
    if (c.readinessProbe)
      out.readinessProbe = {
        httpGet: { path: '/health', port, scheme: 'HTTP' },
        periodSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
        timeoutSeconds: 1,
      };
    return out;
  });
}

/** A pod the ReplicaSet just created: scheduled, container being created, no IP yet. */
export function newPod(input: NewPodInput): KubeObject {
  const at = rfc3339(input.nowMs);
  const containers = containersFor(input.template, input.port);
  const first = containers[0]!;
  const labels = { ...input.template.metadata.labels, 'pod-template-hash': input.templateHash };
  const metadata: KubeObject['metadata'] = {
    name: input.name,
    generateName: `${input.owner.name}-`,
    namespace: input.namespace,
    uid: input.uid,
    resourceVersion: '',
    creationTimestamp: at,
    labels,
    ownerReferences: [input.owner],
  };
  if (input.template.metadata.annotations) metadata.annotations = { ...input.template.metadata.annotations };
  const status: PodStatus = {
    phase: 'Pending',
    conditions: [],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    containerStatuses: [
      {
        name: first.name,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: first.image,
        imageID: '',
        started: false,
      },
    ],
    qosClass: 'BestEffort',
  };
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { ...structuredClone(input.template.spec), containers, nodeName: SIM_NODE },
    status,
  };
  for (const type of CONDITION_ORDER)
    setCondition(pod, type, type === 'PodScheduled' || type === 'Initialized', at);
  return pod;
}

/** The container started: phase Running, an IP, not Ready until the readiness delay has passed. */
export function markRunning(pod: KubeObject, nowMs: number, containerId: string): void {
  const at = rfc3339(nowMs);
  const status = podStatus(pod);
  status.phase = 'Running';
  status.podIP = '127.0.0.1';
  status.podIPs = [{ ip: '127.0.0.1' }];
  status.startTime ??= at;
  const c = status.containerStatuses[0]!;
  c.state = { running: { startedAt: at } };
  c.started = true;
  c.ready = false;
  c.containerID = `containerd://${containerId}`;
  c.imageID = `${c.image.split(':')[0]}@sha256:${containerId}`;
  setCondition(pod, 'PodReadyToStartContainers', true, at);
}

export function markReady(pod: KubeObject, nowMs: number): void {
  const at = rfc3339(nowMs);
  podStatus(pod).containerStatuses[0]!.ready = true;
  setCondition(pod, 'ContainersReady', true, at);
  setCondition(pod, 'Ready', true, at);
}

/** DELETE accepted: deletionTimestamp = now + grace period; the pod stays listed as Terminating. */
export function markTerminating(pod: KubeObject, nowMs: number, gracePeriodSeconds: number): void {
  pod.metadata.deletionTimestamp = rfc3339(nowMs + gracePeriodSeconds * 1000);
  pod.metadata.deletionGracePeriodSeconds = gracePeriodSeconds;
}

/** The container died (killPod): not Ready, last state terminated with the kill signal's exit code. */
export function markCrashed(pod: KubeObject, nowMs: number): void {
  markTerminated(pod, nowMs, 137, 'Error');
}

/** The container exited after SIGTERM: the last status the kubelet writes before the pod object goes. */
export function markStopped(pod: KubeObject, nowMs: number): void {
  markTerminated(pod, nowMs, 0, 'Completed');
}

function markTerminated(pod: KubeObject, nowMs: number, exitCode: number, reason: string): void {
  const at = rfc3339(nowMs);
  const c = podStatus(pod).containerStatuses[0]!;
  const startedAt = (c.state.running?.startedAt as string | undefined) ?? at;
  c.state = { terminated: { exitCode, reason, startedAt, finishedAt: at, containerID: c.containerID } };
  c.ready = false;
  c.started = false;
  setCondition(pod, 'ContainersReady', false, at);
  setCondition(pod, 'Ready', false, at);
}

/** The kubelet restarted the crashed container (restartPolicy Always): same pod, restartCount + 1. */
export function markRestarted(pod: KubeObject, nowMs: number, containerId: string, port: number): void {
  const c = podStatus(pod).containerStatuses[0]!;
  c.lastState = { terminated: c.state.terminated ?? { exitCode: 137, reason: 'Error' } };
  c.restartCount += 1;
  const spec = pod.spec as PodTemplate['spec'];
  const first = spec.containers[0]!;
  // The restarted server normally gets its old port back; if not, the spec has to follow it.
  if (first.ports?.[0] && first.ports[0].containerPort !== port) {
    spec.containers = containersFor({ metadata: { labels: {} }, spec }, port);
  }
  markRunning(pod, nowMs, containerId);
}

export function isPodReady(pod: KubeObject): boolean {
  return podStatus(pod).conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminating(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** The pod's declared ports, first container first: the proxy and `--via pod-ip` use them. */
export function podPorts(pod: KubeObject): { name?: string; containerPort: number }[] {
  const spec = pod.spec as PodTemplate['spec'];
  return spec.containers.flatMap((c) => c.ports ?? []);
}

/** Fields a pod field selector may name (pkg/registry/core/pod/strategy.go PodToSelectableFields). */
export const POD_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];

export function podFields(pod: KubeObject): Record<string, string> {
  const spec = pod.spec as Record<string, unknown>;
  const status = podStatus(pod);
  return {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace ?? '',
    'spec.nodeName': String(spec.nodeName ?? ''),
    'spec.restartPolicy': String(spec.restartPolicy ?? ''),
    'spec.schedulerName': String(spec.schedulerName ?? ''),
    'spec.serviceAccountName': String(spec.serviceAccountName ?? ''),
    'spec.hostNetwork': String(spec.hostNetwork ?? false),
    'status.phase': status.phase,
    'status.podIP': status.podIP ?? '',
    'status.nominatedNodeName': '',
  };
}
