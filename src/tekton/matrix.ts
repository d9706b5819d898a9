// Matrix fan-out (beta: enable-api-fields "beta"), the combinations one PipelineTask runs as separate
// TaskRuns: the cross product of `matrix.params`, then `include` entries either completing the
// combinations they match or standing as combinations of their own (pkg/apis/pipeline/v1/matrix_types.go
// FanOut). Pure.
import { toParamValue } from './params.ts';
import { applyList, applyString, type Replacements } from './substitute.ts';
import type { PipelineTask, RunResult } from './types.ts';

export type Combination = Record<string, string>;

function asList(raw: unknown, r: Replacements): string[] {
  const v = toParamValue(raw);
  if (v === undefined) return [];
  return typeof v === 'string' ? applyList([v], r) : Array.isArray(v) ? applyList(v, r) : [];
}

export function fanOut(matrix: NonNullable<PipelineTask['matrix']>, r: Replacements): Combination[] {
  const includes: Combination[] = (matrix.include ?? []).map((inc) =>
    Object.fromEntries(inc.params.map((p) => [p.name, applyString(String(toParamValue(p.value) ?? ''), r)])),
  );
  if (!matrix.params?.length) return includes;
  let combos: Combination[] = [];
  for (const p of matrix.params) {
    const values = asList(p.value, r);
    // Value-major, as distribute() orders them: every existing combination for the first value, then the next.
    combos =
      combos.length === 0
        ? values.map((v) => ({ [p.name]: v }))
        : values.flatMap((v) => combos.map((c) => ({ ...c, [p.name]: v })));
  }
  const agrees = (c: Combination, inc: Combination) =>
    Object.entries(inc).every(([k, v]) => !(k in c) || c[k] === v);
  for (const inc of includes) for (const c of combos) if (agrees(c, inc)) Object.assign(c, inc);
  const isNew = (inc: Combination) =>
    Object.keys(inc).length > 0 &&
    !combos.some((c) => Object.entries(inc).some(([k, v]) => k in c && c[k] === v));
  return [...combos, ...includes.filter(isNew)];
}

/** A matrixed task's string results become arrays, one element per TaskRun in order (matrix.md). */
export function aggregateResults(perRun: readonly (readonly RunResult[])[]): RunResult[] {
  const names = [...new Set(perRun.flatMap((rs) => rs.map((r) => r.name)))];
  return names.map((name) => ({
    name,
    value: perRun.flatMap((rs) =>
      rs.filter((r) => r.name === name && typeof r.value === 'string').map((r) => r.value as string),
    ),
  }));
}
