// Runs a Pipeline the way Tekton's PipelineRun reconciler schedules it: DAG tasks start as soon as
// their parents are done; a failed task stops new ones from starting ("PipelineRun was stopping");
// `finally` tasks run after all of them with `$(tasks.status)`; Pipeline results come last.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { buildGraph, resultRefs } from './dag.ts';
import { goDurationMs } from './go-duration.ts';
import { childName } from './names.ts';
import { describeProblem, resolveParams, toParamValue, type ParamProblem } from './params.ts';
import { aggregateStatus, finalCondition, pipelineResults, type TaskOutcome } from './pipeline-state.ts';
import { planTaskRun, type BoundWorkspace } from './plan.ts';
import { addValues, applyValue, emptyReplacements, mergeReplacements, type Replacements } from './substitute.ts';
import { describeSteps, runTaskRun, type LocalEnvironment, type TaskRunTarget } from './task-run.ts';
import type { Condition, ParamValue, Pipeline, PipelineRunStatus, PipelineTask, Task, TaskRunStatus, TaskSpec, WorkspaceBinding } from './types.ts';
import { evaluateWhen } from './when.ts';

export interface PipelineRunRequest {
  pipeline: Pipeline;
  findTask(name: string): Task | undefined;
  name: string;
  namespace: string;
  uid: string;
  params: Record<string, ParamValue>;
  workspaces: readonly WorkspaceBinding[];
  /** `timeouts.pipeline` as written ("1h", "0" = none). */
  timeout?: string;
  /** Directory for every TaskRun's mounts and shared workspaces. */
  dir: string;
  dryRun: boolean;
  signal?: AbortSignal;
}

// Skipping reasons (pipelinerun_types.go SkippingReason).
const WHEN_SKIP = 'When Expressions evaluated to false';
const PARENT_SKIP = 'Parent Tasks were skipped';
const STOPPING_SKIP = 'PipelineRun was stopping';
const MISSING_RESULTS_SKIP = 'Results were missing';
const TIMEOUT_SKIP = 'PipelineRun timeout has been reached';
const CANCELLED_SKIP = 'PipelineRun was gracefully cancelled';

interface Done {
  outcome: TaskOutcome;
  status?: TaskRunStatus;
  skip?: string;
}

const PARAM_REASON: Record<ParamProblem['kind'], string> = {
  missing: 'ParameterMissing',
  type: 'ParameterTypeMismatch',
  keys: 'ObjectParameterMissKeys',
};

function pipelineWorkspaceDirs(req: PipelineRunRequest): Map<string, WorkspaceBinding> | string {
  const out = new Map<string, WorkspaceBinding>();
  for (const decl of req.pipeline.spec.workspaces ?? []) {
    const b = req.workspaces.find((w) => w.name === decl.name);
    if (b) out.set(decl.name, b);
    else if (!decl.optional) return `pipeline workspace ${decl.name} is not bound by the PipelineRun`;
  }
  return out;
}

/** A PVC, a volumeClaimTemplate or a host directory is one volume for the whole run; emptyDir is per pod. */
function workspaceDir(req: PipelineRunRequest, b: WorkspaceBinding, taskRunDir: string): string {
  if (b.hostPath) return b.hostPath;
  if (b.persistentVolumeClaim) return join(req.dir, 'pvc', b.persistentVolumeClaim.claimName);
  if (b.volumeClaimTemplate) return join(req.dir, 'pvc', `${b.name}-${req.name}`);
  return join(taskRunDir, 'emptydir', b.name);
}

export async function executePipelineRun(req: PipelineRunRequest, local: LocalEnvironment): Promise<PipelineRunStatus> {
  const spec = req.pipeline.spec;
  const status: PipelineRunStatus = {
    name: req.name,
    namespace: req.namespace,
    pipelineName: req.pipeline.metadata.name ?? '',
    condition: { type: 'Succeeded', status: 'Unknown', reason: 'Running', message: '' },
    results: [],
    taskRuns: {},
    skippedTasks: [],
    startTime: new Date(local.now()).toISOString(),
    dryRun: req.dryRun,
  };
  const finish = (condition: Condition): PipelineRunStatus => ({ ...status, condition, completionTime: new Date(local.now()).toISOString() });
  const fail = (reason: string, message: string) => finish({ type: 'Succeeded', status: 'False', reason, message });

  const params = resolveParams(spec.params, req.params);
  if (!params.ok) return fail(PARAM_REASON[params.problem.kind], describeProblem(params.problem, `PipelineRun ${req.name}`));
  const bindings = pipelineWorkspaceDirs(req);
  if (typeof bindings === 'string') return fail('InvalidWorkspaceBindings', bindings);
  const graph = buildGraph(spec.tasks);
  if (!graph.ok) return fail('PipelineInvalidGraph', graph.message);
  const finallyTasks = spec.finally ?? [];
  const specs = new Map<string, TaskSpec>();
  for (const pt of [...spec.tasks, ...finallyTasks]) {
    const ts = pt.taskSpec ?? (pt.taskRef ? req.findTask(pt.taskRef.name)?.spec : undefined);
    if (!ts) return fail('CouldntGetTask', `Pipeline ${req.namespace}/${status.pipelineName} can't be Run; it contains Tasks that don't exist: Couldn't retrieve Task "${pt.taskRef?.name ?? pt.name}"`);
    specs.set(pt.name, ts);
  }
  const timeoutMs = req.timeout === undefined ? 60 * 60_000 : goDurationMs(req.timeout);
  if (timeoutMs === undefined) return fail('PipelineValidationFailed', `timeouts.pipeline ${JSON.stringify(req.timeout)} is not a Go duration`);

  const base = addValues(emptyReplacements(), 'params', params.values);
  base.strings.set('context.pipelineRun.name', req.name);
  base.strings.set('context.pipelineRun.namespace', req.namespace);
  base.strings.set('context.pipelineRun.uid', req.uid);
  base.strings.set('context.pipeline.name', status.pipelineName);
  for (const decl of spec.workspaces ?? []) base.strings.set(`workspaces.${decl.name}.bound`, String(bindings.has(decl.name)));

  // The run's own abort: the caller's signal or timeouts.pipeline.
  const abort = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => abort.abort();
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), abort.abort()), timeoutMs) : undefined;

  const done = new Map<string, Done>();
  let fatal: Condition | undefined;
  const settle = (pt: PipelineTask, d: Done) => {
    done.set(pt.name, d);
    if (d.status) status.taskRuns[pt.name] = d.status;
    if (d.skip) status.skippedTasks.push({ name: pt.name, reason: d.skip });
  };

  /** Substitutions for one PipelineTask, or why it cannot run. */
  const resolve = (pt: PipelineTask, isFinally: boolean): { r: Replacements } | { skip: string } => {
    const r = mergeReplacements(base);
    for (const ref of resultRefs(pt)) {
      const parent = done.get(ref.task);
      const found = parent?.status?.results.find((x) => x.name === ref.result);
      if (found) addValues(r, `tasks.${ref.task}.results`, { [found.name]: found.value });
      else if (req.dryRun) continue;
      else if (isFinally || parent?.skip === WHEN_SKIP || parent?.outcome !== 'Succeeded') return { skip: MISSING_RESULTS_SKIP };
      else fatal ??= { type: 'Succeeded', status: 'False', reason: 'InvalidTaskResultReference', message: `Invalid task result reference from pipeline task ${pt.name}: task ${ref.task} did not produce result ${ref.result}` };
    }
    if (fatal) return { skip: STOPPING_SKIP };
    if (isFinally) {
      const dag = spec.tasks.map((t) => done.get(t.name));
      for (const t of spec.tasks) {
        const d = done.get(t.name);
        r.strings.set(`tasks.${t.name}.status`, d?.outcome ?? 'None');
        r.strings.set(`tasks.${t.name}.reason`, d?.status?.condition.reason ?? '');
      }
      r.strings.set('tasks.status', aggregateStatus(dag.map((d) => d?.outcome ?? 'None'), dag.filter((d) => d?.skip).length));
    }
    const when = evaluateWhen(pt.when, r);
    if (when.error) fatal ??= { type: 'Succeeded', status: 'False', reason: 'PipelineValidationFailed', message: `task ${pt.name}: ${when.error}` };
    return when.allowed && !when.error ? { r } : { skip: WHEN_SKIP };
  };

  const runOne = async (pt: PipelineTask, r: Replacements): Promise<Done> => {
    const given: Record<string, ParamValue> = {};
    for (const p of pt.params ?? []) {
      const v = toParamValue(p.value);
      if (v !== undefined) given[p.name] = applyValue(v, r);
    }
    const trName = childName(req.name, `-${pt.name}`);
    const trDir = join(req.dir, trName);
    const boundWs: Record<string, BoundWorkspace> = {};
    const wsDirs: Record<string, string> = {};
    for (const w of pt.workspaces ?? []) {
      const b = bindings.get(w.workspace ?? w.name);
      if (!b) continue;
      const dir = join(workspaceDir(req, b, trDir), b.subPath ?? '', w.subPath ?? '');
      if (!req.dryRun) mkdirSync(dir, { recursive: true });
      wsDirs[w.name] = dir;
      boundWs[w.name] = { volume: `ws-${b.name}`, claim: b.persistentVolumeClaim?.claimName ?? (b.volumeClaimTemplate ? `pvc-${b.name}-${req.name}` : '') };
    }
    const taskTimeout = pt.timeout === undefined ? undefined : goDurationMs(pt.timeout);
    let last: TaskRunStatus | undefined;
    for (let retry = 0; retry <= (pt.retries ?? 0); retry++) {
      const planned = planTaskRun({
        taskName: pt.taskRef?.name ?? pt.name,
        spec: specs.get(pt.name) as TaskSpec,
        params: given,
        workspaces: boundWs,
        context: { taskRunName: trName, namespace: req.namespace, uid: `${req.uid}-${pt.name}`, retryCount: retry },
      });
      const now = new Date(local.now()).toISOString();
      if (!planned.ok) {
        const condition: Condition = { type: 'Succeeded', status: 'False', reason: planned.reason, message: planned.message };
        return { outcome: 'Failed', status: { name: trName, pipelineTaskName: pt.name, taskName: pt.taskRef?.name ?? pt.name, condition, steps: [], results: [], retriesStatus: retry, startTime: now, completionTime: now } };
      }
      const target: TaskRunTarget = {
        name: trName,
        taskName: pt.taskRef?.name ?? pt.name,
        pipelineTaskName: pt.name,
        plan: planned.plan,
        dir: retry === 0 ? trDir : `${trDir}-retry${retry}`,
        workspaceDirs: wsDirs,
        ...(taskTimeout ? { deadline: local.now() + taskTimeout, timeoutText: pt.timeout } : {}),
        signal: abort.signal,
        retryCount: retry,
      };
      if (req.dryRun) {
        const condition: Condition = { type: 'Succeeded', status: 'Unknown', reason: 'DryRun', message: 'not run (dry run)' };
        return { outcome: 'None', status: { name: trName, pipelineTaskName: pt.name, taskName: target.taskName, condition, steps: describeSteps(target, local), results: [], retriesStatus: 0, startTime: now } };
      }
      last = await runTaskRun(target, local);
      if (last.condition.status === 'True' || abort.signal.aborted) break;
    }
    const ok = last?.condition.status === 'True';
    return { outcome: ok ? 'Succeeded' : 'Failed', ...(last ? { status: last } : {}) };
  };

  // DAG phase: start whatever is ready, wait for any running task, repeat.
  const running = new Map<string, Promise<void>>();
  const pending = new Set(spec.tasks.map((t) => t.name));
  for (;;) {
    const stopping = fatal !== undefined || abort.signal.aborted || [...done.values()].some((d) => d.outcome === 'Failed');
    for (const pt of spec.tasks) {
      if (!pending.has(pt.name)) continue;
      const parents = [...(graph.graph.get(pt.name) ?? [])].map((p) => done.get(p));
      if (parents.some((p) => p === undefined)) {
        if (stopping && running.size === 0) (pending.delete(pt.name), settle(pt, { outcome: 'None', skip: timedOut ? TIMEOUT_SKIP : STOPPING_SKIP }));
        continue;
      }
      pending.delete(pt.name);
      if (stopping) {
        settle(pt, { outcome: 'None', skip: timedOut ? TIMEOUT_SKIP : STOPPING_SKIP });
        continue;
      }
      if (parents.some((p) => p?.skip && p.skip !== WHEN_SKIP)) {
        settle(pt, { outcome: 'None', skip: PARENT_SKIP });
        continue;
      }
      const resolved = resolve(pt, false);
      if ('skip' in resolved) {
        settle(pt, { outcome: 'None', skip: resolved.skip });
        continue;
      }
      running.set(pt.name, runOne(pt, resolved.r).then((d) => (settle(pt, d), void running.delete(pt.name))));
    }
    // With nothing running, every pass settles or starts at least one task of a DAG, so this ends.
    if (running.size === 0) {
      if (pending.size === 0) break;
      continue;
    }
    await Promise.race(running.values());
  }

  // finally: all at once, after every DAG task settled; none when the run timed out or was cancelled.
  await Promise.all(
    finallyTasks.map(async (pt) => {
      if (abort.signal.aborted) return settle(pt, { outcome: 'None', skip: timedOut ? TIMEOUT_SKIP : CANCELLED_SKIP });
      const resolved = resolve(pt, true);
      if ('skip' in resolved) return settle(pt, { outcome: 'None', skip: resolved.skip });
      settle(pt, await runOne(pt, resolved.r));
    }),
  );
  if (timer) clearTimeout(timer);
  req.signal?.removeEventListener('abort', onCallerAbort);

  const all = [...done.values()];
  const tally = {
    succeeded: all.filter((d) => d.outcome === 'Succeeded').length,
    failed: all.filter((d) => d.outcome === 'Failed' && d.status?.condition.reason !== 'TaskRunCancelled').length,
    cancelled: all.filter((d) => d.status?.condition.reason === 'TaskRunCancelled').length,
    skipped: all.filter((d) => d.skip).length,
  };
  if (req.dryRun) return finish({ type: 'Succeeded', status: 'Unknown', reason: 'DryRun', message: 'nothing was run' });
  const outcomes = new Map([...done.entries()].map(([k, d]) => [k, d.outcome]));
  const taskResults = new Map([...done.entries()].map(([k, d]) => [k, d.status?.results ?? []]));
  const piped = pipelineResults(spec.results, taskResults, outcomes);
  status.results = piped.results;
  if (fatal) return finish(fatal);
  if (piped.invalid.length > 0 && !timedOut) {
    return fail('CouldntGetPipelineResult', `Failed to get PipelineResult from TaskRun Results for PipelineRun ${req.name}: invalid pipelineresults [${piped.invalid.join(' ')}], the referenced results don't exist`);
  }
  return finish(finalCondition(req.name, tally, { ...(timedOut ? { timedOut: req.timeout ?? '1h' } : {}), cancelled: abort.signal.aborted }));
}
