// The report step (used by `report` and by the run/demo flow): read the snapshots and records, build the
// one Report, print the text table, write report.json / report.md / report.html and the Tekton results.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { fileProblem, makeDirs } from '../files.ts';

/** A snapshot of a few thousand pods is a few MB; far more is not a snapshot. */
const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;
import { writeLine, type Io } from '../io.ts';
import type { Report, Snapshot } from '../types.ts';
import { buildReport } from '../analysis/build-report.ts';
import { describeFailure } from '../analysis/gates.ts';
import { readRecordFiles, readScrapeFiles, readStageFiles } from '../analysis/records.ts';
import { hitRateTimeline } from '../analysis/timeline.ts';
import type { RunAggregate } from '../analysis/record-aggregate.ts';
import { renderText } from './render-text.ts';
import { renderMarkdown } from './render-markdown.ts';
import { GRID_CELLS, GRID_SESSIONS, renderHtml } from './render-html.ts';
import { tektonResults } from './tekton-results.ts';

export interface ReportOptions {
  before: string;
  after: string;
  records: string[];
  stagesFiles: string[];
  scrapesFiles: string[];
  minHitRate: number;
  maxErrorRate: number;
  /** A previous run's out dir: its report.json is shown side by side. */
  baselineDir?: string;
  /** A baseline the caller already holds (the flow's --baseline-url); wins over baselineDir. */
  baseline?: Report['baseline'];
  pushgatewayUrl?: string;
  outDir: string;
  resultsDir?: string;
  runId?: string;
}

export async function readSnapshot(path: string, flag: string): Promise<Snapshot> {
  let text: string;
  const notFile = fileProblem(path, MAX_SNAPSHOT_BYTES);
  if (notFile && !/^E[A-Z]+$/.test(notFile))
    throw new UsageError(
      `cannot read snapshot ${flag} ${path}: ${notFile}; pass a file written by scrape-metrics`,
    );
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`cannot read snapshot ${flag} ${path}: ${e.code ?? 'error'} (${e.message})`);
  }
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `cannot read snapshot ${flag} ${path}: not JSON (${(err as Error).message}); pass a file written by scrape-metrics`,
    );
  }
  const problem = snapshotProblem(x);
  if (problem)
    throw new UsageError(
      `cannot read snapshot ${flag} ${path}: ${problem}; pass a file written by scrape-metrics`,
    );
  return x as Snapshot;
}

export function snapshotProblem(x: unknown): string | undefined {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return 'not a JSON object';
  const s = x as Record<string, unknown>;
  if (typeof s.takenAt !== 'string' || Number.isNaN(Date.parse(s.takenAt)))
    return 'takenAt is not a timestamp';
  if (typeof s.model !== 'string') return 'no model';
  if (!Array.isArray(s.pods)) return 'no pods array';
  for (const p of s.pods as unknown[]) {
    const pod = p as Record<string, unknown> | null;
    if (!pod || typeof pod.name !== 'string' || !pod.counters || typeof pod.counters !== 'object')
      return 'a pod without name or counters';
  }
  return undefined;
}

async function readBaseline(dir: string): Promise<Report['baseline']> {
  const file = join(dir, 'report.json');
  let json: Partial<Report> & { policy?: unknown };
  const problem = fileProblem(file, MAX_SNAPSHOT_BYTES);
  if (problem && !/^E[A-Z]+$/.test(problem))
    throw new UsageError(`cannot read --baseline ${file}: ${problem} (pass a previous run's out dir)`);
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as typeof json;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(
      `cannot read --baseline ${file}: ${e.code ?? e.message} (pass a previous run's out dir)`,
    );
  }
  if (!json.hitRate || !json.latency)
    throw new UsageError(`--baseline ${file} is not a kv-cache-bench report.json`);
  // report.json does not name its routing policy; the flow's out dirs do (…/round-robin), so the folder does.
  const policy = typeof json.policy === 'string' ? json.policy : basename(resolve(dir));
  return {
    policy,
    hitRate: json.hitRate.delta ?? null,
    ttftMs: json.latency.ttftMs,
    ...(json.requests?.throughputRps !== undefined ? { throughputRps: json.requests.throughputRps } : {}),
  };
}

export async function buildAndWriteReport(
  opts: ReportOptions,
  io: Io,
): Promise<{ report: Report; exitCode: number }> {
  const before = await readSnapshot(opts.before, '--before');
  const after = await readSnapshot(opts.after, '--after');
  if (before.model !== after.model) {
    throw new UsageError(
      `the snapshots are of different models: --before ${before.model}, --after ${after.model} (scrape both with the same --model)`,
    );
  }
  if (Date.parse(after.takenAt) < Date.parse(before.takenAt)) {
    throw new UsageError(`--after ${opts.after} was taken before --before ${opts.before} (swap them)`);
  }
  const warnings: string[] = [];
  let run: RunAggregate | undefined;
  if (opts.records.length > 0) {
    const acc = await readRecordFiles(opts.records);
    const chosen = acc.choose(opts.runId);
    if (opts.runId !== undefined && !chosen.run && acc.runs.size > 0) {
      throw new UsageError(
        `--run-id ${opts.runId} matches none of the records (they hold ${[...acc.runs.keys()].join(', ')})`,
      );
    }
    run = chosen.run;
    warnings.push(...chosen.warnings);
  }
  const stages = await readStageFiles(opts.stagesFiles);
  if (stages.dropped > 0)
    warnings.push(
      `${stages.dropped} stage-mark line${stages.dropped === 1 ? '' : 's'} could not be parsed and ${stages.dropped === 1 ? 'was' : 'were'} dropped`,
    );
  const scrapes = await readScrapeFiles(opts.scrapesFiles);
  const baseline = opts.baseline ?? (opts.baselineDir ? await readBaseline(opts.baselineDir) : undefined);

  const report = buildReport({
    before,
    after,
    ...(run ? { run } : {}),
    ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    stageMarks: stages.items,
    minHitRate: opts.minHitRate,
    maxErrorRate: opts.maxErrorRate,
    ...(baseline ? { baseline } : {}),
    warnings,
  });

  makeDirs(opts.outDir, '--out-dir');
  const html = renderHtml(report, {
    timeline: hitRateTimeline(before, scrapes.items, after),
    sessions: run?.sessionPods(GRID_SESSIONS, GRID_CELLS) ?? [],
    sessionCount: run?.servedSessions ?? 0,
  });
  await Promise.all([
    writeFile(join(opts.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`),
    writeFile(join(opts.outDir, 'report.md'), renderMarkdown(report)),
    writeFile(join(opts.outDir, 'report.html'), html),
  ]);
  if (opts.resultsDir) {
    makeDirs(opts.resultsDir, '--results-dir');
    // Tekton results: no trailing newline (DESIGN).
    await Promise.all(
      Object.entries(tektonResults(report)).map(([name, value]) =>
        writeFile(join(opts.resultsDir as string, name), value),
      ),
    );
  }
  io.stdout.write(renderText(report));

  if (opts.pushgatewayUrl) {
    const { pushReport } = await import('./pushgateway.ts');
    try {
      await pushReport(opts.pushgatewayUrl, report);
    } catch (err) {
      // The figures are on disk; a monitoring hiccup must not turn a passing run into a failed one.
      writeLine(io.stderr, `warning: ${(err as Error).message}`);
    }
  }
  for (const gate of report.gates) if (!gate.ok) writeLine(io.stderr, describeFailure(gate));
  return { report, exitCode: report.verdict === 'PASS' ? 0 : 1 };
}
