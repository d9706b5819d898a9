// demo: the whole flow against the embedded llm-d stack — what `npm start` runs on a fresh machine. It
// starts `sim` in a child process, points `run` at it (same flags), and prints the report.
import type { CommandModule } from '../cli.ts';
import { UsageError } from '../errors.ts';
import { writeLine } from '../io.ts';
import { ROUTING_POLICIES } from '../sim/contracts.ts';
import type { FlagSet } from './flags.ts';
import { runFlags } from './run.ts';

const {
  'gateway-url': _g,
  'host-header': _h,
  kubeconfig: _k,
  'baseline-url': _b,
  'baseline-policy': _bp,
  ...inherited
} = runFlags;

/** What the demo asks of the pods and the client so per-session stickiness and usage show. */
const SERVED_BY = 'x-inference-pod';

export const demoFlags: FlagSet = {
  ...inherited,
  policy: {
    type: 'string',
    default: 'prefix-aware',
    describe: `gateway routing policy of the embedded stack: ${ROUTING_POLICIES.join(' | ')}`,
  },
  pods: { type: 'number', default: 3, describe: 'decode pods in the embedded stack' },
  latency: {
    type: 'string',
    default: 'realistic',
    choices: ['realistic', 'zero'],
    describe: 'pod latency model',
  },
  restart: {
    type: 'boolean',
    default: true,
    describe: 'restart the decode pods first (--no-restart to skip)',
  },
  'served-by-header': {
    type: 'string',
    default: SERVED_BY,
    describe: 'header the embedded gateway names the serving pod in',
  },
  'compare-policy': {
    type: 'string',
    describe:
      'also run the same seeded workload through a second gateway with this policy (e.g. round-robin) and compare',
  },
  settle: { type: 'string', default: '100ms', describe: 'pause before each scrape' },
  'max-num-seqs': {
    type: 'number',
    describe:
      'requests each embedded pod runs at once (vLLM --max-num-seqs; default 256); the rest wait in its queue',
  },
};

export const demoCommand: CommandModule = {
  name: 'demo',
  describe: 'the whole flow against the embedded local llm-d stack (what `npm start` runs)',
  flags: demoFlags,
  async run(args, io) {
    const policy = String(args.policy);
    if (!(ROUTING_POLICIES as readonly string[]).includes(policy)) {
      throw new UsageError(`unknown --policy ${policy} (choose one of ${ROUTING_POLICIES.join(', ')})`);
    }
    const compare = args['compare-policy'] !== undefined ? String(args['compare-policy']) : undefined;
    if (compare !== undefined && !(ROUTING_POLICIES as readonly string[]).includes(compare)) {
      throw new UsageError(
        `unknown --compare-policy ${compare} (choose one of ${ROUTING_POLICIES.join(', ')})`,
      );
    }
    const pods = args.pods;
    if (typeof pods !== 'number' || !Number.isInteger(pods) || pods < 1 || pods > 64) {
      throw new UsageError(`--pods must be an integer from 1 to 64, got ${String(pods)}`);
    }
    const { startSimProcess } = await import('../flow/sim-process.ts');
    const { parseRunArgs } = await import('./run.ts');
    const { runFlow } = await import('../flow/run-flow.ts');
    const servedBy = String(args['served-by-header']);
    const simArgs = [
      '--pods',
      String(pods),
      '--policy',
      policy,
      '--model',
      String(args.model),
      '--tokenizer',
      String(args.tokenizer),
      '--latency',
      String(args.latency),
      '--namespace',
      String(args.namespace),
      '--seed',
      String(args.seed),
      '--served-by-header',
      servedBy,
      '--enable-prompt-tokens-details',
      '--ready-delay-ms',
      '300',
      ...(args['max-num-seqs'] !== undefined ? ['--max-num-seqs', String(args['max-num-seqs'])] : []),
      '--log-level',
      'warn',
      ...(compare ? ['--baseline-policy', compare] : []),
    ];
    // The embedded gateway requires the key the load will send, as a gateway behind auth does: from the
    // same file, or from the environment (passed to the child's env, never on its command line).
    const { readApiKey } = await import('../load/args.ts');
    const apiKey = readApiKey(args, io.env); // a bad --api-key-file fails here, before the stack starts
    const simEnv: Record<string, string> = {};
    if (args['api-key-file'] !== undefined) simArgs.push('--api-key-file', String(args['api-key-file']));
    else if (apiKey !== undefined) {
      simEnv.KV_CACHE_BENCH_API_KEY = apiKey;
      simArgs.push('--api-key-env', 'KV_CACHE_BENCH_API_KEY');
    }
    writeLine(io.stderr, `demo: starting the embedded llm-d stack (${pods} pods, ${policy})`);
    const sim = await startSimProcess(simArgs, undefined, simEnv);
    try {
      const opts = await parseRunArgs(
        {
          ...args,
          'gateway-url': sim.state.gateway,
          kubeconfig: sim.state.kubeconfig,
          ...(compare && sim.state.baselineGateway ? { 'baseline-url': sim.state.baselineGateway } : {}),
        },
        io,
      );
      if (opts.baselineUrl && compare) {
        opts.baselinePolicy = compare;
        writeLine(io.stderr, `demo: comparing with a ${compare} gateway`);
      }
      const outcome = await runFlow(opts, io);
      return outcome.exitCode;
    } finally {
      await sim.stop();
    }
  },
};
