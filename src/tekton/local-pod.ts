// What stands in for a TaskRun's pod on this machine: its mounts as directories, its env with Secret
// references resolved, and each step's container as a local process.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapPaths, type Mount } from './local-paths.ts';
import type { ParamValue, StepStatus, TaskRunStatus } from './types.ts';
import {
  RESULTS_DIR,
  SCRIPTS_DIR,
  STEPS_DIR,
  type PlannedEnv,
  type PlannedStep,
  type TaskRunPlan,
} from './plan.ts';

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
  /** Each chunk a step prints; `mounts` maps its host directories back to the pod's paths. */
  onLog?: (line: { taskRun: string; step: string; text: string; mounts?: readonly Mount[] }) => void;
  /** Why no pod can be created at all (e.g. the run's ServiceAccount does not exist). */
  podCreationError?: string;
  /** Follows each TaskRun as it runs (the embedded Tekton controller writes TaskRun and Pod objects). */
  observer?: TaskRunObserver;
}

/** What a controller sees of a TaskRun while it runs; the final status is what runTaskRun returns. */
export interface TaskRunObserver {
  started(t: TaskRunTarget, startTime: string): void;
  stepStarted(t: TaskRunTarget, step: PlannedStep, startedAt: string): void;
  stepFinished(t: TaskRunTarget, step: StepStatus): void;
  finished(t: TaskRunTarget, status: TaskRunStatus): void;
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
  /** The TaskRun's params as its spec lists them (after substitution). */
  params?: Record<string, ParamValue>;
}

const KILL_GRACE_MS = 5000;
const LOG_LIMIT = 1_000_000;

export function mountsFor(t: TaskRunTarget, step: PlannedStep): Mount[] | { error: string } {
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
    if (!t.plan.volumes.some((v) => v.name === vm.name))
      return { error: `step ${step.name} mounts volume ${vm.name}, which the task does not declare` };
    mounts.push({ containerPath: vm.mountPath, hostPath: join(t.dir, 'volumes', vm.name, vm.subPath ?? '') });
  }
  return mounts;
}

/** Secret and ConfigMap volumes hold one file per key; a missing non-optional one stops the pod. */
export function prepareVolumes(t: TaskRunTarget, local: LocalEnvironment): string | undefined {
  for (const v of t.plan.volumes) {
    const dir = join(t.dir, 'volumes', v.name);
    mkdirSync(dir, { recursive: true });
    const source = v.secret
      ? local.secrets[v.secret.secretName]
      : v.configMap
        ? local.configMaps[v.configMap.name]
        : {};
    const optional = v.secret?.optional === true || v.configMap?.optional === true;
    if (!source && !optional)
      return `volume ${v.name}: ${v.secret ? `secret "${v.secret.secretName}"` : `configmap "${v.configMap?.name}"`} not found`;
    for (const [k, val] of Object.entries(source ?? {})) writeFileSync(join(dir, k), val);
  }
  return undefined;
}

export function resolveEnv(
  env: readonly PlannedEnv[],
  local: LocalEnvironment,
): Record<string, string> | { error: string } {
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
    else if (!ref.optional)
      return {
        error: `${'secretKeyRef' in e ? 'secret' : 'configmap'} "${ref.name}" (key ${ref.key}) not found`,
      };
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

function runProcess(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; until?: number; signal?: AbortSignal; now(): number },
  onText: (s: string) => void,
): Promise<Exit> {
  return new Promise((resolve) => {
    const [file = '', ...args] = argv;
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    let cancelled = false;
    // Like the kubelet: SIGTERM, then SIGKILL after a grace period.
    const stop = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const onTimeout = () => {
      timedOut = true;
      stop();
    };
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    const timer =
      opts.until === undefined ? undefined : setTimeout(onTimeout, Math.max(0, opts.until - opts.now()));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => onText(b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => onText(b.toString('utf8')));
    const finish = (exit: Exit) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(exit);
    };
    child.on('error', (err) => finish({ code: null, timedOut, cancelled, spawnError: err.message }));
    child.on('close', (code, sig) => finish({ code: code ?? (sig ? 143 : null), timedOut, cancelled }));
  });
}

export interface StepRun {
  /** What ran here. */
  argv: string[];
  /** The exit code (127 when the command could not be started). */
  code: number;
  timedOut: boolean;
  /** The TaskRun's own deadline, not the step's timeout, stopped it. */
  taskDeadline: boolean;
  cancelled: boolean;
  startedAt: number;
  log: string;
}

/** Runs one step as a local process in its mounts, and records its exit code where Tekton does. */
export async function runStepLocally(
  t: TaskRunTarget,
  step: PlannedStep,
  index: number,
  mounts: Mount[],
  env: Record<string, string>,
  local: LocalEnvironment,
): Promise<StepRun> {
  if (step.script !== undefined) {
    const file = join(t.dir, 'scripts', `script-${index}`);
    // Tekton prepends a POSIX shell line to a script without a shebang (pkg/pod/script.go).
    writeFileSync(file, step.script.startsWith('#!') ? step.script : `#!/bin/sh\nset -e\n${step.script}`);
    chmodSync(file, 0o755);
  }
  for (const m of mounts) mkdirSync(m.hostPath, { recursive: true });
  const argv = localArgv(step.argv, mounts, local);
  // "" = the image's working directory: each container has its own.
  const cwd = step.workingDir ? mapPaths(step.workingDir, mounts) : join(t.dir, 'containers', step.container);
  mkdirSync(cwd, { recursive: true });
  // The image sets HOME; locally each TaskRun gets its own, so no step reads this machine's ~/.kube.
  const stepEnv: Record<string, string> = { HOME: join(t.dir, 'home'), ...local.env };
  for (const [k, v] of Object.entries(env)) stepEnv[k] = mapPaths(v, mounts);
  const startedAt = local.now();
  const stepDeadline = step.timeoutMs ? startedAt + step.timeoutMs : undefined;
  const until = [stepDeadline, t.deadline]
    .filter((d): d is number => d !== undefined)
    .sort((a, b) => a - b)[0];
  let log = '';
  const onText = (text: string) => {
    log = (log + text).slice(-LOG_LIMIT);
    local.onLog?.({ taskRun: t.name, step: step.name, text, mounts });
  };
  const exit = await runProcess(argv, { cwd, env: stepEnv, until, signal: t.signal, now: local.now }, onText);
  if (exit.spawnError) onText(`${exit.spawnError}\n`);
  const code = exit.code ?? 127;
  mkdirSync(join(t.dir, 'steps', step.container), { recursive: true });
  writeFileSync(join(t.dir, 'steps', step.container, 'exitCode'), String(code));
  return {
    argv,
    code,
    timedOut: exit.timedOut,
    taskDeadline: exit.timedOut && until === t.deadline,
    cancelled: exit.cancelled,
    startedAt,
    log,
  };
}

/** A dry run's local command for a step (nothing is created or run). */
export function plannedLocalArgv(t: TaskRunTarget, step: PlannedStep, local: LocalEnvironment): string[] {
  const mounts = mountsFor(t, step);
  return 'error' in mounts ? [] : localArgv(step.argv, mounts, local);
}
