// Server-side printing: `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
// cells verbatim, so READY, STATUS, RESTARTS and AGE are computed here (research §4.1). Column sets and
// cell rules copy pkg/printers/internalversion/printers.go; AGE copies apimachinery duration.HumanDuration.
import { formatMatchLabels } from './selectors.ts';
import type { KubeObject, ResourceName } from './store.ts';
import { AGE, NAME, STORED_COLUMNS, col, storedCells, type Column } from './table-stored.ts';

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string };
  columnDefinitions?: readonly Column[];
  rows: {
    cells: unknown[];
    object: { kind: 'PartialObjectMetadata'; apiVersion: 'meta.k8s.io/v1'; metadata: KubeObject['metadata'] };
  }[];
}

/** duration.HumanDuration: `45s`, `3m20s`, `12m`, `5h7m`, `3d4h`, … */
export function humanDuration(ms: number): string {
  // int(d.Seconds()) truncates toward zero, so -1.5 s still reads as "0s".
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8)
    return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for a missing time. */
function since(timestamp: string | undefined, nowMs: number): string {
  if (!timestamp) return '<unknown>';
  return humanDuration(nowMs - Date.parse(timestamp));
}

const COLUMNS: Record<ResourceName, readonly Column[]> = {
  ...STORED_COLUMNS,
  pods: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    col(
      'IP',
      'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      1,
    ),
    col('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  deployments: [
    NAME,
    col('Ready', 'Number of the pod with ready state'),
    col(
      'Up-to-date',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      0,
      'integer',
    ),
    col(
      'Available',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      0,
      'integer',
    ),
    AGE,
    col('Containers', 'Names of each container in the template.', 1),
    col('Images', 'Images referenced by each container in the template.', 1),
    col(
      'Selector',
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      1,
    ),
  ],
  replicasets: [
    NAME,
    col('Desired', 'Replicas is the number of desired replicas.', 0, 'integer'),
    col('Current', 'Replicas is the most recently observed number of replicas.', 0, 'integer'),
    col('Ready', 'The number of ready replicas for this replica set.', 0, 'integer'),
    AGE,
    col('Containers', 'Names of each container in the template.', 1),
    col('Images', 'Images referenced by each container in the template.', 1),
    col('Selector', 'Selector is a label query over pods that should match the replica count.', 1),
  ],
  statefulsets: [NAME, col('Ready', 'Number of the pod with ready state'), AGE],
  namespaces: [NAME, col('Status', 'The status of the namespace'), AGE],
};

type Containers = { containers: { name: string; image: string }[] };
type PodStatusLike = {
  phase?: string;
  reason?: string;
  podIP?: string;
  containerStatuses?: {
    ready: boolean;
    restartCount: number;
    state: Record<string, { reason?: string }>;
    lastState: { terminated?: { finishedAt?: string } };
  }[];
};

/** printPod: READY n/m, STATUS from phase, container waiting/terminated reasons and deletion; RESTARTS with "(x ago)". */
function podCells(pod: KubeObject, nowMs: number): unknown[] {
  const spec = pod.spec as Containers & { nodeName?: string; readinessGates?: unknown[] };
  const status = (pod.status ?? {}) as PodStatusLike;
  const statuses = status.containerStatuses ?? [];
  let reason = status.reason || status.phase || 'Unknown';
  let restarts = 0;
  let lastRestart: string | undefined;
  let ready = 0;
  for (const c of [...statuses].reverse()) {
    restarts += c.restartCount;
    const finished = c.lastState.terminated?.finishedAt;
    if (finished && (!lastRestart || finished > lastRestart)) lastRestart = finished;
    if (c.state.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state.terminated) reason = c.state.terminated.reason || 'Error';
    else if (c.ready && c.state.running) ready++;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  const restartsCell = lastRestart ? `${restarts} (${since(lastRestart, nowMs)} ago)` : restarts;
  const gates = spec.readinessGates?.length ? String(spec.readinessGates.length) : '<none>';
  return [
    pod.metadata.name,
    `${ready}/${spec.containers.length}`,
    reason,
    restartsCell,
    since(pod.metadata.creationTimestamp, nowMs),
    status.podIP || '<none>',
    spec.nodeName || '<none>',
    '<none>',
    gates,
  ];
}

function templateCells(obj: KubeObject): string[] {
  const spec = obj.spec as {
    template: { spec: Containers };
    selector: { matchLabels: Record<string, string> };
  };
  const containers = spec.template.spec.containers;
  return [
    containers.map((c) => c.name).join(','),
    containers.map((c) => c.image).join(','),
    formatMatchLabels(spec.selector.matchLabels),
  ];
}

function cellsOf(resource: ResourceName, obj: KubeObject, nowMs: number): unknown[] {
  const age = since(obj.metadata.creationTimestamp, nowMs);
  const status = (obj.status ?? {}) as Record<string, unknown>;
  const n = (k: string): number => (typeof status[k] === 'number' ? (status[k] as number) : 0);
  const replicas = (obj.spec as { replicas?: number } | undefined)?.replicas ?? 0;
  switch (resource) {
    case 'pods':
      return podCells(obj, nowMs);
    case 'deployments':
      return [
        obj.metadata.name,
        `${n('readyReplicas')}/${replicas}`,
        n('updatedReplicas'),
        n('availableReplicas'),
        age,
        ...templateCells(obj),
      ];
    case 'replicasets':
      return [obj.metadata.name, replicas, n('replicas'), n('readyReplicas'), age, ...templateCells(obj)];
    case 'statefulsets':
      return [obj.metadata.name, `${n('readyReplicas')}/${replicas}`, age];
    case 'namespaces':
      return [obj.metadata.name, String(status.phase ?? 'Active'), age];
    default:
      return storedCells(resource, obj, (t) => since(t, nowMs));
  }
}

/** A Table of `objects`; rows carry PartialObjectMetadata so --show-labels, -L and -A work (research §4.1). */
export function toTable(
  resource: ResourceName,
  objects: readonly KubeObject[],
  resourceVersion: string,
  nowMs: number,
  withColumns = true,
): Table {
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    rows: objects.map((o) => ({
      cells: cellsOf(resource, o, nowMs),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
  if (withColumns) table.columnDefinitions = COLUMNS[resource];
  return table;
}

/** The Accept header asks for a Table (kubectl's default printer). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept.split(',')[0] ?? '');
}
