// Writes one PipelineRun's objects while the executor runs it, as Tekton's reconcilers would: the run's
// `Running` status, a TaskRun (owned by the run, listed in childReferences) and a Pod per TaskRun as it
// starts, each step's container state, the step logs `kubectl logs` reads, and the final statuses
// (shapes in objects.ts). Nothing is written once the PipelineRun is gone; what was created after its
// delete is removed, as the garbage collector would.
import { randomUUID } from 'node:crypto';
import type {
  PipelineRunStatus,
  StepStatus,
  TaskRunObserver,
  TaskRunStatus,
  TaskRunTarget,
} from '../../tekton/index.ts';
import { unmapPaths, type Mount } from '../../tekton/local-paths.ts';
import type { PlannedStep } from '../../tekton/plan.ts';
import type { SimCluster } from '../kube-api/cluster.ts';
import { removeWithDependents } from '../kube-api/objects.ts';
import type { KubeObject } from '../kube-api/store.ts';
import {
  conditionOf,
  finalPipelineRunStatus,
  kubeTime,
  newPod,
  newTaskRun,
  podDone,
  podNameOf,
  podStepDone,
  podStepRunning,
  runningMessage,
  taskRunDone,
  taskRunStepDone,
  taskRunStepRunning,
  TEKTON_API,
  type ChildReference,
} from './objects.ts';

export interface RunIdentity {
  namespace: string;
  name: string;
  /** the PipelineRun object is gone: write nothing more */
  deleted: boolean;
}

export class RunWriter implements TaskRunObserver {
  private readonly cluster: SimCluster;
  private readonly run: RunIdentity;
  private readonly now: () => number;
  private pr: KubeObject;
  private readonly pipelineName: string;
  private readonly pipelineSpec: {
    finally?: { name: string }[];
    tasks?: { name: string; retries?: number }[];
  };
  private readonly serviceAccountName: string;
  /** TaskRun name → its current pod */
  private readonly pods = new Map<string, { name: string; containers: string[] }>();
  private readonly children: ChildReference[] = [];
  private readonly tally = { completed: 0, failed: 0, cancelled: 0, skipped: 0 };

  constructor(
    cluster: SimCluster,
    run: RunIdentity,
    pr: KubeObject,
    opts: { pipeline?: KubeObject; serviceAccountName: string; now: () => number },
  ) {
    this.cluster = cluster;
    this.run = run;
    this.pr = pr;
    this.now = opts.now;
    this.pipelineName = (pr.spec as { pipelineRef?: { name?: string } }).pipelineRef?.name ?? '';
    this.pipelineSpec = (opts.pipeline?.spec ?? {}) as RunWriter['pipelineSpec'];
    this.serviceAccountName = opts.serviceAccountName;
  }

  private get store() {
    return this.cluster.store;
  }

  private writable(): boolean {
    return (
      !this.run.deleted && this.store.get('pipelineruns', this.run.namespace, this.run.name) !== undefined
    );
  }

  private updateStatus(mutate: (status: Record<string, unknown>) => void): void {
    const updated = this.store.update('pipelineruns', this.run.namespace, this.run.name, (d) => {
      const status = (d.status ?? {}) as Record<string, unknown>;
      mutate(status);
      d.status = status;
    });
    if (updated) this.pr = updated;
  }

  private memberOf(pipelineTask: string | undefined): string {
    return this.pipelineSpec.finally?.some((t) => t.name === pipelineTask) ? 'finally' : 'tasks';
  }

  /** The run is picked up: its Pipeline's label, `Running`, its start time and resolved spec. */
  runStarted(startTime: string, pipeline: KubeObject): void {
    this.store.update('pipelineruns', this.run.namespace, this.run.name, (d) => {
      d.metadata.labels = { ...d.metadata.labels, 'tekton.dev/pipeline': this.pipelineName };
    });
    this.updateStatus((s) => {
      const running = {
        type: 'Succeeded',
        status: 'Unknown',
        reason: 'Running',
        message: runningMessage(this.tally),
      } as const;
      s.conditions = [conditionOf(running, startTime)];
      s.startTime = kubeTime(startTime);
      s.pipelineSpec = pipeline.spec;
    });
  }

  /** A chunk of a step's output, with the pod's paths instead of this machine's directories. */
  log(taskRun: string, step: string, text: string, mounts: readonly Mount[]): void {
    const pod = this.pods.get(taskRun);
    if (pod)
      this.cluster.podLogs.append(this.run.namespace, pod.name, `step-${step}`, unmapPaths(text, mounts));
  }

  private newTaskRun(target: TaskRunTarget, startTime: string): KubeObject {
    const task = this.store.get('tasks', this.run.namespace, target.taskName);
    return newTaskRun({
      target,
      pipelineRun: this.pr,
      pipelineName: this.pipelineName,
      memberOf: this.memberOf(target.pipelineTaskName),
      serviceAccountName: this.serviceAccountName,
      taskLabels: task?.metadata.labels ?? {},
      ...(task ? { taskSpec: task.spec } : {}),
      uid: randomUUID(),
      startTime,
    });
  }

  private addChild(name: string, pipelineTaskName: string | undefined): void {
    this.children.push({
      apiVersion: TEKTON_API,
      kind: 'TaskRun',
      name,
      pipelineTaskName: pipelineTaskName ?? '',
    });
  }

  /** TaskRunObserver: the TaskRun (again, on a retry) and a new pod for it. */
  started(t: TaskRunTarget, startTime: string): void {
    if (!this.writable()) return;
    const ns = this.run.namespace;
    let taskRun = this.store.get('taskruns', ns, t.name);
    if (!taskRun) {
      taskRun = this.store.create('taskruns', this.newTaskRun(t, startTime));
      this.addChild(t.name, t.pipelineTaskName);
      this.updateStatus((s) => (s.childReferences = [...this.children]));
    }
    const podName = podNameOf(t.name, t.retryCount);
    this.pods.set(t.name, { name: podName, containers: t.plan.steps.map((s) => s.container) });
    this.store.update('taskruns', ns, t.name, (d) => {
      (d.status as Record<string, unknown>).podName = podName;
    });
    const pod = newPod({
      taskRun,
      steps: t.plan.steps,
      serviceAccountName: this.serviceAccountName,
      uid: randomUUID(),
      name: podName,
      startTime,
    });
    this.store.create('pods', pod);
  }

  stepStarted(t: TaskRunTarget, step: PlannedStep, at: string): void {
    const pod = this.pods.get(t.name);
    if (!pod || !this.writable()) return;
    this.store.update('pods', this.run.namespace, pod.name, (d) => podStepRunning(d, step.container, at));
    this.store.update('taskruns', this.run.namespace, t.name, (d) =>
      taskRunStepRunning(d, step.container, at),
    );
  }

  stepFinished(t: TaskRunTarget, step: StepStatus): void {
    const pod = this.pods.get(t.name);
    if (!pod) return;
    this.cluster.podLogs.end(this.run.namespace, pod.name, step.container);
    if (!this.writable()) return;
    const at = step.finishedAt ?? new Date(this.now()).toISOString();
    this.store.update('pods', this.run.namespace, pod.name, (d) => podStepDone(d, step, at));
    this.store.update('taskruns', this.run.namespace, t.name, (d) => taskRunStepDone(d, step, at));
  }

  finished(t: TaskRunTarget, status: TaskRunStatus): void {
    const pod = this.pods.get(t.name);
    for (const c of pod?.containers ?? []) this.cluster.podLogs.end(this.run.namespace, pod!.name, c);
    if (!this.writable()) return;
    if (pod) this.store.update('pods', this.run.namespace, pod.name, (d) => podDone(d, status));
    this.store.update('taskruns', this.run.namespace, t.name, (d) => taskRunDone(d, status));
    // Retries run again under the same TaskRun: only a final outcome counts.
    const retries = this.pipelineSpec.tasks?.find((x) => x.name === t.pipelineTaskName)?.retries ?? 0;
    if (status.condition.status !== 'True' && status.retriesStatus < retries) return;
    this.tally.completed++;
    if (status.condition.reason === 'TaskRunCancelled') this.tally.cancelled++;
    else if (status.condition.status === 'False') this.tally.failed++;
    this.updateStatus((s) => {
      const conditions = s.conditions as { message: string }[] | undefined;
      if (conditions?.[0]) conditions[0].message = runningMessage(this.tally);
    });
  }

  /** The final status; TaskRuns that never got a pod (e.g. a bad param) are written now. */
  completed(status: PipelineRunStatus): void {
    const ns = this.run.namespace;
    if (!this.writable()) {
      for (const tr of this.store.list('taskruns', ns))
        if (tr.metadata.ownerReferences?.some((o) => o.uid === this.pr.metadata.uid))
          removeWithDependents(this.store, 'taskruns', tr);
      return;
    }
    for (const tr of Object.values(status.taskRuns)) {
      if (this.store.get('taskruns', ns, tr.name)) continue;
      const target: TaskRunTarget = {
        name: tr.name,
        taskName: tr.taskName,
        pipelineTaskName: tr.pipelineTaskName ?? '',
        plan: { steps: [], results: [], volumes: [], workspaces: [] },
        dir: '',
        workspaceDirs: {},
        retryCount: 0,
      };
      const obj = this.newTaskRun(target, tr.startTime);
      delete (obj.status as Record<string, unknown>).podName;
      taskRunDone(obj, tr);
      this.store.create('taskruns', obj);
      this.addChild(tr.name, tr.pipelineTaskName);
    }
    this.updateStatus((s) => {
      const next = finalPipelineRunStatus(s, status, this.children);
      for (const k of Object.keys(s)) delete s[k];
      Object.assign(s, next);
    });
  }

  /** The controller itself could not carry the run out: Failed with the reason, not Running forever. */
  failed(message: string): void {
    if (!this.writable()) return;
    const at = new Date(this.now()).toISOString();
    this.updateStatus((s) => {
      s.conditions = [conditionOf({ type: 'Succeeded', status: 'False', reason: 'Failed', message }, at)];
      s.startTime ??= kubeTime(at);
      s.completionTime = kubeTime(at);
    });
  }
}
