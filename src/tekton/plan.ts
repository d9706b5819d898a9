// Resolves a Task into the exact containers a TaskRun pod would run: stepTemplate merged, params,
// context, results, workspace and exit-code paths substituted, step `when` evaluated. Pure: the same
// plan drives a real local run and a dry run (which reports these commands without running them).
import { goDurationMs } from './go-duration.ts';
import { describeProblem, resolveParams } from './params.ts';
import {
  addValues,
  applyList,
  applyString,
  emptyReplacements,
  keyForms,
  unresolved,
  type Replacements,
} from './substitute.ts';
import type { EnvVar, ParamValue, Step, TaskResultSpec, TaskSpec, Volume, VolumeMount } from './types.ts';
import { evaluateWhen, type WhenOutcome } from './when.ts';

/** Where Tekton mounts things inside the pod (pkg/pipeline/paths.go). */
export const RESULTS_DIR = '/tekton/results';
export const STEPS_DIR = '/tekton/steps';
export const SCRIPTS_DIR = '/tekton/scripts';
export const WORKSPACE_ROOT = '/workspace';

export interface TaskRunContext {
  taskRunName: string;
  namespace: string;
  uid: string;
  /** Substituted only for an inline taskSpec; with taskRef Tekton leaves the variable as written. */
  retryCount?: number;
}

/** A workspace binding as the TaskRun sees it. */
export interface BoundWorkspace {
  /** Name of the volume behind it (`$(workspaces.w.volume)`). */
  volume: string;
  /** PVC name for claim-backed workspaces (`$(workspaces.w.claim)`), else "". */
  claim: string;
}

export type PlannedEnv =
  | { name: string; value: string }
  | { name: string; secretKeyRef: { name: string; key: string; optional: boolean } }
  | { name: string; configMapKeyRef: { name: string; key: string; optional: boolean } };

export interface PlannedStep {
  name: string;
  container: string;
  image: string;
  /** command followed by args, as the container runs them; a script step runs its script file. */
  argv: string[];
  script?: string;
  /** "" = the image's working directory. */
  workingDir: string;
  env: PlannedEnv[];
  volumeMounts: VolumeMount[];
  onError: 'continue' | 'stopAndFail';
  timeoutMs?: number;
  when: WhenOutcome;
}

export interface PlannedWorkspace {
  name: string;
  mountPath: string;
  bound: boolean;
  readOnly: boolean;
}

export interface TaskRunPlan {
  steps: PlannedStep[];
  results: TaskResultSpec[];
  volumes: Volume[];
  workspaces: PlannedWorkspace[];
}

export type PlanOutcome = { ok: true; plan: TaskRunPlan } | { ok: false; reason: string; message: string };

export interface PlanInput {
  taskName: string;
  spec: TaskSpec;
  params: Record<string, ParamValue>;
  workspaces: Record<string, BoundWorkspace>;
  context: TaskRunContext;
}

const CHECKED_PREFIXES = ['params', 'context', 'results', 'workspaces', 'steps'];

export function stepName(step: Step, index: number): string {
  return step.name ?? `unnamed-${index}`;
}

/** Step fields win over the template's; env and volumeMounts merge by key (MergeStepsWithStepTemplate). */
function mergeTemplate(step: Step, template: TaskSpec['stepTemplate']): Step {
  if (!template) return step;
  const env = new Map<string, EnvVar>();
  for (const e of [...(template.env ?? []), ...(step.env ?? [])]) env.set(e.name, e);
  const mounts = new Map<string, VolumeMount>();
  for (const m of [...(template.volumeMounts ?? []), ...(step.volumeMounts ?? [])])
    mounts.set(m.mountPath, m);
  return { ...template, ...step, env: [...env.values()], volumeMounts: [...mounts.values()] };
}

function taskReplacements(
  input: PlanInput,
  params: Record<string, ParamValue>,
  decls: PlannedWorkspace[],
): Replacements {
  const r = addValues(emptyReplacements(), 'params', params);
  const { context: c } = input;
  r.strings.set('context.taskRun.name', c.taskRunName);
  r.strings.set('context.taskRun.namespace', c.namespace);
  r.strings.set('context.taskRun.uid', c.uid);
  r.strings.set('context.task.name', input.taskName);
  if (c.retryCount !== undefined) r.strings.set('context.task.retry-count', String(c.retryCount));
  for (const res of input.spec.results ?? []) {
    for (const k of keyForms('results', res.name)) r.strings.set(`${k}.path`, `${RESULTS_DIR}/${res.name}`);
  }
  for (const ws of decls) {
    const bound = input.workspaces[ws.name];
    r.strings.set(`workspaces.${ws.name}.path`, ws.bound ? ws.mountPath : '');
    r.strings.set(`workspaces.${ws.name}.bound`, String(ws.bound));
    r.strings.set(`workspaces.${ws.name}.claim`, bound?.claim ?? '');
    r.strings.set(`workspaces.${ws.name}.volume`, bound?.volume ?? '');
  }
  input.spec.steps.forEach((s, i) => {
    r.strings.set(
      `steps.step-${stepName(s, i)}.exitCode.path`,
      `${STEPS_DIR}/step-${stepName(s, i)}/exitCode`,
    );
  });
  return r;
}

function planEnv(env: readonly EnvVar[] | undefined, r: Replacements): PlannedEnv[] {
  return (env ?? []).map((e): PlannedEnv => {
    const s = e.valueFrom?.secretKeyRef;
    if (s)
      return {
        name: e.name,
        secretKeyRef: {
          name: applyString(s.name, r),
          key: applyString(s.key, r),
          optional: s.optional === true,
        },
      };
    const cm = e.valueFrom?.configMapKeyRef;
    if (cm)
      return {
        name: e.name,
        configMapKeyRef: {
          name: applyString(cm.name, r),
          key: applyString(cm.key, r),
          optional: cm.optional === true,
        },
      };
    return { name: e.name, value: applyString(e.value ?? '', r) };
  });
}

function planStep(
  raw: Step,
  index: number,
  input: PlanInput,
  r: Replacements,
): PlannedStep | { error: string } {
  const step = mergeTemplate(raw, input.spec.stepTemplate);
  const name = stepName(raw, index);
  const script = step.script === undefined ? undefined : applyString(step.script, r);
  const argv =
    script === undefined
      ? [...applyList(step.command, r), ...applyList(step.args, r)]
      : [`${SCRIPTS_DIR}/script-${index}`, ...applyList(step.args, r)];
  if (argv.length === 0)
    return {
      error: `step ${name} has no command: set command (the executor cannot look up an image entrypoint)`,
    };
  const onError = applyString(step.onError ?? 'stopAndFail', r);
  if (onError !== 'continue' && onError !== 'stopAndFail')
    return { error: `step ${name} onError must be continue or stopAndFail, got ${JSON.stringify(onError)}` };
  let timeoutMs: number | undefined;
  if (step.timeout !== undefined) {
    timeoutMs = goDurationMs(step.timeout);
    if (timeoutMs === undefined)
      return { error: `step ${name} timeout ${JSON.stringify(step.timeout)} is not a Go duration` };
  }
  const planned: PlannedStep = {
    name,
    container: `step-${name}`,
    image: applyString(step.image ?? '', r),
    argv,
    ...(script === undefined ? {} : { script }),
    workingDir: applyString(step.workingDir ?? '', r),
    env: planEnv(step.env, r),
    volumeMounts: step.volumeMounts ?? [],
    onError,
    ...(timeoutMs ? { timeoutMs } : {}),
    when: evaluateWhen(step.when, r),
  };
  const texts = [
    planned.image,
    planned.workingDir,
    ...argv,
    script ?? '',
    ...planned.env.map((e) => ('value' in e ? e.value : '')),
  ];
  // A referenced Task's retry-count stays as written (see TaskRunContext), which is no typo.
  const left = texts
    .flatMap((t) => unresolved(t, CHECKED_PREFIXES))
    .filter((k) => k !== 'context.task.retry-count');
  if (left.length > 0)
    return {
      error: `step ${name} refers to undefined variables: ${[...new Set(left)].map((k) => `$(${k})`).join(', ')}`,
    };
  return planned;
}

export function planTaskRun(input: PlanInput): PlanOutcome {
  const resolved = resolveParams(input.spec.params, input.params);
  if (!resolved.ok)
    return {
      ok: false,
      reason: 'TaskRunValidationFailed',
      message: describeProblem(resolved.problem, `TaskRun ${input.context.taskRunName}`),
    };
  const workspaces: PlannedWorkspace[] = [];
  for (const ws of input.spec.workspaces ?? []) {
    const bound = ws.name in input.workspaces;
    if (!bound && !ws.optional) {
      return {
        ok: false,
        reason: 'TaskRunValidationFailed',
        message: `workspace ${ws.name} of task ${input.taskName} is required but not bound`,
      };
    }
    workspaces.push({
      name: ws.name,
      mountPath: ws.mountPath ?? `${WORKSPACE_ROOT}/${ws.name}`,
      bound,
      readOnly: ws.readOnly === true,
    });
  }
  const r = taskReplacements(input, resolved.values, workspaces);
  const steps: PlannedStep[] = [];
  for (const [i, s] of input.spec.steps.entries()) {
    const planned = planStep(s, i, input, r);
    if ('error' in planned) return { ok: false, reason: 'TaskValidationFailed', message: planned.error };
    if (planned.when.error)
      return {
        ok: false,
        reason: 'TaskValidationFailed',
        message: `step ${planned.name}: ${planned.when.error}`,
      };
    steps.push(planned);
  }
  return {
    ok: true,
    plan: { steps, results: input.spec.results ?? [], volumes: input.spec.volumes ?? [], workspaces },
  };
}
