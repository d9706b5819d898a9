// The Pipeline's task graph (pkg/reconciler/pipeline/dag): a task runs after the tasks it names in
// `runAfter` and after every task whose results it reads (`$(tasks.t.results.r)`). Pure.
import { variablesIn } from './substitute.ts';
import type { PipelineTask } from './types.ts';

export interface ResultRef {
  task: string;
  result: string;
  /** The whole variable key, e.g. `tasks.a.results.r[*]`. */
  key: string;
}

const RESULT_REF = /^(?:tasks|finally)\.([^.[\]]+)\.results\.([^.[\]]+)/;

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** Every string of a PipelineTask that Tekton substitutes results into: params, matrix, when. */
export function substitutedStrings(pt: PipelineTask): string[] {
  return [
    ...(pt.params ?? []).flatMap((p) => stringsOf(p.value)),
    ...(pt.matrix?.params ?? []).flatMap((p) => stringsOf(p.value)),
    ...(pt.matrix?.include ?? []).flatMap((i) => i.params.flatMap((p) => stringsOf(p.value))),
    ...(pt.when ?? []).flatMap((w) => [w.input ?? '', ...w.values]),
  ];
}

export function resultRefs(pt: PipelineTask): ResultRef[] {
  const refs: ResultRef[] = [];
  for (const s of substitutedStrings(pt)) {
    for (const key of variablesIn(s)) {
      const m = RESULT_REF.exec(key);
      if (m?.[1] && m[2]) refs.push({ task: m[1], result: m[2], key });
    }
  }
  return refs;
}

export type Graph = Map<string, Set<string>>;

/** Parents of each task, or an error naming a missing `runAfter` target or a cycle. */
export function buildGraph(
  tasks: readonly PipelineTask[],
): { ok: true; graph: Graph } | { ok: false; message: string } {
  const names = new Set(tasks.map((t) => t.name));
  const graph: Graph = new Map();
  for (const t of tasks) {
    const parents = new Set<string>();
    for (const p of t.runAfter ?? []) {
      if (!names.has(p))
        return { ok: false, message: `task ${t.name} runs after ${p}, which is not a task of this pipeline` };
      parents.add(p);
    }
    for (const ref of resultRefs(t)) {
      if (!names.has(ref.task))
        return {
          ok: false,
          message: `task ${t.name} reads a result of ${ref.task}, which is not a task of this pipeline`,
        };
      parents.add(ref.task);
    }
    if (parents.has(t.name)) return { ok: false, message: `task ${t.name} depends on itself` };
    graph.set(t.name, parents);
  }
  const cycle = findCycle(graph);
  return cycle
    ? { ok: false, message: `cycle in the pipeline's tasks: ${cycle.join(' -> ')}` }
    : { ok: true, graph };
}

function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const p of graph.get(n) ?? []) {
      const c = visit(p);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
