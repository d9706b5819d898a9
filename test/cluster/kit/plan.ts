// What the kit will do, as data: the kustomization that installs the catalog into the namespace, the
// PipelineRuns it creates (the shipped files with the cluster's values filled in and a label to find
// them again) and every kubectl command. Pure: files and cluster answers are parameters; `renderPlan`
// prints it, which is all `--dry-run` changes.
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { goDurationMs } from '../../../src/tekton/go-duration.ts';
import type { PipelineRun } from '../../../src/tekton/types.ts';
import { RUN_FILES, type KitOptions, type RunName } from './options.ts';

/** Label on every PipelineRun the kit creates: cleanup deletes by it. */
export const RUN_LABEL = 'kv-cache-bench/kit-run';
const EXTRA_MS = 5 * 60_000;

export interface PlannedRun {
  name: RunName;
  /** the shipped file it comes from */
  source: string;
  /** where the kit writes the filled-in PipelineRun */
  path: string;
  doc: PipelineRun;
  timeoutMs: number;
}

export interface KitPlan {
  runId: string;
  namespace: string;
  workDir: string;
  kustomizationPath: string;
  kustomization: string;
  catalogPath: string;
  /** the catalog objects the kit created (did not exist before): what cleanup deletes */
  createdPath: string;
  runs: PlannedRun[];
  /** kubectl arguments (after the binary and its --kubeconfig/--context) */
  kubectl: {
    render: string[];
    existing: string[];
    apply: string[];
    create(run: PlannedRun): string[];
    status(pipelineRun: string): string[];
    deleteRuns: string[];
    deleteCatalog: string[];
  };
}

export interface PlanInput {
  options: KitOptions;
  /** repository root and the root kustomization's resources (tasks, pipelines, rbac) */
  root: string;
  catalogResources: readonly string[];
  workDir: string;
  runId: string;
  /** the shipped PipelineRun documents, by run */
  runDocs: Record<RunName, PipelineRun>;
  /** Pipeline name → the params it declares: only those are filled in */
  pipelineParams: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The values the kit fills into each PipelineRun, by Pipeline param name. */
export function clusterParams(o: KitOptions): Record<string, string> {
  return {
    namespace: o.namespace,
    selector: o.selector,
    'gateway-url': o.gatewayUrl,
    'host-header': o.hostHeader,
    model: o.model,
    ...(o.image ? { image: o.image } : {}),
  };
}

/** The shipped PipelineRun with the cluster's values for the params its Pipeline declares. */
export function fillPipelineRun(
  doc: PipelineRun,
  values: Record<string, string>,
  declared: ReadonlySet<string>,
  runId: string,
): PipelineRun {
  const out = structuredClone(doc);
  out.metadata.labels = { ...out.metadata.labels, [RUN_LABEL]: runId };
  const params = [...(out.spec.params ?? [])];
  for (const [name, value] of Object.entries(values)) {
    if (!declared.has(name)) continue;
    const i = params.findIndex((p) => p.name === name);
    if (i >= 0) params[i] = { name, value };
    else params.push({ name, value });
  }
  out.spec.params = params;
  return out;
}

export function buildPlan(input: PlanInput): KitPlan {
  const { options: o, workDir, runId } = input;
  const ns = o.namespace;
  const catalogDir = join(workDir, 'catalog');
  // kustomize takes other kustomizations by relative path only.
  const resources = input.catalogResources.map((r) => relative(catalogDir, join(input.root, r)));
  const kustomization = stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: ns,
    resources,
  });
  const values = clusterParams(o);
  const runs = o.runs.map((name): PlannedRun => {
    const shipped = input.runDocs[name];
    const pipeline = shipped.spec.pipelineRef?.name ?? '';
    const doc = fillPipelineRun(shipped, values, input.pipelineParams.get(pipeline) ?? new Set(), runId);
    const own = goDurationMs(shipped.spec.timeouts?.pipeline ?? '') || 60 * 60_000;
    return {
      name,
      source: RUN_FILES[name],
      path: join(workDir, `${name}.yaml`),
      doc,
      timeoutMs: o.timeoutMs ?? own + EXTRA_MS,
    };
  });
  const catalogPath = join(workDir, 'catalog.yaml');
  const createdPath = join(workDir, 'created.yaml');
  return {
    runId,
    namespace: ns,
    workDir,
    kustomizationPath: join(catalogDir, 'kustomization.yaml'),
    kustomization,
    catalogPath,
    createdPath,
    runs,
    kubectl: {
      render: ['kustomize', catalogDir],
      existing: ['get', '-n', ns, '-f', catalogPath, '-o', 'name', '--ignore-not-found'],
      apply: ['apply', '-n', ns, '-f', catalogPath],
      create: (run) => ['create', '-n', ns, '-f', run.path, '-o', 'name'],
      status: (pr) => ['get', '-n', ns, 'pipelinerun', pr, '-o', 'json'],
      deleteRuns: ['delete', '-n', ns, 'pipelineruns', '-l', `${RUN_LABEL}=${runId}`, '--ignore-not-found'],
      deleteCatalog: ['delete', '-n', ns, '-f', createdPath, '--ignore-not-found'],
    },
  };
}

/** One shell word: quoted when it holds anything a shell would read. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}

/** The plan as the kit prints it: numbered steps with their exact commands, then every object. */
export function renderPlan(
  plan: KitPlan,
  kubectl: readonly string[],
  catalogYaml: string,
  pollMs: number,
): string {
  const k = (args: readonly string[]) => `     $ ${shellLine([...kubectl, ...args])}`;
  const lines = [
    `plan (namespace ${plan.namespace}, run id ${plan.runId}, files in ${plan.workDir}):`,
    `  1. install the catalog (${plan.kustomizationPath}) into ${plan.namespace}`,
    `${k(plan.kubectl.render)} > ${shellWord(plan.catalogPath)}`,
    `${k(plan.kubectl.existing)}   # what exists already is kept at the end`,
    k(plan.kubectl.apply),
  ];
  plan.runs.forEach((run, i) => {
    lines.push(
      `  ${i + 2}. ${run.name}: ${run.doc.spec.pipelineRef?.name ?? '?'} from ${run.source} (${run.path})`,
      k(plan.kubectl.create(run)),
      `${k(plan.kubectl.status('<name>'))}   # every ${minutes(pollMs)}, at most ${minutes(run.timeoutMs)}, until Succeeded is True or False`,
    );
  });
  lines.push(
    `  ${plan.runs.length + 2}. print each run's results (hit-rate, stickiness, verdict); exit 1 on a FAIL or a failed run`,
    `  ${plan.runs.length + 3}. clean up what the kit created (not with --keep)`,
    k(plan.kubectl.deleteRuns),
    `${k(plan.kubectl.deleteCatalog)}   # the catalog objects that did not exist before`,
    '',
    'objects:',
    `--- ${plan.kustomizationPath}`,
    plan.kustomization.trimEnd(),
    `--- ${plan.catalogPath}`,
    catalogYaml.trimEnd(),
  );
  for (const run of plan.runs) lines.push(`--- ${run.path}`, stringify(run.doc).trimEnd());
  return `${lines.join('\n')}\n`;
}
