// The embedded llm-d stack on loopback (DESIGN.md "The embedded local stack"): a Kubernetes API server
// with a cluster model (a decode Deployment whose pods are simulated vLLM servers, labelled
// llm-d.ai/role=decode) and the gateway routing over the cluster's Ready pods. `sim` serves it;
// `demo` and the tests start it in-process or in a child.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { loadTokenizer, type TokenizerKind } from '../tokenize/tokenizer.ts';
import { REALISTIC_LATENCY, ZERO_LATENCY, type RoutingPolicy } from './contracts.ts';
import { FaultInjector, formatFault } from './faults.ts';
import { mulberry32 } from '../hash.ts';
import { startGateway, type GatewayHandle } from './gateway/server.ts';
import { createCluster, type SimCluster } from './kube-api/cluster.ts';
import { writeKubeconfig } from './kube-api/kubeconfig.ts';
import { bindRbacToStore, Rbac } from './kube-api/rbac.ts';
import { startKubeApi, type KubeApiServer } from './kube-api/server.ts';
import { putApiService, putGatewayService } from './kube-api/services.ts';
import { TektonController } from './tekton/controller.ts';
import { startVllmPod } from './vllm/pod.ts';

/**
 * KV blocks per pod. 32768 × 16 tokens ≈ 512k tokens: an 80 GB H100 serving a 3B model (research §6:
 * ~34k blocks). The demo shape (24 sessions × 10 turns, prompts growing to ~2.5k tokens) needs ~4.7k
 * blocks per round of conversations, since each turn extends the last: even with every session on one
 * pod (client-ip, or prefix-aware's hot spot), several rounds fit with no eviction, and 24 × 10 × 2.5k =
 * 600k prompt tokens would fit on 3 pods even with no sharing at all.
 */
export const DEFAULT_NUM_BLOCKS = 32768;
/** vLLM's default --max-num-seqs for the OpenAI server. */
export const DEFAULT_MAX_NUM_SEQS = 256;
/** Llama 3.2's context (config.json max_position_embeddings). */
export const LLAMA_32_CONTEXT = 131072;

export interface StackOptions {
  pods?: number;
  policy?: RoutingPolicy;
  model?: string;
  tokenizer?: TokenizerKind;
  latency?: 'realistic' | 'zero';
  /** pod creation → Ready */
  readyDelayMs?: number;
  /** the HTTPRoute hostname the gateway answers (others get 404) */
  host?: string;
  servedByHeader?: string;
  enablePromptTokensDetails?: boolean;
  /** HTTPS for the Kubernetes API, with bearer-token authentication and RBAC */
  tls?: boolean;
  namespace?: string;
  seed?: number;
  maxNumSeqs?: number;
  numBlocks?: number;
  blockSizeTokens?: number;
  maxModelLen?: number;
  /** 0 or absent = any free port */
  gatewayPort?: number;
  /**
   * Also start a second gateway with this policy over the same pods (a second route to the same
   * InferencePool), for `demo --compare-policy`: the same workload through both, one after the other.
   */
  baselinePolicy?: RoutingPolicy;
  /** where to write the kubeconfig; default: a fresh temporary directory, removed by close() */
  kubeconfigPath?: string;
  logger?: Logger;
  /** fault specs (src/sim/faults.ts, docs/FAULTS.md), e.g. `gateway-503=10%`; timed ones count from Ready */
  faults?: string | readonly string[];
  /** the gateway requires `Authorization: Bearer <apiKey>` on the OpenAI routes */
  apiKey?: string;
  /**
   * Run PipelineRuns created through the API with the local Tekton executor (src/sim/tekton): steps are
   * local processes of the CLI that see the cluster as a pod does (in-cluster API over HTTPS, Services
   * by their cluster DNS names).
   */
  tekton?: boolean;
}

export interface StackHandle {
  readonly kubeconfigPath: string;
  /** http(s)://127.0.0.1:PORT */
  readonly kubernetesUrl: string;
  /** the Ready decode pods right now */
  readonly pods: { name: string; url: string }[];
  /** http://127.0.0.1:PORT */
  readonly gatewayUrl: string;
  /** the second gateway's URL, with baselinePolicy */
  readonly baselineGatewayUrl?: string;
  readonly namespace: string;
  readonly cluster: SimCluster;
  readonly gateway: GatewayHandle;
  /** --tls: the authenticator/authorizer, to grant further tokens (e.g. a Tekton ServiceAccount's) */
  readonly rbac?: Rbac;
  /** --tls: the kubeconfig user's bearer token (a system:masters admin) */
  readonly token?: string;
  /** fault injection at run time: `stack.faults.set('cut-stream=10%')`, `stack.faults.clear()` */
  readonly faults: FaultInjector;
  close(): Promise<void>;
}

/** kubeadm's admin: the group system:masters bound to the cluster-admin ClusterRole. */
function adminRbac(token: string): Rbac {
  const rbac = new Rbac();
  const docs = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin' },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cluster-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
    },
  ];
  rbac.load(docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  rbac.addToken(token, { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  return rbac;
}

/**
 * Pods reach the API over HTTPS (client-node's in-cluster config): the --tls server itself, or a second
 * HTTPS listener on the same cluster when the kubeconfig's is plain HTTP, started with the first
 * PipelineRun (its certificate costs an openssl run that `demo` need not pay).
 */
function startTekton(
  cluster: SimCluster,
  kubeApi: KubeApiServer,
  rbac: Rbac | undefined,
  closers: (() => Promise<void>)[],
  log: Logger | undefined,
): void {
  let api: Promise<{ port: number; ca: string }> | undefined;
  const inClusterApi = () =>
    (api ??= (async () => {
      let server = kubeApi;
      if (!kubeApi.certificate) {
        server = await startKubeApi({ cluster, tls: true, logger: log });
        closers.push(() => server.close());
      }
      putApiService(cluster, server.port);
      return { port: server.port, ca: server.certificate ?? '' };
    })());
  if (kubeApi.certificate) void inClusterApi();
  const controller = new TektonController({ cluster, api: inClusterApi, rbac, logger: log });
  controller.start();
  closers.push(() => controller.close());
}

export async function startStack(opts: StackOptions = {}): Promise<StackHandle> {
  const replicas = opts.pods ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new RangeError(`pods must be a positive integer, got ${replicas}`);
  const namespace = opts.namespace ?? 'llm-d';
  const seed = opts.seed ?? 42;
  const model = opts.model ?? 'meta-llama/Llama-3.2-3B-Instruct';
  const blockSizeTokens = opts.blockSizeTokens ?? 16;
  const numBlocks = opts.numBlocks ?? DEFAULT_NUM_BLOCKS;
  const readyDelayMs = opts.readyDelayMs ?? 1500;
  const log = opts.logger;
  const tokenizer = await loadTokenizer(opts.tokenizer ?? 'llama3');
  // Parsed before anything listens: a bad spec is a UsageError, not a half-started stack.
  const faults = new FaultInjector();
  faults.set(opts.faults ?? []);

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const ownDir = opts.kubeconfigPath
      ? undefined
      : await mkdtemp(path.join(tmpdir(), 'kv-cache-bench-sim-'));
    if (ownDir) closers.push(() => rm(ownDir, { recursive: true, force: true }));
    const kubeconfigPath = path.resolve(opts.kubeconfigPath ?? path.join(ownDir as string, 'kubeconfig'));

    const cluster = createCluster({
      replicas,
      namespace,
      model,
      readyDelayMs,
      random: mulberry32(seed ^ 0x5eed),
      // Every pod answers from the same seed: the answer is a function of the prompt, whichever pod serves.
      podFactory: ({ name, namespace: ns, port }) =>
        startVllmPod({
          name,
          namespace: ns,
          model,
          tokenizer,
          blockSizeTokens,
          numBlocks,
          maxNumSeqs: opts.maxNumSeqs ?? DEFAULT_MAX_NUM_SEQS,
          maxModelLen: opts.maxModelLen ?? Math.min(LLAMA_32_CONTEXT, (numBlocks - 1) * blockSizeTokens),
          latency: opts.latency === 'zero' ? ZERO_LATENCY : REALISTIC_LATENCY,
          enablePromptTokensDetails: opts.enablePromptTokensDetails ?? false,
          seed,
          host: '127.0.0.1',
          port,
          faults: faults.pod(name),
        }),
      onError: (err) => log?.warn({ err: err.message }, 'embedded cluster'),
    });
    closers.push(() => cluster.close());
    closers.push(async () => faults.close());

    const token = opts.tls ? randomBytes(24).toString('base64url') : undefined;
    const rbac = token ? adminRbac(token) : undefined;
    const kubeApi: KubeApiServer = await startKubeApi({
      cluster,
      tls: opts.tls ?? false,
      rbac,
      logger: log,
      faults: faults.kubeApi,
    });
    closers.push(() => kubeApi.close());
    await writeKubeconfig(kubeconfigPath, kubeApi.url, token, { namespace });
    // The authorizer follows the Roles and RoleBindings created through the API (`kubectl apply -k .`).
    if (rbac) {
      const unbind = bindRbacToStore(rbac, cluster.store);
      closers.push(async () => unbind());
    }

    const gatewayOptions = {
      endpoints: cluster,
      seed,
      host: opts.host,
      servedByHeader: opts.servedByHeader,
      logger: log,
      apiKey: opts.apiKey,
      faults: faults.gateway,
    };
    const gateway = await startGateway({
      ...gatewayOptions,
      policy: opts.policy ?? 'prefix-aware',
      port: opts.gatewayPort,
    });
    closers.push(() => gateway.close());
    const baseline = opts.baselinePolicy
      ? await startGateway({ ...gatewayOptions, policy: opts.baselinePolicy })
      : undefined;
    if (baseline) closers.push(() => baseline.close());
    putGatewayService(cluster, gateway.port);
    if (opts.tekton) startTekton(cluster, kubeApi, rbac, closers, log);

    await cluster.whenReady(readyDelayMs + 60_000);
    // Timed faults (kill-pod-after, delete-pod-after) count from here.
    faults.attach({
      podNames: () =>
        cluster.store
          .list('pods', namespace)
          // The decode pods only: TaskRun pods share the namespace.
          .filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.['llm-d.ai/role'] === 'decode')
          .map((p) => p.metadata.name)
          .sort(),
      killPod: (name) => cluster.killPod(name),
      deletePod: async (name) => void (await cluster.deletePod(name)),
      onError: (err) => log?.warn({ err: err.message }, 'fault injection'),
    });
    if (faults.active.length > 0) log?.warn({ faults: faults.active.map(formatFault) }, 'fault injection on');
    log?.info(
      { pods: replicas, policy: opts.policy ?? 'prefix-aware', gateway: gateway.url },
      'embedded stack ready',
    );

    return {
      kubeconfigPath,
      kubernetesUrl: kubeApi.url,
      get pods() {
        return cluster.readyEndpoints().map((ep) => ({ name: ep.name, url: ep.url }));
      },
      gatewayUrl: gateway.url,
      baselineGatewayUrl: baseline?.url,
      namespace,
      cluster,
      gateway,
      rbac,
      token,
      faults,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
