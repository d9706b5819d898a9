// The embedded stack's Tekton controller: every PipelineRun created through the API (`kubectl create -f
// pipelineruns/…`) runs with the local executor (src/tekton) against the Tasks and Pipelines stored in
// its namespace, and the controller writes back what Tekton's would — TaskRuns owned by the run, a Pod
// per TaskRun with its step logs, and the statuses (objects.ts). Steps are local processes of the CLI with
// the pod's view of the cluster (in-cluster.ts, pod-network.ts) and the run's ServiceAccount identity: a
// token the API server authenticates, so the Role `kubectl apply -k .` installed is what they may do.
// Deleting a PipelineRun, or setting spec.status to Cancelled, stops its steps.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import { catalogFrom, defaultCliEntry, runPipelineRun, type PipelineRun } from '../../tekton/index.ts';
import type { SimCluster } from '../kube-api/cluster.ts';
import { serviceAccountUser, type Rbac } from '../kube-api/rbac.ts';
import type { KubeObject, StoreEvent } from '../kube-api/store.ts';
import {
  inClusterEnv,
  SA_ROOT_ENV,
  serviceTable,
  writeServiceAccountRoot,
  type InClusterApi,
} from './in-cluster.ts';
import { RunWriter, type RunIdentity } from './run-writer.ts';

export interface TektonControllerOptions {
  cluster: SimCluster;
  /** where steps reach the API server (HTTPS, as in a pod) and the certificate they trust; asked per run */
  api: () => Promise<InClusterApi>;
  /** with token authentication on: ServiceAccount tokens are registered here */
  rbac?: Rbac;
  logger?: Logger;
  /** the CLI entry a step's `kv-cache-bench` runs (default: this checkout's) */
  cliEntry?: string;
  now?: () => number;
}

/** spec.status values that stop a run (pipelinerun_types.go PipelineRunSpecStatus). */
const CANCEL = new Set(['Cancelled', 'CancelledRunFinally', 'StoppedRunFinally']);
const MODULE_EXT = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const POD_NETWORK = new URL(`./pod-network.${MODULE_EXT}`, import.meta.url).href;

interface Run extends RunIdentity {
  abort: AbortController;
  done: Promise<void>;
  writer?: RunWriter;
}

export class TektonController {
  private readonly o: TektonControllerOptions;
  private readonly runs = new Map<string, Run>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'kv-cache-bench-tekton-'));
  private readonly now: () => number;
  private stopObserving: () => void = () => {};
  private closed = false;

  constructor(options: TektonControllerOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  private get store() {
    return this.o.cluster.store;
  }

  /** Runs PipelineRuns already stored, then every new one. */
  start(): void {
    this.stopObserving = this.store.observe((e) => this.onEvent(e));
    for (const pr of this.store.list('pipelineruns')) this.launchLater(pr);
  }

  /** Stops every run (its steps get SIGTERM), waits for them, removes their directories. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopObserving();
    const runs = [...this.runs.values()];
    for (const r of runs) r.abort.abort();
    await Promise.allSettled(runs.map((r) => r.done));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== 'pipelineruns') return;
    const { namespace = '', name } = e.object.metadata;
    const run = this.runs.get(`${namespace}/${name}`);
    if (e.type === 'ADDED') this.launchLater(e.object);
    else if (e.type === 'DELETED' && run) {
      run.deleted = true;
      run.abort.abort();
    } else if (run && CANCEL.has(String((e.object.spec as { status?: string } | undefined)?.status)))
      run.abort.abort();
  }

  /** Store events arrive inside the store's own update: start work after it. */
  private launchLater(pr: KubeObject): void {
    if ((pr.status as { completionTime?: string } | undefined)?.completionTime) return;
    const { namespace = '', name } = pr.metadata;
    const key = `${namespace}/${name}`;
    if (this.runs.has(key) || this.closed) return;
    const run: Run = {
      namespace,
      name,
      abort: new AbortController(),
      deleted: false,
      done: Promise.resolve(),
    };
    this.runs.set(key, run);
    run.done = new Promise<void>((resolve) => queueMicrotask(resolve))
      .then(() => this.execute(run))
      .catch((err: unknown) => {
        this.o.logger?.error({ err, pipelineRun: key }, 'tekton controller failed');
        run.writer?.failed(
          `the embedded Tekton controller could not run it: ${err instanceof Error ? err.message : String(err)}`,
        );
      })
      .finally(() => this.runs.delete(key));
  }

  private async execute(run: Run): Promise<void> {
    const { namespace: ns, name } = run;
    const pr = this.store.get('pipelineruns', ns, name);
    if (!pr) return;
    const spec = pr.spec as PipelineRun['spec'];
    const pipelineName = spec.pipelineRef?.name ?? '';
    const pipeline = this.store.get('pipelines', ns, pipelineName);
    const saName = spec.taskRunTemplate?.serviceAccountName ?? 'default';
    const writer = new RunWriter(this.o.cluster, run, pr, {
      ...(pipeline ? { pipeline } : {}),
      serviceAccountName: saName,
      now: this.now,
    });
    run.writer = writer;
    // A missing Pipeline fails at once (CouldntGetPipeline): it never runs.
    if (pipeline) writer.runStarted(new Date(this.now()).toISOString(), pipeline);
    this.o.logger?.info({ pipelineRun: `${ns}/${name}`, pipeline: pipelineName }, 'PipelineRun started');

    const runDir = join(this.dir, `${ns}-${name}`);
    const api = await this.o.api();
    const status = await runPipelineRun({
      catalog: catalogFrom([...this.store.list('tasks', ns), ...this.store.list('pipelines', ns)]),
      pipelineRun: pr as unknown as PipelineRun,
      namespace: ns,
      uid: pr.metadata.uid,
      dir: runDir,
      env: inClusterEnv(api, serviceTable(this.store.list('services'), ns)),
      serviceAccounts: this.serviceAccounts(ns, saName, runDir, api.ca),
      secrets: this.secrets(ns),
      configMaps: this.configMaps(ns),
      commands: {
        'kv-cache-bench': [process.execPath, '--import', POD_NETWORK, this.o.cliEntry ?? defaultCliEntry()],
        node: [process.execPath, '--import', POD_NETWORK],
      },
      signal: run.abort.signal,
      now: this.now,
      onLog: ({ taskRun, step, text, mounts }) => writer.log(taskRun, step, text, mounts ?? []),
      observer: writer,
    });
    writer.completed(status);
    this.o.logger?.info(
      { pipelineRun: `${ns}/${name}`, reason: status.condition.reason, status: status.condition.status },
      'PipelineRun finished',
    );
  }

  /** A token for the run's ServiceAccount, as its pods would mount; a missing one fails every pod. */
  private serviceAccounts(ns: string, saName: string, runDir: string, ca: string) {
    if (!this.store.get('serviceaccounts', ns, saName)) return {};
    const token = randomBytes(24).toString('base64url');
    this.o.rbac?.addToken(token, serviceAccountUser(ns, saName));
    const root = writeServiceAccountRoot(join(runDir, 'serviceaccount'), {
      token,
      ca,
      namespace: ns,
    });
    return { [saName]: { env: { [SA_ROOT_ENV]: root } } };
  }

  private secrets(ns: string): Record<string, Record<string, string>> {
    const decode = (data: unknown) =>
      Object.fromEntries(
        Object.entries((data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
      );
    return Object.fromEntries(this.store.list('secrets', ns).map((s) => [s.metadata.name, decode(s.data)]));
  }

  private configMaps(ns: string): Record<string, Record<string, string>> {
    return Object.fromEntries(
      this.store
        .list('configmaps', ns)
        .map((c) => [c.metadata.name, { ...((c.data as Record<string, string> | undefined) ?? {}) }]),
    );
  }
}
