// Runs a planned TaskRun on this machine: each step is a local process, each pod mount a directory.
// Steps run in order; a failed step skips the rest unless it has `onError: continue`; results are
// read back after every step through the same 4096-byte termination message a cluster uses.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  mountsFor,
  plannedLocalArgv,
  prepareVolumes,
  resolveEnv,
  runStepLocally,
  type LocalEnvironment,
  type StepRun,
  type TaskRunTarget,
} from './local-pod.ts';
import type { Mount } from './local-paths.ts';
import type { PlannedStep } from './plan.ts';
import {
  entrypointTime,
  MAX_TERMINATION_MESSAGE_BYTES,
  MESSAGE_TOO_LONG,
  messageBytes,
  parseResult,
  terminationMessage,
} from './termination.ts';
import type { Condition, RunResult, StepStatus, TaskRunStatus } from './types.ts';

export type { LocalEnvironment, TaskRunObserver, TaskRunTarget } from './local-pod.ts';

function condition(status: Condition['status'], reason: string, message: string): Condition {
  return { type: 'Succeeded', status, reason, message };
}

function skipped(step: PlannedStep, afterFailure: boolean): StepStatus {
  return {
    name: step.name,
    container: step.container,
    image: step.image,
    command: step.argv,
    localCommand: [],
    exitCode: afterFailure ? null : 0,
    terminationReason: 'Skipped',
    log: afterFailure ? '' : `when: ${step.when.evaluated.join(' && ')}\n`,
  };
}

/** A dry run's view of the steps: the container command and what would run here, nothing executed. */
export function describeSteps(t: TaskRunTarget, local: LocalEnvironment): StepStatus[] {
  return t.plan.steps.map((step) =>
    step.when.allowed
      ? {
          ...skipped(step, false),
          localCommand: plannedLocalArgv(t, step, local),
          exitCode: null,
          terminationReason: 'NotRun',
          log: '',
        }
      : skipped(step, false),
  );
}

/** How a step's exit shapes the TaskRun (pkg/pod/status.go reasons and messages). */
function judge(
  t: TaskRunTarget,
  step: PlannedStep,
  run: StepRun,
): { reason: StepStatus['terminationReason']; failure?: Condition } {
  if (run.cancelled)
    return {
      reason: 'Cancelled',
      failure: condition('False', 'TaskRunCancelled', `TaskRun "${t.name}" was cancelled`),
    };
  if (run.timedOut) {
    const failure = run.taskDeadline
      ? condition(
          'False',
          'TaskRunTimeout',
          `TaskRun "${t.name}" failed to finish within "${t.timeoutText ?? ''}"`,
        )
      : condition(
          'False',
          'Failed',
          `"${step.container}" exited because the step exceeded the specified timeout limit`,
        );
    return { reason: 'TimeoutExceeded', failure };
  }
  if (run.code === 0) return { reason: 'Completed' };
  if (step.onError === 'continue') return { reason: 'Error' };
  return {
    reason: 'Error',
    failure: condition('False', 'Failed', `"${step.container}" exited with code ${run.code}`),
  };
}

/**
 * What the entrypoint reports after a step, whatever its exit code: every declared result file present,
 * in one termination message of at most 4096 bytes; a longer one fails the step (pkg/termination).
 */
function readResults(
  t: TaskRunTarget,
  step: PlannedStep,
  run: StepRun,
): { results: RunResult[]; problem?: string } {
  const files: Record<string, string> = {};
  for (const spec of t.plan.results) {
    const file = join(t.dir, 'results', spec.name);
    if (existsSync(file)) files[spec.name] = readFileSync(file, 'utf8');
  }
  const continued = run.code !== 0 && step.onError === 'continue' ? { continuedExitCode: run.code } : {};
  const message = terminationMessage({ files, startedAt: entrypointTime(run.startedAt), ...continued });
  if (messageBytes(message) > MAX_TERMINATION_MESSAGE_BYTES)
    return { results: [], problem: MESSAGE_TOO_LONG };
  const results: RunResult[] = [];
  for (const spec of t.plan.results) {
    const raw = files[spec.name];
    if (raw === undefined) continue;
    const parsed = parseResult(spec, raw);
    if (!parsed.ok) return { results, problem: parsed.message };
    results.push(parsed.result);
  }
  return { results };
}

/** Runs every step and returns the TaskRun's status. Never throws for a failing step. */
export async function runTaskRun(t: TaskRunTarget, local: LocalEnvironment): Promise<TaskRunStatus> {
  const startTime = entrypointTime(local.now());
  local.observer?.started(t, startTime);
  const status = await runSteps(t, local, startTime);
  local.observer?.finished(t, status);
  return status;
}

async function runSteps(
  t: TaskRunTarget,
  local: LocalEnvironment,
  startTime: string,
): Promise<TaskRunStatus> {
  for (const sub of ['results', 'steps', 'scripts', 'home']) mkdirSync(join(t.dir, sub), { recursive: true });
  const results = new Map<string, RunResult>();
  const steps: StepStatus[] = [];
  const status = (c: Condition): TaskRunStatus => ({
    name: t.name,
    ...(t.pipelineTaskName ? { pipelineTaskName: t.pipelineTaskName } : {}),
    taskName: t.taskName,
    condition: c,
    steps,
    results: [...results.values()],
    retriesStatus: t.retryCount,
    startTime,
    completionTime: entrypointTime(local.now()),
  });
  if (local.podCreationError) return status(condition('False', 'PodCreationFailed', local.podCreationError));
  const podError = prepareVolumes(t, local);
  if (podError) return status(condition('False', 'CreateContainerConfigError', podError));

  // Every container is configured when the pod starts: a missing Secret stops all of them.
  const prepared: { step: PlannedStep; mounts: Mount[]; env: Record<string, string> }[] = [];
  for (const step of t.plan.steps) {
    const mounts = mountsFor(t, step);
    if ('error' in mounts) return status(condition('False', 'TaskValidationFailed', mounts.error));
    const env = resolveEnv(step.env, local);
    if ('error' in env) {
      return status(
        condition('False', 'CreateContainerConfigError', `container ${step.container}: ${env.error}`),
      );
    }
    prepared.push({ step, mounts, env });
  }

  let failure: Condition | undefined;
  for (const [index, { step, mounts, env }] of prepared.entries()) {
    if (failure || !step.when.allowed) {
      steps.push(skipped(step, failure !== undefined));
      local.observer?.stepFinished(t, steps[steps.length - 1]!);
      continue;
    }
    local.observer?.stepStarted(t, step, entrypointTime(local.now()));
    const run = await runStepLocally(t, step, index, mounts, env, local);
    const judged = judge(t, step, run);
    failure = judged.failure;
    const read = readResults(t, step, run);
    for (const r of read.results) results.set(r.name, r);
    let exitCode = run.code;
    if (read.problem) {
      // The entrypoint exits 1 when it cannot report results, even under onError: continue.
      local.onLog?.({ taskRun: t.name, step: step.name, text: `${read.problem}\n` });
      failure ??= condition('False', 'Failed', `"${step.container}" exited with code 1: ${read.problem}`);
      exitCode = exitCode === 0 ? 1 : exitCode;
    }
    steps.push({
      name: step.name,
      container: step.container,
      image: step.image,
      command: step.argv,
      localCommand: run.argv,
      exitCode,
      terminationReason: read.problem ? 'Error' : judged.reason,
      startedAt: entrypointTime(run.startedAt),
      finishedAt: entrypointTime(local.now()),
      log: read.problem ? `${run.log}${read.problem}\n` : run.log,
    });
    local.observer?.stepFinished(t, steps[steps.length - 1]!);
  }
  return status(failure ?? condition('True', 'Succeeded', 'All Steps have completed executing'));
}
