// The local Tekton executor: runs this repository's Pipelines on this machine the way a cluster would,
// each step a local process. The image's CLI (`kv-cache-bench`) maps to this checkout's entry point, so
// a PipelineRun file runs unchanged against the embedded llm-d stack (only URLs overridden).
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog } from './catalog.ts';
import { generateName } from './names.ts';
import { paramsToRecord } from './params.ts';
import { executePipelineRun } from './pipeline-run.ts';
import type { LocalEnvironment, TaskRunObserver } from './task-run.ts';
import type { ParamValue, PipelineRun, PipelineRunStatus, WorkspaceBinding } from './types.ts';

export { catalogFrom, loadCatalog, loadPipelineRun, parseDocuments, type Catalog } from './catalog.ts';
export { planTaskRun, type PlanInput, type PlannedStep, type TaskRunPlan } from './plan.ts';
export type { TaskRunObserver, TaskRunTarget } from './task-run.ts';
export type * from './types.ts';

/** `src/bin.ts` next to this module when run from source, `dist/src/bin.js` when built. */
export function defaultCliEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../bin.${ext}`, import.meta.url));
}

export interface RunPipelineOptions {
  catalog: Catalog;
  /** A PipelineRun document (e.g. from pipelineruns/*.yaml). */
  pipelineRun: PipelineRun;
  /** Param values that replace the PipelineRun's (e.g. URLs of the local stack). */
  params?: Record<string, ParamValue>;
  /** Workspace bindings that replace the PipelineRun's by name. */
  workspaces?: WorkspaceBinding[];
  /** Environment for every step on top of PATH (e.g. KUBECONFIG of the embedded stack). */
  env?: Record<string, string>;
  /**
   * What each ServiceAccount's pods get, e.g. a KUBECONFIG holding its token: the run's
   * taskRunTemplate.serviceAccountName (default "default") picks one. When given, a run naming an
   * unknown ServiceAccount fails as on a cluster.
   */
  serviceAccounts?: Record<string, { env: Record<string, string> }>;
  secrets?: Record<string, Record<string, string>>;
  configMaps?: Record<string, Record<string, string>>;
  /** Extra or replacement local commands for the image's binaries. */
  commands?: Record<string, string[]>;
  /** Entry point run for `kv-cache-bench` (default: this checkout's src/bin.ts or dist/src/bin.js). */
  cliEntry?: string;
  /** Where TaskRun directories go (default: a new temporary directory, left for inspection). */
  dir?: string;
  namespace?: string;
  /** Report what would run, run nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onLog?: LocalEnvironment['onLog'];
  /** Follows each TaskRun while it runs (the embedded Tekton controller). */
  observer?: TaskRunObserver;
  /** The PipelineRun's uid (context.pipelineRun.uid); default: a new one. */
  uid?: string;
  now?: () => number;
  random?: () => number;
}

export async function runPipelineRun(opts: RunPipelineOptions): Promise<PipelineRunStatus> {
  const pr = opts.pipelineRun;
  const now = opts.now ?? (() => Date.now());
  const random = opts.random ?? (() => randomInt(1_000_000) / 1_000_000);
  const name = pr.metadata.name ?? generateName(pr.metadata.generateName ?? 'pipelinerun-', random);
  const namespace = opts.namespace ?? pr.metadata.namespace ?? 'default';
  const pipelineName = pr.spec.pipelineRef?.name ?? '';
  const pipeline = opts.catalog.pipelines.get(pipelineName);
  if (!pipeline) {
    const at = new Date(now()).toISOString();
    return {
      name,
      namespace,
      pipelineName,
      condition: {
        type: 'Succeeded',
        status: 'False',
        reason: 'CouldntGetPipeline',
        message: `Error retrieving pipeline for pipelinerun ${namespace}/${name}: pipelines.tekton.dev "${pipelineName}" not found`,
      },
      results: [],
      taskRuns: {},
      skippedTasks: [],
      startTime: at,
      completionTime: at,
      dryRun: opts.dryRun === true,
    };
  }
  const cli = opts.cliEntry ?? defaultCliEntry();
  const saName = pr.spec.taskRunTemplate?.serviceAccountName ?? 'default';
  const sa = opts.serviceAccounts?.[saName];
  const saMissing = opts.serviceAccounts !== undefined && sa === undefined;
  const local: LocalEnvironment = {
    commands: { 'kv-cache-bench': [process.execPath, cli], node: [process.execPath], ...opts.commands },
    env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...opts.env, ...sa?.env },
    secrets: opts.secrets ?? {},
    configMaps: opts.configMaps ?? {},
    now,
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(saMissing ? { podCreationError: `serviceaccounts "${saName}" not found` } : {}),
  };
  const workspaces = new Map((pr.spec.workspaces ?? []).map((w) => [w.name, w]));
  for (const w of opts.workspaces ?? []) workspaces.set(w.name, w);
  return executePipelineRun(
    {
      pipeline,
      findTask: (n) => opts.catalog.tasks.get(n),
      name,
      namespace,
      uid: opts.uid ?? randomUUID(),
      params: { ...paramsToRecord(pr.spec.params), ...opts.params },
      workspaces: [...workspaces.values()],
      ...(pr.spec.timeouts?.pipeline ? { timeout: pr.spec.timeouts.pipeline } : {}),
      dir: opts.dir ?? mkdtempSync(join(tmpdir(), `tekton-${name}-`)),
      dryRun: opts.dryRun === true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
    local,
  );
}

/** A PipelineRun document for `pipeline` with the given params, for callers without a file. */
export function pipelineRunFor(
  pipeline: string,
  params: Record<string, ParamValue> = {},
  workspaces: WorkspaceBinding[] = [],
): PipelineRun {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: { generateName: `${pipeline}-run-` },
    spec: {
      pipelineRef: { name: pipeline },
      params: Object.entries(params).map(([name, value]) => ({ name, value })),
      workspaces,
    },
  };
}
