// scrape-metrics: one snapshot of every decode pod's vLLM counters, written as JSON (DESIGN "Snapshot").
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { makeParentDirs } from '../files.ts';
import type { CommandModule } from '../cli.ts';
import { writeLine } from '../io.ts';
import { DEFAULT_MODEL, kubeFlags, scrapeFlags } from './flags.ts';

export const scrapeMetricsCommand: CommandModule = {
  name: 'scrape-metrics',
  describe: "snapshot the decode pods' vLLM prefix-cache counters into a JSON file",
  flags: {
    ...kubeFlags,
    ...scrapeFlags,
    model: {
      type: 'string',
      default: DEFAULT_MODEL,
      describe: 'model_name to read when a pod serves several',
    },
    label: {
      type: 'string',
      default: 'snapshot',
      describe: 'label stored in the snapshot (e.g. start, warm, end)',
    },
    out: { type: 'string', demandOption: true, describe: 'write the snapshot JSON here' },
  },
  async run(args, io) {
    const { parseSnapshotArgs } = await import('./snapshot-args.ts');
    const opts = { ...parseSnapshotArgs(args, String(args.model)), label: String(args.label) };
    const out = String(args.out);
    // Before any request: a path that cannot be written is bad input, found at once.
    makeParentDirs(out, '--out');
    const { takeSnapshotWith } = await import('../metrics/take-snapshot.ts');
    const snapshot = await takeSnapshotWith(opts, io, { warn: (m) => writeLine(io.stderr, `warning: ${m}`) });
    try {
      await writeFile(out, `${JSON.stringify(snapshot, null, 2)}\n`);
    } catch (err) {
      throw new UsageError(
        `cannot write --out ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }

    const read = snapshot.pods.filter((p) => !p.error);
    const sum = (f: 'prefixCacheQueries' | 'prefixCacheHits'): number =>
      read.reduce((s, p) => s + (p.counters[f] ?? 0), 0);
    const q = sum('prefixCacheQueries');
    const h = sum('prefixCacheHits');
    writeLine(
      io.stderr,
      `scrape-metrics ${snapshot.label}: ${read.length}/${snapshot.pods.length} pods read via ${opts.via}, prefix cache ${h} hits / ${q} queries` +
        `${q > 0 ? ` (${((h / q) * 100).toFixed(1)} %)` : ''} -> ${out}`,
    );
    for (const p of snapshot.pods) if (p.error) writeLine(io.stderr, `  pod ${p.name}: ${p.error}`);
    if (read.length === 0) {
      writeLine(io.stderr, 'scrape-metrics: no pod could be read (see above); the snapshot records why');
      return 1;
    }
    return 0;
  },
};
