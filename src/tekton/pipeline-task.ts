// One PipelineTask of a running PipelineRun: whether it may run (result references, `when`), and its
// TaskRun — params substituted, workspaces bound to directories, retries
// (pkg/reconciler/pipelinerun/resources/pipelinerunresolution.go).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resultRefs } from './dag.ts';
import { goDurationMs } from './go-duration.ts';
import { aggregateResults, fanOut } from './matrix.ts';
import { childName } from './names.ts';
import { toParamValue } from './params.ts';
import { aggregateStatus, type TaskOutcome } from './pipeline-state.ts';
import { planTaskRun, type BoundWorkspace } from './plan.ts';
import { addValues, applyValue, mergeReplacements, type Replacements } from './substitute.ts';
import { describeSteps, runTaskRun, type LocalEnvironment, type TaskRunTarget } from './task-run.ts';
import type {
  Condition,
  ParamValue,
  PipelineTask,
  RunResult,
  TaskRunStatus,
  TaskSpec,
  WorkspaceBinding,
} from './types.ts';
import { evaluateWhen } from './when.ts';

/** Skipping reasons (pipelinerun_types.go SkippingReason). */
export const SKIP = {
  when: 'When Expressions evaluated to false',
  parent: 'Parent Tasks were skipped',
  stopping: 'PipelineRun was stopping',
  missingResults: 'Results were missing',
  timeout: 'PipelineRun timeout has been reached',
  cancelled: 'PipelineRun was gracefully cancelled',
} as const;

export interface Done {
  outcome: TaskOutcome;
  /** The TaskRun, or a matrixed task's TaskRuns in combination order; none when skipped. */
  taskRuns: TaskRunStatus[];
  matrixed: boolean;
  /** What `$(tasks.<t>.results.<r>)` reads: a matrixed task's string results as arrays. */
  results: RunResult[];
  skip?: string;
}

export function skippedTask(reason: string): Done {
  return { outcome: 'None', taskRuns: [], matrixed: false, results: [], skip: reason };
}

/** What every PipelineTask of one run shares. */
export interface RunContext {
  run: { name: string; namespace: string; uid: string; dir: string; dryRun: boolean };
  local: LocalEnvironment;
  /** params, context and workspace-bound substitutions of the run */
  base: Replacements;
  specs: ReadonlyMap<string, TaskSpec>;
  bindings: ReadonlyMap<string, WorkspaceBinding>;
  dagTasks: readonly PipelineTask[];
  done: ReadonlyMap<string, Done>;
  signal: AbortSignal;
}

export type Resolution = { r: Replacements } | { skip: string } | { fatal: Condition };

/** Substitutions for a PipelineTask whose parents are done, or why it cannot run. */
export function resolvePipelineTask(ctx: RunContext, pt: PipelineTask, isFinally: boolean): Resolution {
  const r = mergeReplacements(ctx.base);
  for (const ref of resultRefs(pt)) {
    const parent = ctx.done.get(ref.task);
    const found = parent?.results.find((x) => x.name === ref.result);
    if (found) {
      addValues(r, `tasks.${ref.task}.results`, { [found.name]: found.value });
    } else if (ctx.run.dryRun) {
      continue;
    } else if (isFinally || parent?.skip === SKIP.when || parent?.outcome !== 'Succeeded') {
      return { skip: SKIP.missingResults };
    } else {
      const message = `Invalid task result reference from pipeline task ${pt.name}: task ${ref.task} did not produce result ${ref.result}`;
      return { fatal: { type: 'Succeeded', status: 'False', reason: 'InvalidTaskResultReference', message } };
    }
  }
  for (const [name, d] of ctx.done) {
    if (!d.matrixed) continue;
    r.strings.set(`tasks.${name}.matrix.length`, String(d.taskRuns.length));
    for (const res of d.results)
      r.strings.set(`tasks.${name}.matrix.${res.name}.length`, String(res.value.length));
  }
  if (isFinally) {
    // Only finally tasks see the outcome of the DAG tasks.
    const dag = ctx.dagTasks.map((t) => ctx.done.get(t.name));
    ctx.dagTasks.forEach((t, i) => {
      r.strings.set(`tasks.${t.name}.status`, dag[i]?.outcome ?? 'None');
      const trs = dag[i]?.taskRuns ?? [];
      const reason = (trs.find((tr) => tr.condition.status !== 'True') ?? trs[0])?.condition.reason;
      r.strings.set(`tasks.${t.name}.reason`, reason ?? '');
    });
    const outcomes = dag.map((d) => d?.outcome ?? 'None');
    r.strings.set('tasks.status', aggregateStatus(outcomes, dag.filter((d) => d?.skip).length));
  }
  const when = evaluateWhen(pt.when, r);
  if (when.error) {
    return {
      fatal: {
        type: 'Succeeded',
        status: 'False',
        reason: 'PipelineValidationFailed',
        message: `task ${pt.name}: ${when.error}`,
      },
    };
  }
  return when.allowed ? { r } : { skip: SKIP.when };
}

/** A PVC, a volumeClaimTemplate or a host directory is one volume for the whole run; emptyDir is per pod. */
function workspaceDir(ctx: RunContext, b: WorkspaceBinding, taskRunDir: string): string {
  if (b.hostPath) return b.hostPath;
  if (b.persistentVolumeClaim) return join(ctx.run.dir, 'pvc', b.persistentVolumeClaim.claimName);
  if (b.volumeClaimTemplate) return join(ctx.run.dir, 'pvc', `${b.name}-${ctx.run.name}`);
  return join(taskRunDir, 'emptydir', b.name);
}

function bindWorkspaces(ctx: RunContext, pt: PipelineTask, taskRunDir: string) {
  const bound: Record<string, BoundWorkspace> = {};
  const dirs: Record<string, string> = {};
  for (const w of pt.workspaces ?? []) {
    const b = ctx.bindings.get(w.workspace ?? w.name);
    if (!b) continue;
    const dir = join(workspaceDir(ctx, b, taskRunDir), b.subPath ?? '', w.subPath ?? '');
    if (!ctx.run.dryRun) mkdirSync(dir, { recursive: true });
    dirs[w.name] = dir;
    const claim =
      b.persistentVolumeClaim?.claimName ?? (b.volumeClaimTemplate ? `pvc-${b.name}-${ctx.run.name}` : '');
    bound[w.name] = { volume: `ws-${b.name}`, claim };
  }
  return { bound, dirs };
}

/** Creates and runs one TaskRun (again, up to `retries` times, while it fails). */
async function runOneTaskRun(
  ctx: RunContext,
  pt: PipelineTask,
  name: string,
  params: Record<string, ParamValue>,
): Promise<TaskRunStatus> {
  const { local, run } = ctx;
  const taskName = pt.taskRef?.name ?? pt.name;
  const dir = join(run.dir, name);
  const workspaces = bindWorkspaces(ctx, pt, dir);
  const taskTimeoutMs = pt.timeout === undefined ? undefined : goDurationMs(pt.timeout);
  const bare = (condition: Condition, retries: number): TaskRunStatus => ({
    name,
    pipelineTaskName: pt.name,
    taskName,
    condition,
    steps: [],
    results: [],
    retriesStatus: retries,
    startTime: new Date(local.now()).toISOString(),
  });
  let last: TaskRunStatus | undefined;
  for (let retry = 0; retry <= (pt.retries ?? 0); retry++) {
    const planned = planTaskRun({
      taskName,
      spec: ctx.specs.get(pt.name) as TaskSpec,
      params,
      workspaces: workspaces.bound,
      context: {
        taskRunName: name,
        namespace: run.namespace,
        uid: `${run.uid}-${name}`,
        // docs/variables.md: context.task.retry-count is substituted for an inline taskSpec only.
        ...(pt.taskSpec ? { retryCount: retry } : {}),
      },
    });
    if (!planned.ok) {
      const condition: Condition = {
        type: 'Succeeded',
        status: 'False',
        reason: planned.reason,
        message: planned.message,
      };
      return { ...bare(condition, retry), completionTime: new Date(local.now()).toISOString() };
    }
    const target: TaskRunTarget = {
      name,
      taskName,
      pipelineTaskName: pt.name,
      plan: planned.plan,
      dir: retry === 0 ? dir : `${dir}-retry${retry}`,
      workspaceDirs: workspaces.dirs,
      ...(taskTimeoutMs ? { deadline: local.now() + taskTimeoutMs, timeoutText: pt.timeout } : {}),
      signal: ctx.signal,
      retryCount: retry,
      params,
    };
    if (run.dryRun) {
      const condition: Condition = {
        type: 'Succeeded',
        status: 'Unknown',
        reason: 'DryRun',
        message: 'not run (dry run)',
      };
      return { ...bare(condition, 0), steps: describeSteps(target, local) };
    }
    last = await runTaskRun(target, local);
    if (last.condition.status === 'True' || ctx.signal.aborted) break;
  }
  return last as TaskRunStatus;
}

/** Runs the PipelineTask: one TaskRun, or one per matrix combination, all at once. */
export async function runPipelineTask(ctx: RunContext, pt: PipelineTask, r: Replacements): Promise<Done> {
  const params: Record<string, ParamValue> = {};
  for (const p of pt.params ?? []) {
    const v = toParamValue(p.value);
    if (v !== undefined) params[p.name] = applyValue(v, r);
  }
  const outcomeOf = (trs: TaskRunStatus[]): TaskOutcome =>
    ctx.run.dryRun ? 'None' : trs.every((tr) => tr.condition.status === 'True') ? 'Succeeded' : 'Failed';
  if (!pt.matrix) {
    const tr = await runOneTaskRun(ctx, pt, childName(ctx.run.name, `-${pt.name}`), params);
    return { outcome: outcomeOf([tr]), taskRuns: [tr], matrixed: false, results: tr.results };
  }
  const combos = fanOut(pt.matrix, r);
  if (combos.length === 0) return skippedTask('Matrix Parameters have an empty array');
  // One TaskRun per combination, named <pipelineRun>-<task>-<i>, all at once.
  const trs = await Promise.all(
    combos.map((combo, i) =>
      runOneTaskRun(ctx, pt, childName(ctx.run.name, `-${pt.name}-${i}`), { ...params, ...combo }),
    ),
  );
  return {
    outcome: outcomeOf(trs),
    taskRuns: trs,
    matrixed: true,
    results: aggregateResults(trs.map((tr) => tr.results)),
  };
}
