// A PipelineRun as `kubectl get pipelinerun -o json` shows it, reduced to what the kit reports: done or
// not, how it ended, its results (v1 status.results; v1beta1 called them pipelineResults). Pure.

export interface RunState {
  done: boolean;
  succeeded: boolean;
  reason: string;
  message: string;
  results: Record<string, string>;
}

interface PipelineRunJson {
  status?: {
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    results?: { name: string; value: unknown }[];
    pipelineResults?: { name: string; value: unknown }[];
  };
}

export function runState(json: string): RunState {
  const pr = JSON.parse(json) as PipelineRunJson;
  const c = pr.status?.conditions?.find((x) => x.type === 'Succeeded');
  const results: Record<string, string> = {};
  for (const r of pr.status?.results ?? pr.status?.pipelineResults ?? [])
    results[r.name] = typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
  return {
    done: c?.status === 'True' || c?.status === 'False',
    succeeded: c?.status === 'True',
    reason: c?.reason ?? 'Pending',
    message: c?.message ?? '',
    results,
  };
}

/** PASS only when the run succeeded and, where it gives a verdict, the verdict is PASS. */
export function passed(s: RunState): boolean {
  return s.done && s.succeeded && (s.results.verdict === undefined || s.results.verdict === 'PASS');
}

/** One line per run for the final report. */
export function resultLine(run: string, pipelineRun: string, s: RunState | undefined): string {
  if (!s) return `${run.padEnd(8)} not run`;
  const figures = ['hit-rate', 'stickiness', 'verdict']
    .filter((k) => s.results[k] !== undefined)
    .map((k) => `${k}=${s.results[k]}`);
  const outcome = passed(s) ? 'PASS' : 'FAIL';
  const why = passed(s) ? '' : `  (${s.reason}${s.message ? `: ${s.message}` : ''})`;
  return `${run.padEnd(8)} ${outcome}  ${pipelineRun}  ${figures.join(' ') || s.reason}${why}`;
}
