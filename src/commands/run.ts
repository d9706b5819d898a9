// run: the whole flow without Tekton — restart (with --restart) → scrape → warm-up → scrape → ramp-load →
// scrape → report — in one process, everything under --out-dir. The manual version of the pipelines.
import { join } from 'node:path';
import type { CommandModule } from '../cli.ts';
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { parseDurationMs } from '../duration.ts';
import { rampLoadCommand } from './ramp-load.ts';
import { reportCommand } from './report.ts';
import { restartPodsCommand } from './restart-pods.ts';
import type { FlagSet } from './flags.ts';
import type { RunFlowOptions } from '../flow/run-flow.ts';

const {
  out: _o,
  'stage-out': _s,
  'warmup-state': _w,
  'run-id': _r,
  ...loadAndScrape
} = rampLoadCommand.flags;
const { 'min-hit-rate': minHitRate, baseline, 'pushgateway-url': pushgatewayUrl } = reportCommand.flags;

export const runFlags: FlagSet = {
  ...loadAndScrape,
  'min-hit-rate': minHitRate as FlagSet[string],
  baseline: baseline as FlagSet[string],
  'pushgateway-url': pushgatewayUrl as FlagSet[string],
  restart: {
    type: 'boolean',
    default: false,
    describe: 'restart the decode pods first (caches and counters from zero)',
  },
  mode: restartPodsCommand.flags.mode as FlagSet[string],
  'restart-timeout': {
    type: 'string',
    default: '10m',
    describe: 'how long to wait for restarted pods to be Ready',
  },
  'baseline-url': {
    type: 'string',
    describe:
      'also run the same seeded workload through this second route (e.g. the vLLM Service, bypassing the EPP) and compare',
  },
  'baseline-policy': {
    type: 'string',
    describe:
      'what the report calls the --baseline-url route, e.g. vllm-service or round-robin (default: its URL)',
  },
  'out-dir': {
    type: 'string',
    describe: 'where every file goes (default ./kv-cache-bench-out/<UTC timestamp>)',
  },
  'results-dir': {
    type: 'string',
    describe: 'write the Tekton result files here, e.g. /tekton/results (default <out-dir>/results)',
  },
  settle: {
    type: 'string',
    default: '1s',
    describe: 'pause before each scrape so vLLM has published its counters',
  },
};

function ratio(args: Record<string, unknown>, name: string): number {
  const v = args[name];
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw new UsageError(`--${name} ${String(v)} is not a ratio between 0 and 1 (e.g. 0.9)`);
  return v;
}

/** Flags → flow options; `demo` reuses it with the embedded stack's URLs filled in. */
export async function parseRunArgs(args: Record<string, unknown>, io: Io): Promise<RunFlowOptions> {
  const { parseRampArgs } = await import('../load/args.ts');
  const { parseSnapshotArgs } = await import('./snapshot-args.ts');
  const { defaultOutDir } = await import('../flow/run-flow.ts');
  const outDir = args['out-dir'] !== undefined ? String(args['out-dir']) : defaultOutDir(io.now());
  const load = parseRampArgs({ ...args, out: join(outDir, 'records.jsonl') }, io.env);
  const { out: _out, stageOut: _stageOut, ...loadRest } = load;
  const baselineUrl =
    args['baseline-url'] !== undefined
      ? (await import('../load/args.ts')).parseGatewayUrl(String(args['baseline-url']))
      : undefined;
  const baselinePolicy = args['baseline-policy'] !== undefined ? String(args['baseline-policy']) : undefined;
  if (baselinePolicy !== undefined && !baselineUrl)
    throw new UsageError('--baseline-policy names the --baseline-url route: pass --baseline-url too');
  if (baselinePolicy !== undefined && baselinePolicy.trim() === '')
    throw new UsageError('--baseline-policy is empty: give the baseline route a name, e.g. vllm-service');
  return {
    outDir,
    ...(args.restart
      ? {
          restart: {
            namespace: String(args.namespace),
            selector: String(args.selector),
            ...(args.kubeconfig !== undefined ? { kubeconfig: String(args.kubeconfig) } : {}),
            mode: args.mode === 'rollout' ? 'rollout' : 'delete',
            timeoutMs: parseDurationMs(String(args['restart-timeout']), '--restart-timeout'),
            ...(typeof args['metrics-port'] === 'number' ? { metricsPort: args['metrics-port'] } : {}),
            model: load.model,
          },
        }
      : {}),
    snapshot: parseSnapshotArgs(args, load.model),
    load: loadRest,
    minHitRate: ratio(args, 'min-hit-rate'),
    maxErrorRate: load.maxErrorRate,
    ...(args.baseline !== undefined ? { baselineDir: String(args.baseline) } : {}),
    ...(baselineUrl ? { baselineUrl } : {}),
    ...(baselinePolicy !== undefined ? { baselinePolicy } : {}),
    ...(args['results-dir'] !== undefined ? { resultsDir: String(args['results-dir']) } : {}),
    ...(args['pushgateway-url'] !== undefined ? { pushgatewayUrl: String(args['pushgateway-url']) } : {}),
    settleMs: parseDurationMs(String(args.settle), '--settle'),
  };
}

export const runCommand: CommandModule = {
  name: 'run',
  describe:
    'the whole flow without Tekton: [restart →] scrape → warm-up → scrape → ramp-load → scrape → report',
  flags: runFlags,
  async run(args, io) {
    const opts = await parseRunArgs(args, io);
    const { runFlow } = await import('../flow/run-flow.ts');
    return (await runFlow(opts, io)).exitCode;
  },
};
