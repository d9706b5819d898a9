// `kv-cache-bench sim`: the embedded llm-d stack on loopback (Kubernetes API, vLLM decode pods, the
// gateway) until SIGINT/SIGTERM. Start-up output is a contract (DESIGN.md "`sim` start-up output"): one
// `key: value` line each, the gateway last, printed once everything is Ready; --state-file holds the same.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from '../cli.ts';
import { UsageError } from '../errors.ts';
import { readKeyFile } from '../files.ts';
import { writeLine, type Io } from '../io.ts';
import { ROUTING_POLICIES } from '../sim/contracts.ts';
import { FAULTS_SYNTAX, parseFaults } from '../sim/fault-spec.ts';
import { DEFAULT_MODEL, DEFAULT_NAMESPACE } from './flags.ts';

function integerFlag(
  args: Record<string, unknown>,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = args[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

function oneOf<T extends string>(args: Record<string, unknown>, name: string, choices: readonly T[]): T {
  const v = args[name];
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`unknown --${name} ${String(v)} (choose one of ${choices.join(', ')})`);
}

function optionalString(args: Record<string, unknown>, name: string): string | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} needs a value`);
  return v.trim();
}

/** What `sim` prints and --state-file holds. */
export interface SimState {
  kubeconfig: string;
  kubernetes: string;
  pods: Record<string, string>;
  /** with --baseline-policy: a second gateway over the same pods */
  baselineGateway?: string;
  gateway: string;
}

export function startupLines(state: SimState): string[] {
  return [
    `kubeconfig: ${state.kubeconfig}`,
    `kubernetes: ${state.kubernetes}`,
    ...Object.entries(state.pods).map(([name, url]) => `pod ${name}: ${url}`),
    ...(state.baselineGateway ? [`baseline-gateway: ${state.baselineGateway}`] : []),
    `gateway: ${state.gateway}`,
  ];
}

async function writeStateFile(file: string, state: SimState): Promise<void> {
  try {
    await writeFile(file, `${JSON.stringify(state, null, 2)}\n`);
  } catch (err) {
    throw new UsageError(
      `cannot write --state-file ${file}: ${(err as Error).message} (choose a writable path)`,
    );
  }
}

/** The key the gateway requires: from a file, or from an environment variable (a Secret-mounted env). */
function readGatewayKey(args: Record<string, unknown>, env: Io['env']): string | undefined {
  const file = optionalString(args, 'api-key-file');
  if (file !== undefined) return readKeyFile(file, '--api-key-file');
  const name = optionalString(args, 'api-key-env');
  if (name === undefined) return undefined;
  const key = env[name]?.trim();
  if (!key) throw new UsageError(`--api-key-env ${name}: that environment variable is not set or empty`);
  return key;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export const simCommand: CommandModule = {
  name: 'sim',
  describe:
    'serve the embedded llm-d stack (Kubernetes API, vLLM decode pods, gateway) on loopback until SIGINT/SIGTERM',
  flags: {
    pods: { type: 'number', default: 3, describe: 'decode pods (Deployment replicas)' },
    // Choices are checked in run(): yargs' own choices error spans several lines (one line is the contract).
    policy: {
      type: 'string',
      default: 'prefix-aware',
      describe: `gateway routing policy: ${ROUTING_POLICIES.join(' | ')}`,
    },
    model: { type: 'string', default: DEFAULT_MODEL, describe: 'served model name' },
    tokenizer: {
      type: 'string',
      default: 'llama3',
      describe:
        'pod tokenizer: llama3 (real Llama 3 ids) | approx (~4.2 characters per token, throughput work)',
    },
    latency: {
      type: 'string',
      default: 'realistic',
      describe: 'pod latency: realistic (a 3B model on an H100) | zero (throughput work)',
    },
    'ready-delay-ms': { type: 'number', default: 1500, describe: 'pod creation → Ready' },
    host: { type: 'string', describe: 'HTTPRoute hostname: other Host headers get 404' },
    'served-by-header': {
      type: 'string',
      describe: 'response header naming the serving pod (e.g. x-inference-pod)',
    },
    'enable-prompt-tokens-details': {
      type: 'boolean',
      default: false,
      describe: 'vLLM --enable-prompt-tokens-details: usage.prompt_tokens_details.cached_tokens',
    },
    tls: { type: 'boolean', default: false, describe: 'serve the Kubernetes API over HTTPS (self-signed)' },
    tekton: {
      type: 'boolean',
      default: true,
      describe:
        'serve Tekton objects and run created PipelineRuns with local steps (docs/QUICKSTART-LOCAL.md); --no-tekton to turn off',
    },
    'state-file': {
      type: 'string',
      describe: 'also write the start-up lines as one JSON object to this file',
    },
    namespace: { type: 'string', default: DEFAULT_NAMESPACE, describe: 'namespace of the decode pods' },
    seed: {
      type: 'number',
      default: 42,
      describe: "seed of the pods' answers and the gateway's random choices",
    },
    port: { type: 'number', default: 0, describe: 'gateway port (0 = any free port)' },
    'max-num-seqs': {
      type: 'number',
      describe: 'vLLM --max-num-seqs: requests running at once per pod, the rest wait (default 256)',
    },
    'num-blocks': { type: 'number', describe: 'KV blocks per pod (num_gpu_blocks; default 32768)' },
    'baseline-policy': {
      type: 'string',
      describe: 'also serve a second gateway with this policy over the same pods (demo --compare-policy)',
    },
    faults: {
      type: 'array',
      string: true,
      describe: `inject faults (docs/FAULTS.md), comma-separated or repeated: ${FAULTS_SYNTAX}; timed ones count from Ready`,
    },
    'api-key-file': {
      type: 'string',
      describe: 'the gateway requires Authorization: Bearer <the key in this file> (401 otherwise)',
    },
    'api-key-env': {
      type: 'string',
      describe:
        'like --api-key-file, the key read from this environment variable (e.g. KV_CACHE_BENCH_API_KEY)',
    },
  },

  async run(args: Record<string, unknown>, io: Io): Promise<number> {
    const pods = integerFlag(args, 'pods', 1, 64);
    const policy = oneOf(args, 'policy', ROUTING_POLICIES);
    const tokenizer = oneOf(args, 'tokenizer', ['llama3', 'approx'] as const);
    const latency = oneOf(args, 'latency', ['realistic', 'zero'] as const);
    const readyDelayMs = integerFlag(args, 'ready-delay-ms', 0, 600_000);
    const port = integerFlag(args, 'port', 0, 65535);
    const seed = integerFlag(args, 'seed', 0, 2 ** 32 - 1);
    const namespace = optionalString(args, 'namespace') ?? DEFAULT_NAMESPACE;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
      throw new UsageError(`--namespace ${namespace} is not a valid namespace name (RFC 1123 label)`);
    }
    const servedByHeader = optionalString(args, 'served-by-header');
    if (servedByHeader !== undefined && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(servedByHeader)) {
      throw new UsageError(`--served-by-header ${servedByHeader} is not a valid HTTP header name`);
    }
    const stateFile = optionalString(args, 'state-file');
    const baselinePolicy =
      args['baseline-policy'] === undefined ? undefined : oneOf(args, 'baseline-policy', ROUTING_POLICIES);
    const faultSpecs = ((args.faults as unknown[] | undefined) ?? []).map(String);
    parseFaults(faultSpecs);
    const apiKey = readGatewayKey(args, io.env);

    const { createLogger } = await import('../log.ts');
    const { startStack } = await import('../sim/stack.ts');
    const logger = createLogger(String(args['log-level'] ?? 'info'), io.stderr);
    const stack = await startStack({
      pods,
      policy,
      model: optionalString(args, 'model') ?? DEFAULT_MODEL,
      tokenizer,
      latency,
      readyDelayMs,
      host: optionalString(args, 'host'),
      servedByHeader,
      enablePromptTokensDetails: args['enable-prompt-tokens-details'] === true,
      tls: args.tls === true,
      tekton: args.tekton !== false,
      namespace,
      seed,
      gatewayPort: port,
      ...(args['max-num-seqs'] !== undefined
        ? { maxNumSeqs: integerFlag(args, 'max-num-seqs', 1, 65536) }
        : {}),
      ...(args['num-blocks'] !== undefined
        ? { numBlocks: integerFlag(args, 'num-blocks', 2, 10_000_000) }
        : {}),
      baselinePolicy,
      logger,
      faults: faultSpecs,
      ...(apiKey !== undefined ? { apiKey } : {}),
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
        throw new UsageError(
          `cannot listen on --port ${port}: ${err.code} (choose another port, or 0 for any)`,
        );
      }
      throw err;
    });
    try {
      if (!io.signal.aborted) {
        const state: SimState = {
          kubeconfig: stack.kubeconfigPath,
          kubernetes: stack.kubernetesUrl,
          pods: Object.fromEntries(stack.pods.map((p) => [p.name, p.url])),
          ...(stack.baselineGatewayUrl ? { baselineGateway: stack.baselineGatewayUrl } : {}),
          gateway: stack.gatewayUrl,
        };
        // The file first: whoever waits for the `gateway:` line may read it at once.
        if (stateFile) await writeStateFile(path.resolve(stateFile), state);
        for (const line of startupLines(state)) writeLine(io.stdout, line);
        await untilAborted(io.signal);
      }
    } finally {
      await stack.close();
    }
    return 0;
  },
};
