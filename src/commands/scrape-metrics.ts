// scrape-metrics: one snapshot of every decode pod's vLLM counters, written as JSON (DESIGN "Snapshot").
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CommandModule } from '../cli.ts';
import { UsageError } from '../errors.ts';
import { writeLine } from '../io.ts';
import type { ScrapeVia } from '../types.ts';
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
    const via = String(args.via) as ScrapeVia;
    const urls =
      typeof args.urls === 'string'
        ? args.urls
            .split(',')
            .map((u) => u.trim())
            .filter(Boolean)
        : undefined;
    if (urls && via !== 'urls')
      throw new UsageError(`--urls is only read with --via urls (got --via ${via})`);
    const port = args['metrics-port'] as number | undefined;
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      throw new UsageError(`--metrics-port ${String(port)} is not a port number (1-65535)`);
    }
    const out = String(args.out);
    const { takeSnapshotWith } = await import('../metrics/take-snapshot.ts');
    const snapshot = await takeSnapshotWith(
      {
        via,
        namespace: String(args.namespace),
        selector: String(args.selector),
        ...(args.kubeconfig !== undefined ? { kubeconfig: String(args.kubeconfig) } : {}),
        ...(urls ? { urls } : {}),
        ...(port !== undefined ? { metricsPort: port } : {}),
        ...(args['prometheus-url'] !== undefined ? { prometheusUrl: String(args['prometheus-url']) } : {}),
        ...(args['token-file'] !== undefined ? { tokenFile: String(args['token-file']) } : {}),
        model: String(args.model),
        label: String(args.label),
      },
      io,
      { warn: (m) => writeLine(io.stderr, `warning: ${m}`) },
    );
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(snapshot, null, 2)}\n`);

    const read = snapshot.pods.filter((p) => !p.error);
    const sum = (f: 'prefixCacheQueries' | 'prefixCacheHits'): number =>
      read.reduce((s, p) => s + (p.counters[f] ?? 0), 0);
    const q = sum('prefixCacheQueries');
    const h = sum('prefixCacheHits');
    writeLine(
      io.stderr,
      `scrape-metrics ${snapshot.label}: ${read.length}/${snapshot.pods.length} pods read via ${via}, prefix cache ${h} hits / ${q} queries` +
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
