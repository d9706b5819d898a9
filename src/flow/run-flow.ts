// The whole flow that `run` and `demo` share, composed of the same step functions the single commands
// use: restart (optional) → scrape → warm-up → scrape → ramp-load → scrape → report, everything under one
// out dir (DESIGN "Out-dir layout"). A load that fails still gets its report: the report says why.
import { writeFile } from 'node:fs/promises';
import { makeDirs } from '../files.ts';
import { join } from 'node:path';
import { Interrupted } from '../errors.ts';
import { writeLine, type Io } from '../io.ts';
import type { Report } from '../types.ts';
import type { TakeSnapshotOptions } from '../metrics/take-snapshot.ts';
import type { RampLoadOptions } from '../load/options.ts';
import type { RestartStepOptions } from '../commands/restart-pods.ts';

export interface RunFlowOptions {
  outDir: string;
  restart?: RestartStepOptions;
  snapshot: Omit<TakeSnapshotOptions, 'label'>;
  /** ramp-load's options; `out`/`stageOut` are set by the flow inside outDir. */
  load: Omit<RampLoadOptions, 'warmupState' | 'out' | 'stageOut'>;
  minHitRate: number;
  maxErrorRate: number;
  baselineDir?: string;
  baselineUrl?: string;
  /** What the baseline route is, for the report (default: its URL). */
  baselinePolicy?: string;
  /** Where the Tekton result files of the measured pass go (default `<outDir>/results`). */
  resultsDir?: string;
  pushgatewayUrl?: string;
  /** vLLM updates its counters a few ms after each engine step: scrape after a short pause (research §1.1). */
  settleMs: number;
}

export interface FlowOutcome {
  report: Report;
  exitCode: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One measured pass against one route: the files of the out-dir layout, then the report. */
async function measure(
  opts: RunFlowOptions,
  gatewayUrl: string,
  outDir: string,
  resultsDir: string,
  io: Io,
  baseline?: Report['baseline'],
): Promise<FlowOutcome> {
  const log = (line: string) => writeLine(io.stderr, line);
  const { takeSnapshot } = await import('../metrics/take-snapshot.ts');
  const { runWarmup, runRampLoad } = await import('../load/index.ts');
  const { buildAndWriteReport } = await import('../report/index.ts');
  makeDirs(outDir, '--out-dir');

  const snap = async (label: string, file: string) => {
    const s = await takeSnapshot({ ...opts.snapshot, label }, io);
    await writeFile(join(outDir, file), `${JSON.stringify(s, null, 2)}\n`);
    return s;
  };

  if (opts.restart) {
    const { restartStep } = await import('./restart-step.ts');
    await restartStep({ ...opts.restart, out: join(outDir, 'restart.json') }, io);
  }
  await snap('start', 'snapshot-0-start.json');
  const load = { ...opts.load, gatewayUrl };
  let loadError: Error | undefined;
  try {
    const warm = await runWarmup({ ...load, out: join(outDir, 'warmup.jsonl') }, io);
    await sleep(opts.settleMs);
    await snap('warm', 'snapshot-1-warm.json');
    await runRampLoad(
      {
        ...load,
        runId: warm.runId,
        warmupState: warm.state,
        out: join(outDir, 'records.jsonl'),
        stageOut: join(outDir, 'records.stages.jsonl'),
      },
      io,
    );
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    loadError = err as Error;
    log(`load failed: ${loadError.message}; reporting what finished`);
  }
  await sleep(opts.settleMs);
  await snap('end', 'snapshot-2-end.json');
  const { existsSync } = await import('node:fs');
  const warmSnapshot = join(outDir, 'snapshot-1-warm.json');
  const { report, exitCode } = await buildAndWriteReport(
    {
      // If warm-up itself failed there is no warm snapshot: measure from the start.
      before: existsSync(warmSnapshot) ? warmSnapshot : join(outDir, 'snapshot-0-start.json'),
      after: join(outDir, 'snapshot-2-end.json'),
      records: [join(outDir, 'records.jsonl')].filter((f) => existsSync(f)),
      stagesFiles: [join(outDir, 'records.stages.jsonl')].filter((f) => existsSync(f)),
      scrapesFiles: [join(outDir, 'records.jsonl.scrapes.jsonl')].filter((f) => existsSync(f)),
      minHitRate: opts.minHitRate,
      maxErrorRate: opts.maxErrorRate,
      ...(opts.baselineDir ? { baselineDir: opts.baselineDir } : {}),
      ...(baseline ? { baseline } : {}),
      ...(opts.pushgatewayUrl ? { pushgatewayUrl: opts.pushgatewayUrl } : {}),
      outDir,
      resultsDir,
    },
    io,
  );
  return { report, exitCode: loadError ? 1 : exitCode };
}

export async function runFlow(opts: RunFlowOptions, io: Io): Promise<FlowOutcome> {
  let baseline: Report['baseline'];
  if (opts.baselineUrl) {
    // The same seeded workload through the second route, after its own restart, so neither pass
    // inherits the other's cache.
    writeLine(io.stderr, `baseline pass through ${opts.baselineUrl}`);
    // Its results stay in its own folder: the run's results (e.g. /tekton/results) are the measured pass's.
    const baselineDir = join(opts.outDir, 'baseline');
    const b = await measure(opts, opts.baselineUrl, baselineDir, join(baselineDir, 'results'), io);
    baseline = {
      policy: opts.baselinePolicy ?? opts.baselineUrl,
      hitRate: b.report.hitRate.delta,
      ttftMs: b.report.latency.ttftMs,
      ...(b.report.requests.throughputRps !== undefined
        ? { throughputRps: b.report.requests.throughputRps }
        : {}),
    };
  }
  const resultsDir = opts.resultsDir ?? join(opts.outDir, 'results');
  const outcome = await measure(opts, opts.load.gatewayUrl, opts.outDir, resultsDir, io, baseline);
  writeLine(io.stderr, `out dir: ${opts.outDir}`);
  return outcome;
}

export function defaultOutDir(nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join('kv-cache-bench-out', stamp);
}
