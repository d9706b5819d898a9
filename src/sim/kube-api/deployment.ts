// Deployment and ReplicaSet objects and the status the Deployment controller writes
// (pkg/controller/deployment/sync.go calculateStatus, util/deployment_util.go). Pure: objects and pod
// lists in, objects out. `kubectl rollout status` reads exactly these fields
// (kubectl polymorphichelpers/rollout_status.go: observedGeneration, updatedReplicas, replicas,
// availableReplicas, and the Progressing condition).
import { podTemplateHash } from './ids.ts';
import { isPodReady, isTerminating, rfc3339, type PodTemplate } from './pod-object.ts';
import type { KubeObject } from './store.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: PodTemplate;
  strategy: { type: 'RollingUpdate'; rollingUpdate: { maxSurge: string; maxUnavailable: string } };
  revisionHistoryLimit: number;
  progressDeadlineSeconds: number;
}

export interface NewDeploymentInput {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  replicas: number;
  template: PodTemplate;
  nowMs: number;
}

export function newDeployment(input: NewDeploymentInput): KubeObject {
  const spec: DeploymentSpec = {
    replicas: input.replicas,
    selector: { matchLabels: { ...input.template.metadata.labels } },
    template: structuredClone(input.template),
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      uid: input.uid,
      resourceVersion: '',
      generation: 1,
      creationTimestamp: rfc3339(input.nowMs),
      labels: { ...input.labels },
      annotations: { [REVISION_ANNOTATION]: '1' },
    },
    spec,
    status: {},
  };
}

export function deploymentSpec(d: KubeObject): DeploymentSpec {
  return d.spec as DeploymentSpec;
}

export function templateHashOf(d: KubeObject): string {
  return podTemplateHash(deploymentSpec(d).template);
}

export interface NewReplicaSetInput {
  deployment: KubeObject;
  hash: string;
  uid: string;
  revision: number;
  nowMs: number;
}

/** The ReplicaSet for the Deployment's current template: `<deploy>-<hash>`, labels plus pod-template-hash. */
export function newReplicaSet(input: NewReplicaSetInput): KubeObject {
  const d = input.deployment;
  const spec = deploymentSpec(d);
  const template = structuredClone(spec.template);
  template.metadata.labels = { ...template.metadata.labels, 'pod-template-hash': input.hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${input.hash}`,
      namespace: d.metadata.namespace,
      uid: input.uid,
      resourceVersion: '',
      generation: 1,
      creationTimestamp: rfc3339(input.nowMs),
      labels: { ...spec.template.metadata.labels, 'pod-template-hash': input.hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(spec.replicas),
        'deployment.kubernetes.io/max-replicas': String(spec.replicas + maxSurge(spec.replicas)),
        [REVISION_ANNOTATION]: String(input.revision),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: d.metadata.name,
          uid: d.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { ...spec.selector.matchLabels, 'pod-template-hash': input.hash } },
      template,
    },
    status: { replicas: 0, observedGeneration: 1 },
  };
}

/** 25 % rounded up (intstr.GetScaledValueFromIntOrPercent, roundUp for maxSurge). */
export function maxSurge(replicas: number): number {
  const surge = Math.ceil(replicas * 0.25);
  return surge === 0 && maxUnavailable(replicas) === 0 ? 1 : surge;
}

/** 25 % rounded down; when both come out 0 the controller still surges by one (ResolveFenceposts). */
export function maxUnavailable(replicas: number): number {
  return Math.floor(replicas * 0.25);
}

/** Active = not terminating (controller.FilterActivePods). */
export function activePods(pods: readonly KubeObject[]): KubeObject[] {
  return pods.filter((p) => !isTerminating(p));
}

export function replicaSetStatus(rs: KubeObject, pods: readonly KubeObject[]): Record<string, number> {
  const active = activePods(pods);
  const ready = active.filter(isPodReady).length;
  return {
    replicas: active.length,
    fullyLabeledReplicas: active.length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: rs.metadata.generation ?? 1,
  };
}

interface DeploymentCondition {
  type: 'Available' | 'Progressing';
  status: 'True' | 'False';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface RolloutCounts {
  /** active pods of every ReplicaSet */
  replicas: number;
  /** active pods of the new ReplicaSet */
  updated: number;
  ready: number;
  /** minReadySeconds is 0, so available = ready */
  available: number;
}

export function countPods(newRsPods: readonly KubeObject[], allPods: readonly KubeObject[]): RolloutCounts {
  const active = activePods(allPods);
  const ready = active.filter(isPodReady).length;
  return { replicas: active.length, updated: activePods(newRsPods).length, ready, available: ready };
}

/** The rollout is done when every replica is updated and available and no old pod is left. */
export function rolloutComplete(specReplicas: number, c: RolloutCounts): boolean {
  return c.updated === specReplicas && c.replicas === specReplicas && c.available === specReplicas;
}

function nextCondition(
  old: DeploymentCondition | undefined,
  next: Omit<DeploymentCondition, 'lastUpdateTime' | 'lastTransitionTime'>,
  at: string,
): DeploymentCondition {
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message)
    return old;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : at;
  return {
    type: next.type,
    status: next.status,
    lastUpdateTime: at,
    lastTransitionTime,
    reason: next.reason,
    message: next.message,
  };
}

/** calculateStatus + the Available/Progressing conditions, for the Deployment's new ReplicaSet `newRsName`. */
export function deploymentStatus(
  d: KubeObject,
  newRsName: string,
  c: RolloutCounts,
  nowMs: number,
): Record<string, unknown> {
  const spec = deploymentSpec(d);
  const at = rfc3339(nowMs);
  const old = ((d.status as { conditions?: DeploymentCondition[] }).conditions ??
    []) as DeploymentCondition[];
  const minAvailable = spec.replicas - maxUnavailable(spec.replicas);
  const available = nextCondition(
    old.find((x) => x.type === 'Available'),
    c.available >= minAvailable
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    at,
  );
  const progressing = nextCondition(
    old.find((x) => x.type === 'Progressing'),
    rolloutComplete(spec.replicas, c)
      ? {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${newRsName}" has successfully progressed.`,
        }
      : {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "${newRsName}" is progressing.`,
        },
    at,
  );
  const status: Record<string, unknown> = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: c.replicas,
    updatedReplicas: c.updated,
    readyReplicas: c.ready,
    availableReplicas: c.available,
  };
  // The apiserver omits zero-valued integers (omitempty), so unavailableReplicas appears only when > 0.
  const unavailable = Math.max(0, c.replicas - c.available, spec.replicas - c.available);
  if (unavailable > 0) status.unavailableReplicas = unavailable;
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'])
    if (status[k] === 0) delete status[k];
  status.conditions = [available, progressing];
  return status;
}

/**
 * What a PATCH may change in the embedded Deployment: spec.replicas, the Deployment's labels/annotations
 * and the pod template's annotations (rollout restart). Anything else is refused, so a test never silently
 * relies on a field the model ignores. Returns the offending path, or undefined.
 */
export function unsupportedDeploymentChange(before: KubeObject, after: KubeObject): string | undefined {
  const strip = (o: KubeObject): unknown => {
    const c = structuredClone(o) as unknown as {
      metadata: Record<string, unknown>;
      spec: DeploymentSpec & Record<string, unknown>;
      status?: unknown;
    };
    delete c.metadata.labels;
    delete c.metadata.annotations;
    delete c.metadata.resourceVersion;
    delete c.metadata.managedFields;
    delete c.status;
    delete (c.spec as Partial<DeploymentSpec>).replicas;
    delete (c.spec.template.metadata as Partial<PodTemplate['metadata']>).annotations;
    return c;
  };
  const a = JSON.stringify(strip(before));
  const b = JSON.stringify(strip(after));
  if (a === b) return undefined;
  const labelsBefore = JSON.stringify(deploymentSpec(before).template.metadata.labels);
  const labelsAfter = JSON.stringify(deploymentSpec(after).template.metadata.labels);
  return labelsBefore !== labelsAfter ? 'spec.template.metadata.labels' : 'spec';
}
