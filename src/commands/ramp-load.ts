// ramp-load: the measured stages through the gateway: request records (appended to --out), one stage mark
// per stage (--stage-out), and with --scrape-every a snapshot of the pods' counters every DUR.
import { makeParentDirs } from '../files.ts';
import type { CommandModule } from '../cli.ts';
import { writeLine } from '../io.ts';
import { parseRampArgs } from '../load/args.ts';
import { kubeFlags, loadFlags, scrapeFlags } from './flags.ts';

/** 24 sessions × 9 more turns after warm-up's first: turns 2–10 of the demo shape, at two concurrencies. */
export const DEFAULT_STAGES = '8x72,16x144';

export const rampLoadCommand: CommandModule = {
  name: 'ramp-load',
  describe: 'run the measured load stages through the gateway and record every request',
  flags: {
    ...loadFlags,
    ...kubeFlags,
    ...scrapeFlags,
    out: {
      type: 'string',
      demandOption: true,
      describe: 'request records JSONL (appended as requests finish)',
    },
    stages: {
      type: 'string',
      default: DEFAULT_STAGES,
      describe:
        'comma-separated stages: <concurrency>x<duration|count> (8x30s, 16x200) or <rate>rps:<duration|count> (20rps:1m)',
    },
    'stage-out': { type: 'string', describe: 'stage marks JSONL (default <out>.stages.jsonl)' },
    'max-error-rate': {
      type: 'number',
      default: 0.05,
      describe: 'stop with exit 1 when this fraction of requests failed (judged after 20 requests)',
    },
    workers: { type: 'number', default: 1, describe: 'worker threads sharing the sessions (for high rates)' },
    shard: {
      type: 'string',
      describe:
        'i/K: run the sessions with index % K == i and that share of every stage (K shards = one run)',
    },
    'run-id': {
      type: 'string',
      describe: "run id stamped on every record (default: the warm-up's, else kvb-<UTC time>-<seed>)",
    },
    'warmup-state': {
      type: 'string',
      describe:
        'the <out>.sessions.json warmup wrote: continue its conversations (same date pin, same run id); without it, start fresh conversations',
    },
    'scrape-every': {
      type: 'string',
      describe:
        "snapshot the pods' counters every DUR (e.g. 15s) into <out>.scrapes.jsonl, using the scrape flags",
    },
  },
  async run(args, io) {
    const parsed = parseRampArgs(args, io.env);
    const { readWarmupState, runRampLoad } = await import('../load/index.ts');
    const statePath = args['warmup-state'];
    const warmupState = statePath !== undefined ? readWarmupState(String(statePath)) : undefined;
    makeParentDirs(parsed.out, '--out');
    if (parsed.stageOut) makeParentDirs(parsed.stageOut, '--stage-out');
    const result = await runRampLoad({ ...parsed, ...(warmupState ? { warmupState } : {}) }, io);
    const limited = result.marks.filter((m) => m.generatorLimited).map((m) => m.stage);
    writeLine(
      io.stderr,
      `ramp-load ${result.runId}: ${result.requests} requests, ${result.errors} errors in ${result.marks.length} stages -> ${result.recordsFile}, marks -> ${result.stagesFile}` +
        (limited.length ? ` (generator-limited: stage ${limited.join(', ')})` : ''),
    );
    return 0;
  },
};
