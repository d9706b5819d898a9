// How a PipelineRun's outcome follows from its tasks (pkg/reconciler/pipelinerun/resources/
// pipelinerunstate.go, apply.go). Pure.
import { toParamValue } from './params.ts';
import { addValues, applyValue, emptyReplacements, variablesIn } from './substitute.ts';
import type { Condition, ParamValue, PipelineResultSpec, RunResult } from './types.ts';

/** What `$(tasks.<t>.status)` reads: Succeeded, Failed, or None (skipped / not run). */
export type TaskOutcome = 'Succeeded' | 'Failed' | 'None';

export interface TaskTally {
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
}

/** `$(tasks.status)` for finally tasks: Failed if any DAG task failed, Completed if some were skipped. */
export function aggregateStatus(
  outcomes: readonly TaskOutcome[],
  skipped: number,
): 'Succeeded' | 'Failed' | 'Completed' {
  if (outcomes.includes('Failed')) return 'Failed';
  return skipped > 0 ? 'Completed' : 'Succeeded';
}

export function finalCondition(
  name: string,
  tally: TaskTally,
  opts: { timedOut?: string; cancelled?: boolean },
): Condition {
  if (opts.timedOut !== undefined) {
    return {
      type: 'Succeeded',
      status: 'False',
      reason: 'PipelineRunTimeout',
      message: `PipelineRun "${name}" failed to finish within "${opts.timedOut}"`,
    };
  }
  const completed = tally.succeeded + tally.failed + tally.cancelled;
  const message = `Tasks Completed: ${completed} (Failed: ${tally.failed}, Cancelled ${tally.cancelled}), Skipped: ${tally.skipped}`;
  if (tally.failed > 0) return { type: 'Succeeded', status: 'False', reason: 'Failed', message };
  if (opts.cancelled || tally.cancelled > 0)
    return {
      type: 'Succeeded',
      status: 'False',
      reason: 'Cancelled',
      message: `PipelineRun "${name}" was cancelled`,
    };
  return {
    type: 'Succeeded',
    status: 'True',
    reason: tally.skipped > 0 ? 'Completed' : 'Succeeded',
    message,
  };
}

const REF = /^(tasks|finally)\.([^.[\]]+)\.results\.([^.[\]]+)/;

/**
 * Pipeline results from task results. A result whose task failed or was skipped and left it unset
 * is omitted; one a *successful* task never wrote makes the run fail (CouldntGetPipelineResult).
 */
export function pipelineResults(
  specs: readonly PipelineResultSpec[] | undefined,
  taskResults: ReadonlyMap<string, readonly RunResult[]>,
  outcomes: ReadonlyMap<string, TaskOutcome>,
): { results: RunResult[]; invalid: string[] } {
  const results: RunResult[] = [];
  const invalid: string[] = [];
  for (const spec of specs ?? []) {
    const value = toParamValue(spec.value);
    if (value === undefined) continue;
    const r = emptyReplacements();
    let usable = true;
    for (const key of new Set(stringsIn(value).flatMap(variablesIn))) {
      const m = REF.exec(key);
      const found = m ? taskResults.get(m[2] ?? '')?.find((x) => x.name === m[3]) : undefined;
      if (m && found) {
        addValues(r, `${m[1]}.${m[2]}.results`, { [found.name]: found.value });
        continue;
      }
      usable = false;
      if (!m || outcomes.get(m[2] ?? '') === 'Succeeded') invalid.push(spec.name);
    }
    if (usable) results.push({ name: spec.name, value: applyValue(value, r) });
  }
  return { results, invalid: [...new Set(invalid)] };
}

function stringsIn(v: ParamValue): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v : Object.values(v);
}
