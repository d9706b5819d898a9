// Runs a Pipeline the way Tekton's PipelineRun reconciler schedules it: DAG tasks start as soon as
// their parents are done; a failed task stops new ones from starting ("PipelineRun was stopping");
// `finally` tasks run after all of them with `$(tasks.status)`; Pipeline results come last.
import { buildGraph, type Graph } from './dag.ts';
import { goDurationMs } from './go-duration.ts';
import { describeProblem, resolveParams, type ParamProblem } from './params.ts';
import { finalCondition, pipelineResults } from './pipeline-state.ts';
import {
  resolvePipelineTask,
  runPipelineTask,
  SKIP,
  skippedTask,
  type Done,
  type RunContext,
} from './pipeline-task.ts';
import { addValues, emptyReplacements } from './substitute.ts';
import type { LocalEnvironment } from './task-run.ts';
import type {
  Condition,
  ParamValue,
  Pipeline,
  PipelineRunStatus,
  PipelineTask,
  Task,
  TaskSpec,
  WorkspaceBinding,
} from './types.ts';

export interface PipelineRunRequest {
  pipeline: Pipeline;
  findTask(name: string): Task | undefined;
  name: string;
  namespace: string;
  uid: string;
  params: Record<string, ParamValue>;
  workspaces: readonly WorkspaceBinding[];
  /** `timeouts.pipeline` as written ("1h", "0" = none); Tekton's default is 60 minutes. */
  timeout?: string;
  /** Directory for every TaskRun's mounts and shared workspaces. */
  dir: string;
  dryRun: boolean;
  signal?: AbortSignal;
}

const PARAM_REASON: Record<ParamProblem['kind'], string> = {
  missing: 'ParameterMissing',
  type: 'ParameterTypeMismatch',
  keys: 'ObjectParameterMissKeys',
};

function failed(reason: string, message: string): Condition {
  return { type: 'Succeeded', status: 'False', reason, message };
}

/** What Tekton checks before creating any TaskRun; a Condition when the run cannot start. */
function prepare(req: PipelineRunRequest) {
  const spec = req.pipeline.spec;
  const params = resolveParams(spec.params, req.params);
  if (!params.ok)
    return failed(
      PARAM_REASON[params.problem.kind],
      describeProblem(params.problem, `PipelineRun ${req.name}`),
    );
  const bindings = new Map<string, WorkspaceBinding>();
  for (const decl of spec.workspaces ?? []) {
    const b = req.workspaces.find((w) => w.name === decl.name);
    if (b) bindings.set(decl.name, b);
    else if (!decl.optional)
      return failed(
        'InvalidWorkspaceBindings',
        `pipeline workspace ${decl.name} is not bound by the PipelineRun`,
      );
  }
  const graph = buildGraph(spec.tasks);
  if (!graph.ok) return failed('PipelineInvalidGraph', graph.message);
  const specs = new Map<string, TaskSpec>();
  for (const pt of [...spec.tasks, ...(spec.finally ?? [])]) {
    const ts = pt.taskSpec ?? (pt.taskRef ? req.findTask(pt.taskRef.name)?.spec : undefined);
    const missing = `Pipeline ${req.namespace}/${req.pipeline.metadata.name ?? ''} can't be Run; it contains Tasks that don't exist: Couldn't retrieve Task "${pt.taskRef?.name ?? pt.name}"`;
    if (!ts) return failed('CouldntGetTask', missing);
    specs.set(pt.name, ts);
  }
  const timeoutMs = req.timeout === undefined ? 60 * 60_000 : goDurationMs(req.timeout);
  if (timeoutMs === undefined)
    return failed(
      'PipelineValidationFailed',
      `timeouts.pipeline ${JSON.stringify(req.timeout)} is not a Go duration`,
    );
  return { params: params.values, bindings, graph: graph.graph, specs, timeoutMs };
}

/** Starts DAG tasks as their parents finish, until every one is done or skipped. */
async function runDag(
  ctx: RunContext,
  graph: Graph,
  settle: (pt: PipelineTask, d: Done) => void,
  state: { fatal?: Condition; timedOut: boolean },
) {
  const running = new Map<string, Promise<void>>();
  const pending = new Set(ctx.dagTasks.map((t) => t.name));
  const stopSkip = () => (state.timedOut ? SKIP.timeout : SKIP.stopping);
  for (;;) {
    const stopping =
      state.fatal !== undefined ||
      ctx.signal.aborted ||
      [...ctx.done.values()].some((d) => d.outcome === 'Failed');
    for (const pt of ctx.dagTasks) {
      if (!pending.has(pt.name)) continue;
      const parents = [...(graph.get(pt.name) ?? [])].map((p) => ctx.done.get(p));
      const ready = parents.every((p) => p !== undefined);
      // Stopping: what has not started never will; once nothing runs, that includes waiting tasks.
      if (stopping && (ready || running.size === 0)) {
        pending.delete(pt.name);
        settle(pt, skippedTask(stopSkip()));
        continue;
      }
      if (!ready) continue;
      pending.delete(pt.name);
      if (parents.some((p) => p?.skip && p.skip !== SKIP.when)) {
        settle(pt, skippedTask(SKIP.parent));
        continue;
      }
      const resolved = resolvePipelineTask(ctx, pt, false);
      if ('fatal' in resolved) state.fatal ??= resolved.fatal;
      if (!('r' in resolved)) {
        settle(pt, skippedTask('skip' in resolved ? resolved.skip : SKIP.stopping));
        continue;
      }
      const started = runPipelineTask(ctx, pt, resolved.r).then((d) => {
        settle(pt, d);
        running.delete(pt.name);
      });
      running.set(pt.name, started);
    }
    // With nothing running, every pass settles or starts at least one task of a DAG, so this ends.
    if (running.size === 0) {
      if (pending.size === 0) return;
      continue;
    }
    await Promise.race(running.values());
  }
}

export async function executePipelineRun(
  req: PipelineRunRequest,
  local: LocalEnvironment,
): Promise<PipelineRunStatus> {
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
  const finish = (condition: Condition): PipelineRunStatus => ({
    ...status,
    condition,
    completionTime: new Date(local.now()).toISOString(),
  });
  const prepared = prepare(req);
  if ('type' in prepared) return finish(prepared);

  const base = addValues(emptyReplacements(), 'params', prepared.params);
  base.strings.set('context.pipelineRun.name', req.name);
  base.strings.set('context.pipelineRun.namespace', req.namespace);
  base.strings.set('context.pipelineRun.uid', req.uid);
  base.strings.set('context.pipeline.name', status.pipelineName);
  for (const decl of spec.workspaces ?? [])
    base.strings.set(`workspaces.${decl.name}.bound`, String(prepared.bindings.has(decl.name)));

  // The run's own abort: the caller's signal or timeouts.pipeline.
  const abort = new AbortController();
  const state: { fatal?: Condition; timedOut: boolean } = { timedOut: false };
  const onCallerAbort = () => abort.abort();
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const onTimeout = () => {
    state.timedOut = true;
    abort.abort();
  };
  const timer = prepared.timeoutMs > 0 ? setTimeout(onTimeout, prepared.timeoutMs) : undefined;

  const done = new Map<string, Done>();
  const settle = (pt: PipelineTask, d: Done) => {
    done.set(pt.name, d);
    // A matrixed task's TaskRuns are listed as <task>/<i>.
    d.taskRuns.forEach((tr, i) => (status.taskRuns[d.matrixed ? `${pt.name}/${i}` : pt.name] = tr));
    if (d.skip) status.skippedTasks.push({ name: pt.name, reason: d.skip });
  };
  const ctx: RunContext = {
    run: { name: req.name, namespace: req.namespace, uid: req.uid, dir: req.dir, dryRun: req.dryRun },
    local,
    base,
    specs: prepared.specs,
    bindings: prepared.bindings,
    dagTasks: spec.tasks,
    done,
    signal: abort.signal,
  };
  try {
    await runDag(ctx, prepared.graph, settle, state);
    // finally: all at once, after every DAG task settled; none when the run timed out or was cancelled.
    await Promise.all(
      (spec.finally ?? []).map(async (pt) => {
        if (abort.signal.aborted)
          return settle(pt, skippedTask(state.timedOut ? SKIP.timeout : SKIP.cancelled));
        const resolved = resolvePipelineTask(ctx, pt, true);
        if ('r' in resolved) return settle(pt, await runPipelineTask(ctx, pt, resolved.r));
        if ('fatal' in resolved) state.fatal ??= resolved.fatal;
        settle(pt, skippedTask('skip' in resolved ? resolved.skip : SKIP.stopping));
      }),
    );
  } finally {
    if (timer) clearTimeout(timer);
    req.signal?.removeEventListener('abort', onCallerAbort);
  }

  if (req.dryRun)
    return finish({ type: 'Succeeded', status: 'Unknown', reason: 'DryRun', message: 'nothing was run' });
  const piped = pipelineResults(
    spec.results,
    new Map([...done.entries()].map(([k, d]) => [k, d.results])),
    new Map([...done.entries()].map(([k, d]) => [k, d.outcome])),
  );
  status.results = piped.results;
  if (state.fatal) return finish(state.fatal);
  if (piped.invalid.length > 0 && !state.timedOut) {
    const message = `Failed to get PipelineResult from TaskRun Results for PipelineRun ${req.name}: invalid pipelineresults [${piped.invalid.join(' ')}], the referenced results don't exist`;
    return finish(failed('CouldntGetPipelineResult', message));
  }
  const all = [...done.values()];
  const cancelled = (d: Done) => d.taskRuns.some((tr) => tr.condition.reason === 'TaskRunCancelled');
  const tally = {
    succeeded: all.filter((d) => d.outcome === 'Succeeded').length,
    failed: all.filter((d) => d.outcome === 'Failed' && !cancelled(d)).length,
    cancelled: all.filter(cancelled).length,
    skipped: all.filter((d) => d.skip).length,
  };
  return finish(
    finalCondition(req.name, tally, {
      ...(state.timedOut ? { timedOut: req.timeout ?? '1h' } : {}),
      cancelled: abort.signal.aborted,
    }),
  );
}
