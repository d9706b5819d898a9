// warmup: each session's first turn through the gateway (phase "warmup" records, appended to --out),
// then `<out>.sessions.json` so `ramp-load --warmup-state` continues the same conversations.
import { makeParentDirs } from '../files.ts';
import type { CommandModule } from '../cli.ts';
import { writeLine } from '../io.ts';
import { parseLoadArgs } from '../load/args.ts';
import { loadFlags } from './flags.ts';

export const warmupCommand: CommandModule = {
  name: 'warmup',
  describe: "send each session's first turn, so the measured loop starts from warm, known conversations",
  flags: {
    ...loadFlags,
    out: {
      type: 'string',
      demandOption: true,
      describe: 'request records JSONL (appended); the session histories go to <out>.sessions.json',
    },
    'max-error-rate': {
      type: 'number',
      default: 0.05,
      describe: 'stop with exit 1 when this fraction of requests failed (judged after 20 requests)',
    },
    shard: { type: 'string', describe: 'i/K: warm only the sessions with index % K == i' },
    'run-id': { type: 'string', describe: 'run id stamped on every record (default: kvb-<UTC time>-<seed>)' },
  },
  async run(args, io) {
    const opts = parseLoadArgs(args, io.env);
    makeParentDirs(opts.out, '--out');
    const { runWarmup } = await import('../load/index.ts');
    const result = await runWarmup(opts, io);
    writeLine(
      io.stderr,
      `warmup ${result.runId}: ${result.requests} requests, ${result.errors} errors -> ${result.recordsFile}, sessions -> ${result.sessionsFile}`,
    );
    return 0;
  },
};
