// The embedded stack's Tekton controller: every PipelineRun created through the API (`kubectl create -f
// pipelineruns/…`) runs with the local executor (src/tekton) against the Tasks and Pipelines stored in
// its namespace, and the controller writes back what Tekton's would — TaskRuns owned by the run, a Pod
// per TaskRun with its step logs, and the statuses (objects.ts). Steps are local processes of the CLI with
// the pod's view of the cluster (in-cluster.ts, pod-network.ts) and the run's ServiceAccount identity: a
// token the API server authenticates, so the Role `kubectl apply -k .` installed is what they may do.
// Deleting a PipelineRun, or setting spec.status to Cancelled, stops its steps.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import {
  catalogFrom,
  defaultCliEntry,
  runPipelineRun,
  type PipelineRun,
  type PipelineRunStatus,
  type StepStatus,
  type TaskRunStatus,
  type TaskRunTarget,
} from '../../tekton/index.ts';
import { unmapPaths } from '../../tekton/local-paths.ts';
import type { PlannedStep } from '../../tekton/plan.ts';
import type { SimCluster } from '../kube-api/cluster.ts';
import { removeWithDependents } from '../kube-api/objects.ts';
import { serviceAccountUser, type Rbac } from '../kube-api/rbac.ts';
import type { KubeObject, StoreEvent } from '../kube-api/store.ts';
import {
  inClusterEnv,
  SA_ROOT_ENV,
  serviceTable,
  writeServiceAccountRoot,
  type InClusterApi,
} from './in-cluster.ts';
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

export interface TektonControllerOptions {
  cluster: SimCluster;
  /** where steps reach the API server (HTTPS, as in a pod) and the certificate they trust; asked per run */
  api: () => Promise<InClusterApi>;
  /** with token authentication on: ServiceAccount tokens are registered here */
  rbac?: Rbac;
  logger?: Logger;
  /** the CLI entry a step's `kv-cache-bench` runs (default: this checkout's) */
  cliEntry?: string;
  now?: () => number;
}

/** spec.status values that stop a run (pipelinerun_types.go PipelineRunSpecStatus). */
const CANCEL = new Set(['Cancelled', 'CancelledRunFinally', 'StoppedRunFinally']);
const MODULE_EXT = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const POD_NETWORK = new URL(`./pod-network.${MODULE_EXT}`, import.meta.url).href;

interface Run {
  namespace: string;
  name: string;
  abort: AbortController;
  /** set once the PipelineRun object is gone: nothing more is written for it */
  deleted: boolean;
  done: Promise<void>;
}

/** What one run's observer needs to write its objects. */
interface RunContext {
  run: Run;
  pr: KubeObject;
  pipelineName: string;
  finallyTasks: Set<string>;
  serviceAccountName: string;
  /** TaskRun name → its current pod */
  pods: Map<string, { name: string; containers: string[] }>;
  children: ChildReference[];
  tally: { completed: number; failed: number; cancelled: number; skipped: number };
}

export class TektonController {
  private readonly o: TektonControllerOptions;
  private readonly runs = new Map<string, Run>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'kv-cache-bench-tekton-'));
  private readonly now: () => number;
  private stopObserving: () => void = () => {};
  private closed = false;

  constructor(options: TektonControllerOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  private get store() {
    return this.o.cluster.store;
  }

  /** Runs PipelineRuns already stored, then every new one. */
  start(): void {
    this.stopObserving = this.store.observe((e) => this.onEvent(e));
    for (const pr of this.store.list('pipelineruns')) this.launchLater(pr);
  }

  /** Stops every run (its steps get SIGTERM), waits for them, removes their directories. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopObserving();
    const runs = [...this.runs.values()];
    for (const r of runs) r.abort.abort();
    await Promise.allSettled(runs.map((r) => r.done));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== 'pipelineruns') return;
    const { namespace = '', name } = e.object.metadata;
    const run = this.runs.get(`${namespace}/${name}`);
    if (e.type === 'ADDED') this.launchLater(e.object);
    else if (e.type === 'DELETED' && run) {
      run.deleted = true;
      run.abort.abort();
    } else if (run && CANCEL.has(String((e.object.spec as { status?: string } | undefined)?.status)))
      run.abort.abort();
  }

  /** Store events arrive inside the store's own update: start work after it. */
  private launchLater(pr: KubeObject): void {
    if ((pr.status as { completionTime?: string } | undefined)?.completionTime) return;
    const { namespace = '', name } = pr.metadata;
    const key = `${namespace}/${name}`;
    if (this.runs.has(key) || this.closed) return;
    const run: Run = {
      namespace,
      name,
      abort: new AbortController(),
      deleted: false,
      done: Promise.resolve(),
    };
    this.runs.set(key, run);
    run.done = new Promise<void>((resolve) => queueMicrotask(resolve))
      .then(() => this.execute(run))
      .catch((err: unknown) => {
        this.o.logger?.error({ err, pipelineRun: key }, 'tekton controller failed');
        this.failRun(run, err);
      })
      .finally(() => this.runs.delete(key));
  }

  /** A run the controller itself could not carry out ends Failed with the reason, not Running forever. */
  private failRun(run: Run, err: unknown): void {
    if (run.deleted) return;
    const at = new Date(this.now()).toISOString();
    const message = `the embedded Tekton controller could not run it: ${err instanceof Error ? err.message : String(err)}`;
    this.store.update('pipelineruns', run.namespace, run.name, (d) => {
      const status = (d.status ?? {}) as Record<string, unknown>;
      status.conditions = [
        conditionOf({ type: 'Succeeded', status: 'False', reason: 'Failed', message }, at),
      ];
      status.startTime ??= kubeTime(at);
      status.completionTime = kubeTime(at);
      d.status = status;
    });
  }

  private async execute(run: Run): Promise<void> {
    const { namespace: ns, name } = run;
    const pr = this.store.get('pipelineruns', ns, name);
    if (!pr) return;
    const spec = pr.spec as PipelineRun['spec'];
    const pipelineName = spec.pipelineRef?.name ?? '';
    const pipeline = this.store.get('pipelines', ns, pipelineName);
    const saName = spec.taskRunTemplate?.serviceAccountName ?? 'default';
    const ctx: RunContext = {
      run,
      pr,
      pipelineName,
      finallyTasks: new Set(
        ((pipeline?.spec as { finally?: { name: string }[] } | undefined)?.finally ?? []).map((t) => t.name),
      ),
      serviceAccountName: saName,
      pods: new Map(),
      children: [],
      tally: { completed: 0, failed: 0, cancelled: 0, skipped: 0 },
    };
    const startTime = new Date(this.now()).toISOString();
    if (pipeline) this.markStarted(ctx, pipeline, startTime);
    this.o.logger?.info({ pipelineRun: `${ns}/${name}`, pipeline: pipelineName }, 'PipelineRun started');

    const runDir = join(this.dir, `${ns}-${name}`);
    const api = await this.o.api();
    const status = await runPipelineRun({
      catalog: catalogFrom([...this.store.list('tasks', ns), ...this.store.list('pipelines', ns)]),
      pipelineRun: pr as unknown as PipelineRun,
      namespace: ns,
      uid: pr.metadata.uid,
      dir: runDir,
      env: inClusterEnv(api, serviceTable(this.store.list('services'), ns)),
      serviceAccounts: this.serviceAccounts(ns, saName, runDir, api.ca),
      secrets: this.secrets(ns),
      configMaps: this.configMaps(ns),
      commands: {
        'kv-cache-bench': [process.execPath, '--import', POD_NETWORK, this.o.cliEntry ?? defaultCliEntry()],
        node: [process.execPath, '--import', POD_NETWORK],
      },
      signal: run.abort.signal,
      now: this.now,
      onLog: ({ taskRun, step, text, mounts }) => {
        const pod = ctx.pods.get(taskRun);
        // The pod shows /scratch/…, /tekton/results/…, not this machine's directories.
        if (pod) this.o.cluster.podLogs.append(ns, pod.name, `step-${step}`, unmapPaths(text, mounts ?? []));
      },
      observer: {
        started: (t, at) => this.taskRunStarted(ctx, t, at),
        stepStarted: (t, step, at) => this.stepStarted(ctx, t, step, at),
        stepFinished: (t, step) => this.stepFinished(ctx, t, step),
        finished: (t, s) => this.taskRunFinished(ctx, t, s),
      },
    });
    this.finish(ctx, status);
    this.o.logger?.info(
      { pipelineRun: `${ns}/${name}`, reason: status.condition.reason, status: status.condition.status },
      'PipelineRun finished',
    );
  }

  /** A token for the run's ServiceAccount, as its pods would mount; a missing one fails every pod. */
  private serviceAccounts(ns: string, saName: string, runDir: string, ca: string) {
    if (!this.store.get('serviceaccounts', ns, saName)) return {};
    const token = randomBytes(24).toString('base64url');
    this.o.rbac?.addToken(token, serviceAccountUser(ns, saName));
    const root = writeServiceAccountRoot(join(runDir, 'serviceaccount'), {
      token,
      ca,
      namespace: ns,
    });
    return { [saName]: { env: { [SA_ROOT_ENV]: root } } };
  }

  private secrets(ns: string): Record<string, Record<string, string>> {
    const decode = (data: unknown) =>
      Object.fromEntries(
        Object.entries((data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
      );
    return Object.fromEntries(this.store.list('secrets', ns).map((s) => [s.metadata.name, decode(s.data)]));
  }

  private configMaps(ns: string): Record<string, Record<string, string>> {
    return Object.fromEntries(
      this.store
        .list('configmaps', ns)
        .map((c) => [c.metadata.name, { ...((c.data as Record<string, string> | undefined) ?? {}) }]),
    );
  }

  private writable(ctx: RunContext): boolean {
    return !ctx.run.deleted && this.store.get('pipelineruns', ctx.run.namespace, ctx.run.name) !== undefined;
  }

  private updatePipelineRun(ctx: RunContext, mutate: (status: Record<string, unknown>) => void): void {
    const updated = this.store.update('pipelineruns', ctx.run.namespace, ctx.run.name, (d) => {
      const status = (d.status ?? {}) as Record<string, unknown>;
      mutate(status);
      d.status = status;
    });
    if (updated) ctx.pr = updated;
  }

  private markStarted(ctx: RunContext, pipeline: KubeObject, startTime: string): void {
    this.store.update('pipelineruns', ctx.run.namespace, ctx.run.name, (d) => {
      d.metadata.labels = { ...d.metadata.labels, 'tekton.dev/pipeline': ctx.pipelineName };
    });
    this.updatePipelineRun(ctx, (s) => {
      s.conditions = [
        conditionOf(
          { type: 'Succeeded', status: 'Unknown', reason: 'Running', message: runningMessage(ctx.tally) },
          startTime,
        ),
      ];
      s.startTime = kubeTime(startTime);
      s.pipelineSpec = pipeline.spec;
    });
  }

  private taskRunStarted(ctx: RunContext, t: TaskRunTarget, startTime: string): void {
    if (!this.writable(ctx)) return;
    const ns = ctx.run.namespace;
    const task = this.store.get('tasks', ns, t.taskName);
    let taskRun = this.store.get('taskruns', ns, t.name);
    if (!taskRun) {
      taskRun = this.store.create(
        'taskruns',
        newTaskRun({
          target: t,
          pipelineRun: ctx.pr,
          pipelineName: ctx.pipelineName,
          memberOf: ctx.finallyTasks.has(t.pipelineTaskName ?? '') ? 'finally' : 'tasks',
          serviceAccountName: ctx.serviceAccountName,
          taskLabels: task?.metadata.labels ?? {},
          ...(task ? { taskSpec: task.spec } : {}),
          uid: randomUUID(),
          startTime,
        }),
      );
      ctx.children.push({
        apiVersion: TEKTON_API,
        kind: 'TaskRun',
        name: t.name,
        pipelineTaskName: t.pipelineTaskName ?? '',
      });
      this.updatePipelineRun(ctx, (s) => (s.childReferences = [...ctx.children]));
    }
    const podName = podNameOf(t.name, t.retryCount);
    ctx.pods.set(t.name, { name: podName, containers: t.plan.steps.map((s) => s.container) });
    this.store.update('taskruns', ns, t.name, (d) => {
      (d.status as Record<string, unknown>).podName = podName;
    });
    this.store.create(
      'pods',
      newPod({
        taskRun,
        steps: t.plan.steps,
        serviceAccountName: ctx.serviceAccountName,
        uid: randomUUID(),
        name: podName,
        startTime,
      }),
    );
  }

  private stepStarted(ctx: RunContext, t: TaskRunTarget, step: PlannedStep, at: string): void {
    const pod = ctx.pods.get(t.name);
    if (!pod || !this.writable(ctx)) return;
    this.store.update('pods', ctx.run.namespace, pod.name, (d) => podStepRunning(d, step.container, at));
    this.store.update('taskruns', ctx.run.namespace, t.name, (d) =>
      taskRunStepRunning(d, step.container, at),
    );
  }

  private stepFinished(ctx: RunContext, t: TaskRunTarget, step: StepStatus): void {
    const pod = ctx.pods.get(t.name);
    if (!pod) return;
    this.o.cluster.podLogs.end(ctx.run.namespace, pod.name, step.container);
    if (!this.writable(ctx)) return;
    const at = step.finishedAt ?? new Date(this.now()).toISOString();
    this.store.update('pods', ctx.run.namespace, pod.name, (d) => podStepDone(d, step, at));
    this.store.update('taskruns', ctx.run.namespace, t.name, (d) => taskRunStepDone(d, step, at));
  }

  private taskRunFinished(ctx: RunContext, t: TaskRunTarget, status: TaskRunStatus): void {
    const pod = ctx.pods.get(t.name);
    for (const c of pod?.containers ?? []) this.o.cluster.podLogs.end(ctx.run.namespace, pod!.name, c);
    if (!this.writable(ctx)) return;
    if (pod) this.store.update('pods', ctx.run.namespace, pod.name, (d) => podDone(d, status));
    this.store.update('taskruns', ctx.run.namespace, t.name, (d) => taskRunDone(d, status));
    // Retries run again under the same TaskRun: only a final outcome counts.
    const final = status.condition.status === 'True' || status.retriesStatus >= this.retriesOf(ctx, t);
    if (!final) return;
    ctx.tally.completed++;
    if (status.condition.reason === 'TaskRunCancelled') ctx.tally.cancelled++;
    else if (status.condition.status === 'False') ctx.tally.failed++;
    this.updatePipelineRun(ctx, (s) => {
      const conditions = s.conditions as { message: string }[] | undefined;
      if (conditions?.[0]) conditions[0].message = runningMessage(ctx.tally);
    });
  }

  private retriesOf(ctx: RunContext, t: TaskRunTarget): number {
    const spec = (ctx.pr.status as { pipelineSpec?: { tasks?: { name: string; retries?: number }[] } })
      ?.pipelineSpec;
    return spec?.tasks?.find((x) => x.name === t.pipelineTaskName)?.retries ?? 0;
  }

  /** The final status; TaskRuns that never got a pod (e.g. a bad param) are written now. */
  private finish(ctx: RunContext, status: PipelineRunStatus): void {
    const ns = ctx.run.namespace;
    if (!this.writable(ctx)) {
      // Deleted while running: what was created after the delete goes too (garbage collection).
      for (const tr of this.store.list('taskruns', ns))
        if (tr.metadata.ownerReferences?.some((o) => o.uid === ctx.pr.metadata.uid))
          removeWithDependents(this.store, 'taskruns', tr);
      return;
    }
    for (const tr of Object.values(status.taskRuns)) {
      if (this.store.get('taskruns', ns, tr.name)) continue;
      const target = {
        name: tr.name,
        taskName: tr.taskName,
        pipelineTaskName: tr.pipelineTaskName ?? '',
        plan: { steps: [], results: [], volumes: [], workspaces: [] },
        dir: '',
        workspaceDirs: {},
        retryCount: 0,
      };
      const obj = newTaskRun({
        target,
        pipelineRun: ctx.pr,
        pipelineName: ctx.pipelineName,
        memberOf: ctx.finallyTasks.has(tr.pipelineTaskName ?? '') ? 'finally' : 'tasks',
        serviceAccountName: ctx.serviceAccountName,
        taskLabels: this.store.get('tasks', ns, tr.taskName)?.metadata.labels ?? {},
        uid: randomUUID(),
        startTime: tr.startTime,
      });
      delete (obj.status as Record<string, unknown>).podName;
      taskRunDone(obj, tr);
      this.store.create('taskruns', obj);
      ctx.children.push({
        apiVersion: TEKTON_API,
        kind: 'TaskRun',
        name: tr.name,
        pipelineTaskName: tr.pipelineTaskName ?? '',
      });
    }
    this.updatePipelineRun(ctx, (s) => {
      const next = finalPipelineRunStatus(s, status, ctx.children);
      for (const k of Object.keys(s)) delete s[k];
      Object.assign(s, next);
    });
  }
}
