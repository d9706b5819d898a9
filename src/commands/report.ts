// report: from two snapshots (and the run's records, stage marks, periodic scrapes) to the verdict:
// the text table on stdout, report.json / .md / .html, Tekton results; exit 1 when a gate fails.
import type { CommandModule } from '../cli.ts';
import { UsageError } from '../errors.ts';

function ratioFlag(args: Record<string, unknown>, name: string): number {
  const v = args[name];
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || v > 1)
    throw new UsageError(`--${name} ${String(v)} is not a ratio between 0 and 1 (e.g. 0.9)`);
  return v;
}

function files(args: Record<string, unknown>, name: string): string[] {
  const v = args[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .map(String)
    .flatMap((s) => s.split(','))
    .filter(Boolean);
}

export const reportCommand: CommandModule = {
  name: 'report',
  describe: 'compute hit rates, stickiness, latency and gates from snapshots and records; write the reports',
  flags: {
    before: {
      type: 'string',
      demandOption: true,
      describe: 'snapshot taken before the measured loop (scrape-metrics --out)',
    },
    after: { type: 'string', demandOption: true, describe: 'snapshot taken after it' },
    records: { type: 'array', string: true, describe: 'request records JSONL file(s) (shards merge)' },
    'stages-file': {
      type: 'array',
      string: true,
      describe: 'stage marks JSONL file(s) (ramp-load --stage-out)',
    },
    'scrapes-file': {
      type: 'array',
      string: true,
      describe: 'periodic snapshots JSONL file(s) for the hit-rate chart',
    },
    'min-hit-rate': { type: 'number', default: 0.9, describe: 'gate: lowest acceptable delta hit rate' },
    'max-error-rate': {
      type: 'number',
      default: 0.05,
      describe: 'gate: highest acceptable share of failed measured requests',
    },
    baseline: { type: 'string', describe: "a previous run's out dir: its report.json is shown side by side" },
    'pushgateway-url': {
      type: 'string',
      describe: 'push the figures to this Prometheus Pushgateway (job kv-cache-bench)',
    },
    'out-dir': { type: 'string', default: '.', describe: 'where report.json, report.md and report.html go' },
    'results-dir': {
      type: 'string',
      describe: 'write Tekton result files (hit-rate, stickiness, verdict, summary) here',
    },
    'run-id': { type: 'string', describe: 'report this run only (default: the run with the most records)' },
  },
  async run(args, io) {
    const minHitRate = ratioFlag(args, 'min-hit-rate');
    const maxErrorRate = ratioFlag(args, 'max-error-rate');
    const pushgatewayUrl = args['pushgateway-url'] as string | undefined;
    if (pushgatewayUrl !== undefined && !/^https?:\/\/[^/]/.test(pushgatewayUrl)) {
      throw new UsageError(`--pushgateway-url ${pushgatewayUrl} is not an http(s) URL`);
    }
    const { buildAndWriteReport } = await import('../report/index.ts');
    const { exitCode } = await buildAndWriteReport(
      {
        before: String(args.before),
        after: String(args.after),
        records: files(args, 'records'),
        stagesFiles: files(args, 'stages-file'),
        scrapesFiles: files(args, 'scrapes-file'),
        minHitRate,
        maxErrorRate,
        ...(args.baseline !== undefined ? { baselineDir: String(args.baseline) } : {}),
        ...(pushgatewayUrl !== undefined ? { pushgatewayUrl } : {}),
        outDir: String(args['out-dir']),
        ...(args['results-dir'] !== undefined ? { resultsDir: String(args['results-dir']) } : {}),
        ...(args['run-id'] !== undefined ? { runId: String(args['run-id']) } : {}),
      },
      io,
    );
    return exitCode;
  },
};
