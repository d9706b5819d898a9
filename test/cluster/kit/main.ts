// The end-to-end kit for a real cluster (issue #11), run through test/cluster/run.sh by a user whose
// kubectl points at a cluster with Tekton and llm-d. Not part of CI: CI runs it against the embedded
// stack (test/integration/cluster-kit). Order: check the prerequisites, print the plan, install the
// catalog, run restart -> hit -> ramp, report, clean up what it created. `--dry-run` stops after the plan.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { Pipeline, PipelineRun } from '../../../src/tekton/types.ts';
import { kubectlRunner, type Runner } from './kubectl.ts';
import { KitUsage, parseKitArgs, RUN_FILES, USAGE, type KitOptions, type RunName } from './options.ts';
import { buildPlan, renderPlan, RUN_LABEL, shellLine, type KitPlan, type PlannedRun } from './plan.ts';
import { prerequisites, printChecks } from './prerequisites.ts';
import { passed, resultLine, runState, type RunState } from './status.ts';

export interface KitIo {
  out(s: string): void;
  err(s: string): void;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** kubectl's own lines, indented under the kit's. */
const indent = (text: string) => text.trimEnd().replace(/^/gm, '    ') + (text.trim() ? '\n' : '');

interface Repo {
  catalogResources: string[];
  runDocs: Record<RunName, PipelineRun>;
  pipelineParams: Map<string, Set<string>>;
  defaultImage: string;
}

function readRepo(root: string): Repo {
  const k = parse(readFileSync(join(root, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const runDocs = Object.fromEntries(
    Object.entries(RUN_FILES).map(([name, file]) => [name, parse(readFileSync(join(root, file), 'utf8'))]),
  ) as Record<RunName, PipelineRun>;
  const pipelineParams = new Map<string, Set<string>>();
  let defaultImage = '';
  for (const f of readdirSync(join(root, 'pipelines')).filter((n) => n.endsWith('.yaml'))) {
    const p = parse(readFileSync(join(root, 'pipelines', f), 'utf8')) as Pipeline;
    if (p?.kind !== 'Pipeline') continue;
    pipelineParams.set(p.metadata.name ?? '', new Set((p.spec.params ?? []).map((x) => x.name)));
    const image = p.spec.params?.find((x) => x.name === 'image')?.default;
    if (typeof image === 'string' && !defaultImage) defaultImage = image;
  }
  return { catalogResources: k.resources, runDocs, pipelineParams, defaultImage };
}

/** `kubectl get -o name` spelling of an object: kind.group/name, or kind/name for the core group. */
function objectName(o: { apiVersion: string; kind: string; metadata: { name: string } }): string {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${o.kind.toLowerCase()}${group}/${o.metadata.name}`;
}

async function waitFor(
  io: KitIo,
  kubectl: Runner,
  plan: KitPlan,
  run: PlannedRun,
  name: string,
  pollMs: number,
): Promise<RunState> {
  const deadline = Date.now() + run.timeoutMs;
  let last = '';
  for (;;) {
    const r = await kubectl.run(plan.kubectl.status(name));
    const s: RunState =
      r.code === 0
        ? runState(r.stdout)
        : { done: false, succeeded: false, reason: 'Unreadable', message: r.stderr.trim(), results: {} };
    const now = `${s.reason}${s.message ? `: ${s.message}` : ''}`;
    if (now !== last) io.out(`  ${run.name}: ${name} ${now}\n`);
    last = now;
    if (s.done) return s;
    if (Date.now() + pollMs > deadline)
      return {
        ...s,
        done: true,
        succeeded: false,
        reason: 'KitTimeout',
        message: `not finished after ${Math.round(run.timeoutMs / 60_000)}m`,
      };
    try {
      await sleep(pollMs, undefined, { signal: io.signal });
    } catch {
      return { ...s, done: true, succeeded: false, reason: 'Interrupted', message: 'the kit was stopped' };
    }
  }
}

async function install(io: KitIo, kubectl: Runner, plan: KitPlan, catalog: string): Promise<boolean> {
  const existing = await kubectl.run(plan.kubectl.existing);
  const docs = parseAllDocuments(catalog).map(
    (d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } },
  );
  // If the kit cannot tell what was there, it deletes nothing of the catalog at the end.
  const before = new Set(
    existing.code === 0 ? existing.stdout.split('\n').map((l) => l.trim()) : docs.map(objectName),
  );
  if (existing.code !== 0)
    io.out(`  cannot tell which catalog objects exist (${existing.stderr.trim()}): none will be deleted\n`);
  const created = docs.filter((d) => !before.has(objectName(d)));
  writeFileSync(plan.createdPath, created.map((d) => stringify(d)).join('---\n'));
  io.out(`  ${created.length} new, ${docs.length - created.length} already there (kept at the end)\n`);
  const applied = await kubectl.run(plan.kubectl.apply);
  io.out(indent(applied.stdout));
  if (applied.code !== 0) io.err(`kubectl apply failed: ${applied.stderr}`);
  return applied.code === 0;
}

async function cleanUp(io: KitIo, kubectl: Runner, plan: KitPlan, catalogInstalled: boolean): Promise<void> {
  io.out('clean up:\n');
  const runs = await kubectl.run(plan.kubectl.deleteRuns);
  io.out(indent(runs.stdout || runs.stderr));
  if (catalogInstalled && readFileSync(plan.createdPath, 'utf8').trim()) {
    const cat = await kubectl.run(plan.kubectl.deleteCatalog);
    io.out(indent(cat.stdout || cat.stderr));
  }
  rmSync(plan.workDir, { recursive: true, force: true });
}

async function execute(
  io: KitIo,
  o: KitOptions,
  kubectl: Runner,
  plan: KitPlan,
  catalog: string,
): Promise<number> {
  const states = new Map<RunName, { name: string; state: RunState }>();
  let installed = false;
  try {
    io.out('install:\n');
    installed = await install(io, kubectl, plan, catalog);
    if (!installed) return 1;
    for (const run of plan.runs) {
      if (io.signal?.aborted) break;
      const created = await kubectl.run(plan.kubectl.create(run));
      const name = created.stdout.trim().split('/').pop() ?? '';
      if (created.code !== 0 || !name) {
        io.err(`kubectl create -f ${run.path} failed: ${created.stderr}`);
        return 1;
      }
      io.out(`${run.name}: created pipelinerun ${name}\n`);
      const state = await waitFor(io, kubectl, plan, run, name, o.pollMs);
      states.set(run.name, { name, state });
      if (!state.succeeded)
        io.out(
          `  see: ${shellLine([...kubectl.prefix, 'get', 'taskruns', '-n', plan.namespace, '-l', `tekton.dev/pipelineRun=${name}`])}\n` +
            `       tkn pipelinerun logs -n ${plan.namespace} ${name}\n`,
        );
      // hit and ramp measure from the caches restart zeroed: without it their figures mean nothing.
      if (run.name === 'restart' && !state.succeeded) {
        io.out('  the restart failed: not running the measurements\n');
        break;
      }
    }
    io.out('results:\n');
    for (const run of plan.runs) {
      const s = states.get(run.name);
      io.out(`  ${resultLine(run.name, s?.name ?? '-', s?.state)}\n`);
    }
    const ok = plan.runs.every((r) => {
      const s = states.get(r.name);
      return s !== undefined && passed(s.state);
    });
    io.out(`${ok ? 'PASS' : 'FAIL'}\n`);
    return ok ? 0 : 1;
  } finally {
    if (o.keep)
      io.out(`kept (--keep): the catalog, the runs labelled ${RUN_LABEL}=${plan.runId}, ${plan.workDir}\n`);
    else await cleanUp(io, kubectl, plan, installed);
  }
}

export async function runKit(argv: readonly string[], io: KitIo): Promise<number> {
  let o: KitOptions;
  try {
    o = parseKitArgs(argv, io.env);
  } catch (e) {
    if (!(e instanceof KitUsage)) throw e;
    io.err(`run.sh: ${e.message}\n`);
    return 2;
  }
  if (o.help) {
    io.out(USAGE);
    return 0;
  }
  const repo = readRepo(ROOT);
  const kubectl = kubectlRunner(o);
  const runId = `kit-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const workDir = o.workDir ?? mkdtempSync(join(tmpdir(), 'kv-cache-bench-kit-'));
  const plan = buildPlan({ options: o, root: ROOT, workDir, runId, ...repo });
  io.out(
    `kv-cache-bench cluster kit: namespace ${o.namespace}, ${shellLine(kubectl.prefix)}${o.dryRun ? ', dry run' : ''}\n`,
  );

  const checks = await prerequisites(o, kubectl, plan, o.image ?? repo.defaultImage);
  printChecks(io.out, checks);
  const missing = checks.filter((c) => !c.ok);
  if (missing[0]?.name === 'kubectl') {
    io.err(`prerequisites missing (1):\n  kubectl: ${missing[0].detail}\n`);
    if (!o.workDir) rmSync(workDir, { recursive: true, force: true });
    return 2;
  }

  mkdirSync(join(workDir, 'catalog'), { recursive: true });
  writeFileSync(plan.kustomizationPath, plan.kustomization);
  for (const run of plan.runs) writeFileSync(run.path, stringify(run.doc));
  // Rendering reads only local files: done in a dry run too, so the plan shows every object.
  const rendered = await kubectl.run(plan.kubectl.render);
  if (rendered.code !== 0) {
    io.err(`kubectl kustomize ${plan.kustomizationPath} failed: ${rendered.error ?? rendered.stderr}`);
    return 2;
  }
  writeFileSync(plan.catalogPath, rendered.stdout);
  io.out(renderPlan(plan, kubectl.prefix, rendered.stdout, o.pollMs));

  if (missing.length > 0) {
    io.err(
      `prerequisites missing (${missing.length}):\n${missing.map((c) => `  ${c.name}: ${c.detail}\n`).join('')}`,
    );
    if (!o.dryRun && !o.keep) rmSync(workDir, { recursive: true, force: true });
    return 2;
  }
  if (o.dryRun) {
    io.out(`dry run: nothing was changed. The files above stay in ${workDir}.\n`);
    return 0;
  }
  return execute(io, o, kubectl, plan, rendered.stdout);
}

if (import.meta.main) {
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());
  process.exitCode = await runKit(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
    signal: abort.signal,
  });
}
