// What Tekton's controller writes while it runs a PipelineRun, in tekton.dev/v1 shapes: TaskRuns owned by
// the PipelineRun, one Pod per TaskRun (`<taskRun>-pod`, a `step-<name>` container per step), and the
// statuses — `Succeeded` Unknown → True/False with Tekton's reasons, childReferences, results, start and
// completion times (pkg/apis/pipeline/v1/{pipelinerun,taskrun}_types.go, pkg/pod/pod.go labels). Pure:
// times and ids are parameters.
import type { KubeObject, OwnerReference } from '../kube-api/store.ts';
import { rfc3339, SIM_NODE } from '../kube-api/pod-object.ts';
import { childName } from '../../tekton/names.ts';
import type {
  Condition,
  ParamValue,
  PipelineRunStatus,
  StepStatus,
  TaskRunStatus,
  TaskRunTarget,
} from '../../tekton/index.ts';
import type { PlannedStep } from '../../tekton/plan.ts';

export const TEKTON_API = 'tekton.dev/v1';

/** metav1.Time: second precision. */
export const kubeTime = (iso: string): string => rfc3339(Date.parse(iso));

export function conditionOf(c: Condition, at: string): Record<string, string> {
  return {
    type: c.type,
    status: c.status,
    lastTransitionTime: kubeTime(at),
    reason: c.reason,
    message: c.message,
  };
}

export function ownerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `<taskRun>-pod`, or `<taskRun>-pod-retry<n>` for a retry (pkg/pod GetPodName). */
export function podNameOf(taskRun: string, retry = 0): string {
  return childName(taskRun, retry > 0 ? `-pod-retry${retry}` : '-pod');
}

const paramList = (params: Record<string, ParamValue> | undefined) =>
  Object.entries(params ?? {}).map(([name, value]) => ({ name, value }));

export interface TaskRunInput {
  target: TaskRunTarget;
  pipelineRun: KubeObject;
  pipelineName: string;
  /** `tasks` or `finally` */
  memberOf: string;
  serviceAccountName: string;
  /** labels of the Task, which Tekton propagates to the TaskRun and its Pod */
  taskLabels: Record<string, string>;
  taskSpec?: unknown;
  uid: string;
  startTime: string;
}

/** Labels Tekton puts on a PipelineRun's TaskRuns (on top of the PipelineRun's and the Task's own). */
export function taskRunLabels(
  i: Omit<TaskRunInput, 'uid' | 'startTime' | 'target'> & { pipelineTask: string; task: string },
): Record<string, string> {
  const pr = i.pipelineRun.metadata;
  return {
    ...i.taskLabels,
    ...pr.labels,
    'app.kubernetes.io/managed-by': 'tekton-pipelines',
    'tekton.dev/memberOf': i.memberOf,
    'tekton.dev/pipeline': i.pipelineName,
    'tekton.dev/pipelineRun': pr.name,
    'tekton.dev/pipelineRunUID': pr.uid,
    'tekton.dev/pipelineTask': i.pipelineTask,
    'tekton.dev/task': i.task,
  };
}

export function newTaskRun(i: TaskRunInput): KubeObject {
  const t = i.target;
  const labels = taskRunLabels({ ...i, pipelineTask: t.pipelineTaskName ?? '', task: t.taskName });
  return {
    apiVersion: TEKTON_API,
    kind: 'TaskRun',
    metadata: {
      name: t.name,
      namespace: i.pipelineRun.metadata.namespace,
      uid: i.uid,
      resourceVersion: '',
      generation: 1,
      creationTimestamp: kubeTime(i.startTime),
      labels,
      ownerReferences: [ownerRef(i.pipelineRun)],
    },
    spec: {
      params: paramList(t.params),
      serviceAccountName: i.serviceAccountName,
      taskRef: { kind: 'Task', name: t.taskName },
      ...(t.timeoutText ? { timeout: t.timeoutText } : {}),
    },
    status: {
      conditions: [
        conditionOf(
          { type: 'Succeeded', status: 'Unknown', reason: 'Pending', message: 'Pending' },
          i.startTime,
        ),
      ],
      podName: podNameOf(t.name, t.retryCount),
      startTime: kubeTime(i.startTime),
      steps: t.plan.steps.map((s) => ({
        name: s.name,
        container: s.container,
        waiting: { reason: 'PodInitializing' },
      })),
      ...(i.taskSpec ? { taskSpec: i.taskSpec } : {}),
    },
  };
}

export interface PodInput {
  taskRun: KubeObject;
  steps: readonly PlannedStep[];
  serviceAccountName: string;
  uid: string;
  name: string;
  startTime: string;
}

export function newPod(i: PodInput): KubeObject {
  const tr = i.taskRun.metadata;
  const at = kubeTime(i.startTime);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: i.name,
      namespace: tr.namespace,
      uid: i.uid,
      resourceVersion: '',
      creationTimestamp: at,
      labels: { ...tr.labels, 'tekton.dev/taskRun': tr.name, 'tekton.dev/taskRunUID': tr.uid },
      ownerReferences: [ownerRef(i.taskRun)],
    },
    spec: {
      serviceAccountName: i.serviceAccountName,
      restartPolicy: 'Never',
      nodeName: SIM_NODE,
      containers: i.steps.map((s) => ({
        name: s.container,
        image: s.image,
        command: s.argv.slice(0, 1),
        args: s.argv.slice(1),
      })),
    },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at }],
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime: at,
      qosClass: 'Burstable',
      containerStatuses: i.steps.map((s) => ({
        name: s.container,
        state: { waiting: { reason: 'PodInitializing' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: s.image,
        imageID: '',
        started: false,
      })),
    },
  };
}

/** The kubelet's terminated state of a step container (Tekton reads its reason into the step state). */
function terminated(step: StepStatus, fallbackAt: string): Record<string, unknown> {
  const failed =
    (step.exitCode ?? 0) !== 0 || ['Error', 'TimeoutExceeded', 'Cancelled'].includes(step.terminationReason);
  return {
    exitCode: step.exitCode ?? 0,
    reason: failed ? 'Error' : 'Completed',
    startedAt: kubeTime(step.startedAt ?? fallbackAt),
    finishedAt: kubeTime(step.finishedAt ?? fallbackAt),
  };
}

type Draft = { status?: unknown; [key: string]: unknown };
type ContainerStatus = { name: string; state: Record<string, unknown>; ready: boolean; started: boolean };
type StepState = { name: string; container: string; [k: string]: unknown };

const containerStatuses = (pod: Draft) =>
  (pod.status as { phase: string; containerStatuses: ContainerStatus[] }).containerStatuses;

/** A step's container started: the pod is Running. */
export function podStepRunning(pod: Draft, container: string, at: string): void {
  (pod.status as { phase: string }).phase = 'Running';
  for (const c of containerStatuses(pod))
    if (c.name === container)
      Object.assign(c, { state: { running: { startedAt: kubeTime(at) } }, ready: true, started: true });
}

/** A step started: the TaskRun is Running (reason Running until every step is done). */
export function taskRunStepRunning(taskRun: Draft, container: string, at: string): void {
  const ts = taskRun.status as { conditions: unknown[]; steps: StepState[] };
  ts.conditions = [
    conditionOf(
      {
        type: 'Succeeded',
        status: 'Unknown',
        reason: 'Running',
        message: 'Not all Steps in the Task have finished executing',
      },
      at,
    ),
  ];
  ts.steps = ts.steps.map((s) =>
    s.container === container ? { name: s.name, container, running: { startedAt: kubeTime(at) } } : s,
  );
}

export function podStepDone(pod: Draft, step: StepStatus, at: string): void {
  for (const c of containerStatuses(pod))
    if (c.name === step.container)
      Object.assign(c, { state: { terminated: terminated(step, at) }, ready: false });
}

export function taskRunStepDone(taskRun: Draft, step: StepStatus, at: string): void {
  const ts = taskRun.status as { steps?: StepState[] };
  const state = {
    name: step.name,
    container: step.container,
    terminated: terminated(step, at),
    terminationReason: step.terminationReason,
  };
  const steps = ts.steps ?? [];
  const i = steps.findIndex((s) => s.container === step.container);
  if (i >= 0) steps[i] = state;
  else steps.push(state);
  ts.steps = steps;
}

const resultType = (v: ParamValue): string =>
  typeof v === 'string' ? 'string' : Array.isArray(v) ? 'array' : 'object';

/** The TaskRun's end as the executor reports it: condition, results, every step, completion time. */
export function taskRunDone(taskRun: Draft, status: TaskRunStatus): void {
  const at = status.completionTime ?? status.startTime;
  const ts = (taskRun.status ??= {}) as Record<string, unknown>;
  ts.conditions = [conditionOf(status.condition, at)];
  ts.startTime ??= kubeTime(status.startTime);
  ts.completionTime = kubeTime(at);
  if (status.results.length)
    ts.results = status.results.map((r) => ({ name: r.name, type: resultType(r.value), value: r.value }));
  if (status.retriesStatus > 0) ts.retriesStatus = Array.from({ length: status.retriesStatus }, () => ({}));
  for (const step of status.steps) taskRunStepDone(taskRun, step, at);
}

/** The pod after its TaskRun ended: Succeeded or Failed, every container terminated. */
export function podDone(pod: Draft, status: TaskRunStatus): void {
  const at = status.completionTime ?? status.startTime;
  (pod.status as { phase: string }).phase = status.condition.status === 'True' ? 'Succeeded' : 'Failed';
  for (const step of status.steps) {
    const c = containerStatuses(pod).find((x) => x.name === step.container);
    if (c && !('terminated' in c.state))
      Object.assign(c, { state: { terminated: terminated(step, at) }, ready: false });
  }
}

/** `Tasks Completed: n (Failed: f, Cancelled c), Skipped: s` while the run goes on (pipelinerunstate.go). */
export function runningMessage(done: {
  failed: number;
  cancelled: number;
  completed: number;
  skipped: number;
}): string {
  return `Tasks Completed: ${done.completed} (Failed: ${done.failed}, Cancelled ${done.cancelled}), Skipped: ${done.skipped}`;
}

export interface ChildReference {
  apiVersion: string;
  kind: 'TaskRun';
  name: string;
  pipelineTaskName: string;
}

/** The PipelineRun's final status from the executor's report. */
export function finalPipelineRunStatus(
  current: Record<string, unknown> | undefined,
  status: PipelineRunStatus,
  children: readonly ChildReference[],
): Record<string, unknown> {
  const at = status.completionTime ?? status.startTime;
  const out: Record<string, unknown> = {
    ...current,
    conditions: [conditionOf(status.condition, at)],
    startTime: (current?.startTime as string | undefined) ?? kubeTime(status.startTime),
    completionTime: kubeTime(at),
    childReferences: children,
  };
  if (status.results.length) out.results = status.results.map((r) => ({ name: r.name, value: r.value }));
  if (status.skippedTasks.length) out.skippedTasks = status.skippedTasks;
  return out;
}
