// `npm run bench [-- SECTION… | soak] [--flags]`: issue #8's benchmark (and issue #7's long run).
//   throughput  ramp-load (non-streaming, streaming) vs autocannon and wrk, same pod, body, concurrency
//   ttft        TTFT error at 1, 64 and 512 streams against a pod with a known TTFT, and bare Node's floor
//   report      `report` over 1,000,000 synthetic records: wall time, peak RSS
//   scrape      `scrape-metrics --via urls` over 64 pods: wall time
//   soak        ramp-load at 50 rps for 10 minutes, memory sampled every 10 s (not part of the default)
// The pods always run in a process of their own (bench/pods-server.ts). Processes whose clocks matter are
// pinned to CPU 0, the pods to CPU 1 for throughput work (DESIGN "Runtime: Timing"). Prints one table,
// figures next to targets, and writes bench/results.json (soak: bench/soak-results.json). Figures, not asserts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clockResolution } from './clock.ts';
import { benchReportScale } from './report-scale.ts';
import { benchScrapeScale } from './scrape-scale.ts';
import { benchSoak } from './soak.ts';
import { benchRows, clockLines, renderTable, type BenchResults } from './table.ts';
import { benchThroughput } from './throughput.ts';
import { benchTtft, type Placement } from './ttft.ts';
import { activate, snapshotCode } from './code.ts';
import { PRIORITY } from './procs.ts';

const SECTIONS = ['throughput', 'ttft', 'report', 'scrape'] as const;
type Section = (typeof SECTIONS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    records: { type: 'string', default: '1000000' },
    'scrape-pods': { type: 'string', default: '64' },
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const num = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!(v > 0)) throw new Error(`--${name} ${String(values[name])} is not a positive number`);
  return v;
};

if (values.help) {
  log(
    'usage: npm run bench [-- [throughput|ttft|report|scrape …] | soak] [--seconds 10 --rounds 3 --concurrency 64 --records 1000000 --scrape-pods 64 --minutes 10 --rate 50 --out FILE --keep]',
  );
  process.exit(0);
}
const unknown = positionals.filter((p) => p !== 'soak' && !(SECTIONS as readonly string[]).includes(p));
if (unknown.length)
  throw new Error(`unknown section ${unknown.join(', ')} (choose from ${SECTIONS.join(', ')}, or soak)`);

// Two CPUs: the load generator and every clock that matters on CPU 0, the pods on CPU 1.
const twoCpus = cpus().length >= 2;
const LOAD_CPU = twoCpus ? 0 : null;
const POD_CPU = twoCpus ? 1 : null;
const bench = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kv-cache-bench-bench-'));
const round2 = (xs: number[]): number[] => xs.map((x) => Math.round(x * 100) / 100);

try {
  // Every process from here on runs this copy of the code, whatever happens to the tree meanwhile.
  const snapshot = snapshotCode(dir);
  activate(snapshot);
  if (snapshot.staleBuild)
    log('warning: src/ changed after the last build; the bench runs the build (npm run bench builds first)');
  if (positionals.includes('soak')) {
    const r = await benchSoak(dir, {
      rateRps: num('rate'),
      minutes: num('minutes'),
      sampleSeconds: 10,
      loadCpu: LOAD_CPU,
      serverCpu: POD_CPU,
      log,
    });
    const out = values.out ?? join(bench, 'soak-results.json');
    writeFileSync(
      out,
      `${JSON.stringify({ startedAt: new Date().toISOString(), loadAverage: round2(loadavg()), ...r }, null, 2)}\n`,
    );
    log('');
    log(
      `soak ${r.stages}: ${r.requests} requests, ${r.errors} errors, achieved ${r.mark?.achievedRps ?? '?'} req/s, schedule lag p99 ${r.mark?.scheduleLagMs.p99 ?? '?'} ms`,
    );
    log(
      `memory, first minute → last minute (medians): RSS ${r.firstMinute.rssMb} → ${r.lastMinute.rssMb} MB, heap used ${r.firstMinute.heapUsedMb} → ${r.lastMinute.heapUsedMb} MB (${r.flatByMinutes ? 'flat' : `up ${r.growth.rssMb} / ${r.growth.heapUsedMb} MB`})`,
    );
    log(
      `memory peaks, first half → second half: RSS ${r.peaks.firstHalf.rssMb} → ${r.peaks.secondHalf.rssMb} MB, heap used ${r.peaks.firstHalf.heapUsedMb} → ${r.peaks.secondHalf.heapUsedMb} MB`,
    );
    log(
      `memory is ${r.flat ? 'FLAT (bounded: the peaks do not rise)' : 'GROWING (the peaks rise)'}; samples in ${out}`,
    );
  } else {
    const sections: Section[] = positionals.length ? (positionals as Section[]) : [...SECTIONS];
    const results: BenchResults = {
      startedAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? '?',
        node: process.version,
        loadAverageBefore: round2(loadavg()),
        cli:
          (snapshot.kind === 'dist' ? 'dist/src/bin.js (a copy)' : 'src/bin.ts (a copy, type stripping)') +
          (process.env.BENCH_CODE_DIR ? ` of BENCH_CODE_DIR=${process.env.BENCH_CODE_DIR}` : ''),
        priority: PRIORITY,
      },
      clock: twoCpus ? [await clockResolution(0), await clockResolution(1)] : [await clockResolution(0)],
    };
    if (sections.includes('throughput')) {
      results.throughput = await benchThroughput({
        dir,
        concurrency: num('concurrency'),
        seconds: num('seconds'),
        rounds: num('rounds'),
        loadCpu: LOAD_CPU,
        serverCpu: POD_CPU,
        log,
      });
    }
    if (sections.includes('ttft')) {
      // Both on CPU 0 (the fine clock for the pods' prefill timer too), and split for comparison.
      const placements: Placement[] = [{ name: 'cpu0', loadCpu: LOAD_CPU, serverCpu: LOAD_CPU }];
      if (twoCpus) placements.push({ name: 'split', loadCpu: LOAD_CPU, serverCpu: POD_CPU });
      results.ttft = await benchTtft(dir, placements, log);
    }
    if (sections.includes('report'))
      results.report = await benchReportScale(dir, num('records'), LOAD_CPU, log);
    if (sections.includes('scrape')) {
      results.scrape = await benchScrapeScale(dir, {
        pods: num('scrape-pods'),
        runs: 5,
        loadCpu: LOAD_CPU,
        serverCpu: POD_CPU,
        log,
      });
    }
    results.machine.loadAverageAfter = round2(loadavg());
    const out = values.out ?? join(bench, 'results.json');
    const rows = benchRows(results);
    writeFileSync(out, `${JSON.stringify({ ...results, table: rows }, null, 2)}\n`);
    process.stdout.write(
      `\n${[...clockLines(results), '', ...renderTable(rows)].join('\n')}\n\nwritten: ${out}\n`,
    );
  }
} finally {
  if (values.keep) log(`kept the bench's files in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
