// The kit's command line (test/cluster/run.sh --help). Pure: argv and env in, options or a KitUsage
// error out. Names and defaults follow the CLI's common flags and the shipped PipelineRuns.
import { goDurationMs } from '../../../src/tekton/go-duration.ts';

export const RUN_NAMES = ['restart', 'hit', 'ramp'] as const;
export type RunName = (typeof RUN_NAMES)[number];

/** The shipped PipelineRun each step of the kit creates (the reference demo's file names). */
export const RUN_FILES: Record<RunName, string> = {
  restart: 'pipelineruns/cache-pod-restart-pipelinerun.yaml',
  hit: 'pipelineruns/cache-hit-pipelinerun.yaml',
  ramp: 'pipelineruns/cache-ramp-pipelinerun.yaml',
};

export type GatewayCheck = 'auto' | 'local' | 'pod' | 'none';

export interface KitOptions {
  namespace: string;
  selector: string;
  gatewayUrl: string;
  hostHeader: string;
  model: string;
  /** the kv-cache-bench image for every run (default: what the Pipelines name) */
  image?: string;
  kubeconfig?: string;
  context?: string;
  kubectl: string;
  runs: RunName[];
  /** per run; default: the run's own timeouts.pipeline plus five minutes */
  timeoutMs?: number;
  pollMs: number;
  gatewayCheck: GatewayCheck;
  keep: boolean;
  dryRun: boolean;
  workDir?: string;
  help: boolean;
}

export class KitUsage extends Error {}

export const USAGE = `usage: test/cluster/run.sh [options]

Installs the kv-cache-bench catalog into a namespace of the cluster kubectl points at, runs the shipped
PipelineRuns restart -> hit -> ramp, waits for each, prints their results, exits 1 on a FAIL or a failed
run, and deletes what it created. Checks its prerequisites first and names what is missing (exit 2).

  --namespace NS        namespace of the decode pods and of the catalog (default llm-d)
  --selector SEL        label selector of the decode pods (default llm-d.ai/role=decode)
  --gateway-url URL     gateway base URL the Tasks use (default http://llm-d-gateway-istio.llm-d.svc.cluster.local)
  --host-header HOST    Host header for the gateway (default llm-d.demo.local)
  --model NAME          served model name (default meta-llama/Llama-3.2-3B-Instruct)
  --image REF           kv-cache-bench image for every run (default: the Pipelines' image param default)
  --kubeconfig FILE     kubeconfig for kubectl (default: kubectl's own)
  --context NAME        kubeconfig context
  --kubectl PATH        kubectl binary (default $KUBECTL or kubectl)
  --runs LIST           which runs, in order (default restart,hit,ramp)
  --timeout DUR         wait at most this long per run (default: its timeouts.pipeline + 5m)
  --poll-interval DUR   how often to read a run's status (default 10s)
  --gateway-check MODE  auto (in-cluster URL: from a pod; else from here), local, pod or none
  --keep                leave the catalog, the runs and the work directory in place
  --work-dir DIR        where the rendered files go (default: a new temporary directory)
  --dry-run             check the prerequisites, print every command and object, change nothing
  --help                this text
`;

const VALUE_FLAGS = new Set([
  'namespace',
  'selector',
  'gateway-url',
  'host-header',
  'model',
  'image',
  'kubeconfig',
  'context',
  'kubectl',
  'runs',
  'timeout',
  'poll-interval',
  'gateway-check',
  'work-dir',
]);
const BOOLEAN_FLAGS = new Set(['keep', 'dry-run', 'help']);

function duration(flag: string, text: string): number {
  const ms = goDurationMs(text);
  if (ms === undefined || ms <= 0)
    throw new KitUsage(`--${flag} ${text}: not a duration (e.g. 45m, 90s, 1h30m)`);
  return ms;
}

/** Parses the kit's flags; a repeated flag takes the last value, as the CLI's do. */
export function parseKitArgs(argv: readonly string[], env: Record<string, string | undefined>): KitOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m)
      throw new KitUsage(`unexpected argument ${JSON.stringify(arg)} (options start with --; see --help)`);
    const [, name = '', inline] = m;
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined) throw new KitUsage(`--${name} takes no value`);
      flags.add(name);
    } else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new KitUsage(`--${name} needs a value`);
      values.set(name, value);
    } else throw new KitUsage(`unknown option --${name} (see --help)`);
  }
  const runs = (values.get('runs') ?? RUN_NAMES.join(',')).split(',').map((r) => r.trim());
  for (const r of runs)
    if (!(RUN_NAMES as readonly string[]).includes(r))
      throw new KitUsage(`--runs: unknown run ${JSON.stringify(r)} (choose from ${RUN_NAMES.join(', ')})`);
  const gatewayCheck = values.get('gateway-check') ?? 'auto';
  if (!['auto', 'local', 'pod', 'none'].includes(gatewayCheck))
    throw new KitUsage(`--gateway-check ${gatewayCheck}: choose auto, local, pod or none`);
  const gatewayUrl = values.get('gateway-url') ?? 'http://llm-d-gateway-istio.llm-d.svc.cluster.local';
  if (!/^https?:\/\/[^/]+/.test(gatewayUrl) || /\/v1\/?$/.test(gatewayUrl))
    throw new KitUsage(`--gateway-url ${gatewayUrl}: give the base URL, http(s)://host[:port], without /v1`);
  const opt = (k: string) => values.get(k);
  return {
    namespace: opt('namespace') ?? 'llm-d',
    selector: opt('selector') ?? 'llm-d.ai/role=decode',
    gatewayUrl: gatewayUrl.replace(/\/$/, ''),
    hostHeader: opt('host-header') ?? 'llm-d.demo.local',
    model: opt('model') ?? 'meta-llama/Llama-3.2-3B-Instruct',
    ...(opt('image') ? { image: opt('image') as string } : {}),
    ...(opt('kubeconfig') ? { kubeconfig: opt('kubeconfig') as string } : {}),
    ...(opt('context') ? { context: opt('context') as string } : {}),
    kubectl: opt('kubectl') ?? env.KUBECTL ?? 'kubectl',
    runs: [...new Set(runs)] as RunName[],
    ...(opt('timeout') ? { timeoutMs: duration('timeout', opt('timeout') as string) } : {}),
    pollMs: duration('poll-interval', opt('poll-interval') ?? '10s'),
    gatewayCheck: gatewayCheck as GatewayCheck,
    keep: flags.has('keep'),
    dryRun: flags.has('dry-run'),
    ...(opt('work-dir') ? { workDir: opt('work-dir') as string } : {}),
    help: flags.has('help'),
  };
}
