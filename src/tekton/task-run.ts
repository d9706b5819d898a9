// Runs a planned TaskRun on this machine: each step is a local process, each pod mount a directory.
// Steps run in order; a failed step skips the rest unless it has `onError: continue`; results are
// read back after every step through the same 4096-byte termination message a cluster uses.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapPaths, type Mount } from './local-paths.ts';
import { RESULTS_DIR, SCRIPTS_DIR, STEPS_DIR, type PlannedEnv, type PlannedStep, type TaskRunPlan } from './plan.ts';
import { entrypointTime, MAX_TERMINATION_MESSAGE_BYTES, MESSAGE_TOO_LONG, messageBytes, parseResult, terminationMessage } from './termination.ts';
import type { Condition, RunResult, StepStatus, TaskRunStatus } from './types.ts';

/** What stands in for the cluster: local commands for the image's binaries, env, Secrets, the clock. */
export interface LocalEnvironment {
  /** A step command's first word → the local argv prefix that runs it (e.g. the CLI under node). */
  commands: Record<string, string[]>;
  /** Added to every step's environment (e.g. KUBECONFIG of the embedded stack). */
  env: Record<string, string>;
  /** Secrets by name: key → value (env secretKeyRef, secret volumes). */
  secrets: Record<string, Record<string, string>>;
  configMaps: Record<string, Record<string, string>>;
  now(): number;
  onLog?: (line: { taskRun: string; step: string; text: string }) => void;
  /** Why no pod can be created at all (e.g. the run's ServiceAccount does not exist). */
  podCreationError?: string;
}

export interface TaskRunTarget {
  name: string;
  taskName: string;
  pipelineTaskName?: string;
  plan: TaskRunPlan;
  /** Directory for this TaskRun's mounts (results, volumes, container working dirs). */
  dir: string;
  /** Bound workspaces: name → host directory. */
  workspaceDirs: Record<string, string>;
  /** Whole-TaskRun deadline (PipelineTask timeout), ms since the epoch. */
  deadline?: number;
  timeoutText?: string;
  signal?: AbortSignal;
  retryCount: number;
}

const LOG_LIMIT = 1_000_000;
const KILL_GRACE_MS = 5000;

function mountsFor(t: TaskRunTarget, step: PlannedStep): Mount[] | { error: string } {
  const mounts: Mount[] = [
    { containerPath: RESULTS_DIR, hostPath: join(t.dir, 'results') },
    { containerPath: STEPS_DIR, hostPath: join(t.dir, 'steps') },
    { containerPath: SCRIPTS_DIR, hostPath: join(t.dir, 'scripts') },
  ];
  for (const ws of t.plan.workspaces) {
    const host = t.workspaceDirs[ws.name];
    if (ws.bound && host) mounts.push({ containerPath: ws.mountPath, hostPath: host });
  }
  for (const vm of step.volumeMounts) {
    if (!t.plan.volumes.some((v) => v.name === vm.name)) return { error: `step ${step.name} mounts volume ${vm.name}, which the task does not declare` };
    mounts.push({ containerPath: vm.mountPath, hostPath: join(t.dir, 'volumes', vm.name, vm.subPath ?? '') });
  }
  return mounts;
}

/** Secret and ConfigMap volumes hold one file per key; a missing non-optional one stops the pod. */
function prepareVolumes(t: TaskRunTarget, local: LocalEnvironment): string | undefined {
  for (const v of t.plan.volumes) {
    const dir = join(t.dir, 'volumes', v.name);
    mkdirSync(dir, { recursive: true });
    const source = v.secret ? local.secrets[v.secret.secretName] : v.configMap ? local.configMaps[v.configMap.name] : {};
    const optional = v.secret?.optional === true || v.configMap?.optional === true;
    if (!source && !optional) return `volume ${v.name}: ${v.secret ? `secret "${v.secret.secretName}"` : `configmap "${v.configMap?.name}"`} not found`;
    for (const [k, val] of Object.entries(source ?? {})) writeFileSync(join(dir, k), val);
  }
  return undefined;
}

function resolveEnv(env: readonly PlannedEnv[], local: LocalEnvironment): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  for (const e of env) {
    if ('value' in e) {
      out[e.name] = e.value;
      continue;
    }
    const ref = 'secretKeyRef' in e ? e.secretKeyRef : e.configMapKeyRef;
    const store = 'secretKeyRef' in e ? local.secrets : local.configMaps;
    const value = store[ref.name]?.[ref.key];
    if (value !== undefined) out[e.name] = value;
    // Kubelet leaves an optional reference unset; a required one keeps the container from starting.
    else if (!ref.optional) return { error: `${'secretKeyRef' in e ? 'secret' : 'configmap'} "${ref.name}" (key ${ref.key}) not found` };
  }
  return out;
}

function localArgv(argv: readonly string[], mounts: Mount[], local: LocalEnvironment): string[] {
  const [cmd = '', ...rest] = argv.map((a) => mapPaths(a, mounts));
  return [...(local.commands[cmd] ?? [cmd]), ...rest];
}

interface Exit {
  code: number | null;
  timedOut: boolean;
  cancelled: boolean;
  spawnError?: string;
}

function runProcess(argv: string[], cwd: string, env: Record<string, string>, until: number | undefined, signal: AbortSignal | undefined, onText: (s: string) => void, now: () => number): Promise<Exit> {
  return new Promise((resolve) => {
    const [file = '', ...args] = argv;
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    let cancelled = false;
    const stop = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = until === undefined ? undefined : setTimeout(() => ((timedOut = true), stop()), Math.max(0, until - now()));
    const onAbort = () => ((cancelled = true), stop());
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => onText(b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => onText(b.toString('utf8')));
    const finish = (exit: Exit) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(exit);
    };
    child.on('error', (err) => finish({ code: null, timedOut, cancelled, spawnError: err.message }));
    child.on('close', (code, sig) => finish({ code: code ?? (sig ? 128 + 15 : null), timedOut, cancelled }));
  });
}

function condition(status: Condition['status'], reason: string, message: string): Condition {
  return { type: 'Succeeded', status, reason, message };
}

/** A dry run's view of the steps: the container command and what would run here, nothing executed. */
export function describeSteps(t: TaskRunTarget, local: LocalEnvironment): StepStatus[] {
  return t.plan.steps.map((step) => {
    const mounts = mountsFor(t, step);
    return {
      name: step.name,
      container: step.container,
      image: step.image,
      command: step.argv,
      localCommand: 'error' in mounts ? [] : localArgv(step.argv, mounts, local),
      exitCode: null,
      terminationReason: step.when.allowed ? 'NotRun' : 'Skipped',
      log: step.when.allowed ? '' : `when: ${step.when.evaluated.join(' && ')}\n`,
    };
  });
}

/** Runs every step and returns the TaskRun's status. Never throws for a failing step. */
export async function runTaskRun(t: TaskRunTarget, local: LocalEnvironment): Promise<TaskRunStatus> {
  const startTime = entrypointTime(local.now());
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

  const prepared: { step: PlannedStep; mounts: Mount[]; env: Record<string, string> }[] = [];
  for (const step of t.plan.steps) {
    const mounts = mountsFor(t, step);
    if ('error' in mounts) return status(condition('False', 'TaskValidationFailed', mounts.error));
    const env = resolveEnv(step.env, local);
    if ('error' in env) return status(condition('False', 'CreateContainerConfigError', `container ${step.container}: ${env.error}`));
    prepared.push({ step, mounts, env });
  }

  let failure: Condition | undefined;
  for (const [index, { step, mounts, env }] of prepared.entries()) {
    const base = { name: step.name, container: step.container, image: step.image, command: step.argv };
    if (failure || !step.when.allowed) {
      steps.push({ ...base, localCommand: [], exitCode: failure ? null : 0, terminationReason: 'Skipped', log: step.when.allowed ? '' : `when: ${step.when.evaluated.join(' && ')}\n` });
      continue;
    }
    if (step.script !== undefined) {
      const file = join(t.dir, 'scripts', `script-${index}`);
      // Tekton prepends a POSIX shell line to a script without a shebang (pkg/pod/script.go).
      writeFileSync(file, step.script.startsWith('#!') ? step.script : `#!/bin/sh\nset -e\n${step.script}`);
      chmodSync(file, 0o755);
    }
    for (const m of mounts) mkdirSync(m.hostPath, { recursive: true });
    const argv = localArgv(step.argv, mounts, local);
    const cwd = step.workingDir ? mapPaths(step.workingDir, mounts) : join(t.dir, 'containers', step.container);
    mkdirSync(cwd, { recursive: true });
    let log = '';
    const onText = (text: string) => {
      log = (log + text).slice(-LOG_LIMIT);
      local.onLog?.({ taskRun: t.name, step: step.name, text });
    };
    // The image sets HOME; locally each TaskRun gets its own, so no step reads this machine's ~/.kube.
    const stepEnv: Record<string, string> = { HOME: join(t.dir, 'home'), ...local.env };
    for (const [k, v] of Object.entries(env)) stepEnv[k] = mapPaths(v, mounts);
    const startedAt = entrypointTime(local.now());
    const stepDeadline = step.timeoutMs ? local.now() + step.timeoutMs : undefined;
    const until = [stepDeadline, t.deadline].filter((d): d is number => d !== undefined).sort((a, b) => a - b)[0];
    const exit = await runProcess(argv, cwd, stepEnv, until, t.signal, onText, local.now);
    if (exit.spawnError) onText(`${exit.spawnError}\n`);
    const code = exit.code ?? 127;
    mkdirSync(join(t.dir, 'steps', step.container), { recursive: true });
    writeFileSync(join(t.dir, 'steps', step.container, 'exitCode'), String(code));

    let reason: StepStatus['terminationReason'] = code === 0 ? 'Completed' : 'Error';
    if (exit.cancelled) {
      reason = 'Cancelled';
      failure = condition('False', 'TaskRunCancelled', `TaskRun "${t.name}" was cancelled`);
    } else if (exit.timedOut) {
      reason = 'TimeoutExceeded';
      failure = until === t.deadline
        ? condition('False', 'TaskRunTimeout', `TaskRun "${t.name}" failed to finish within "${t.timeoutText ?? ''}"`)
        : condition('False', 'Failed', `"${step.container}" exited because the step exceeded the specified timeout limit`);
    } else if (code !== 0 && step.onError !== 'continue') {
      failure = condition('False', 'Failed', `"${step.container}" exited with code ${code}`);
    }

    // The entrypoint reads results after the step whatever its exit code.
    const files: Record<string, string> = {};
    for (const spec of t.plan.results) {
      const file = join(t.dir, 'results', spec.name);
      if (existsSync(file)) files[spec.name] = readFileSync(file, 'utf8');
    }
    const message = terminationMessage({ files, startedAt, ...(code !== 0 && step.onError === 'continue' ? { continuedExitCode: code } : {}) });
    if (messageBytes(message) > MAX_TERMINATION_MESSAGE_BYTES) {
      onText(`${MESSAGE_TOO_LONG}\n`);
      reason = 'Error';
      failure ??= condition('False', 'Failed', `"${step.container}" exited with code 1: ${MESSAGE_TOO_LONG}`);
    } else {
      for (const spec of t.plan.results) {
        const raw = files[spec.name];
        if (raw === undefined) continue;
        const parsed = parseResult(spec, raw);
        if (!parsed.ok) failure ??= condition('False', 'Failed', parsed.message);
        else results.set(spec.name, parsed.result);
      }
    }
    steps.push({
      ...base,
      localCommand: argv,
      exitCode: reason === 'Error' && code === 0 ? 1 : code,
      terminationReason: reason,
      startedAt,
      finishedAt: entrypointTime(local.now()),
      log,
    });
  }
  return status(failure ?? condition('True', 'Succeeded', 'All Steps have completed executing'));
}
