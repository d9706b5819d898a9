// --pushgateway-url: the run's figures as Prometheus gauges, pushed under job `kv-cache-bench` and the run
// id, so a Grafana panel can trend hit rate and TTFT across nightly runs. A fresh Registry each time: the
// global one would carry the process' own default metrics. Imported lazily (prom-client).
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { TargetError } from '../errors.ts';
import type { Report } from '../types.ts';

export const PUSH_JOB = 'kv-cache-bench';

export function registryOf(report: Report): Registry {
  const registry = new Registry();
  const hitRate = new Gauge({
    name: 'kv_cache_bench_hit_rate',
    help: 'Prefix-cache hit rate of the run (ratio).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const set = (kind: string, v: number | null | undefined): void => {
    if (v !== null && v !== undefined) hitRate.set({ kind }, v);
  };
  set('delta', report.hitRate.delta);
  set('overall', report.hitRate.overall);
  set('upper_bound', report.hitRate.upperBound);
  set('from_usage', report.hitRate.fromUsage);

  const podRate = new Gauge({
    name: 'kv_cache_bench_pod_hit_rate',
    help: 'Delta prefix-cache hit rate per pod.',
    labelNames: ['pod'],
    registers: [registry],
  });
  const podShare = new Gauge({
    name: 'kv_cache_bench_pod_share',
    help: 'Pod share of the delta prefix-cache queries.',
    labelNames: ['pod'],
    registers: [registry],
  });
  for (const p of report.pods) {
    if (p.hitRate !== null) podRate.set({ pod: p.name }, p.hitRate);
    if (p.share !== null) podShare.set({ pod: p.name }, p.share);
  }

  const ttft = new Gauge({
    name: 'kv_cache_bench_ttft_seconds',
    help: 'Time to first token of measured requests.',
    labelNames: ['quantile'],
    registers: [registry],
  });
  for (const [q, v] of [
    ['0.5', report.latency.ttftMs.p50],
    ['0.95', report.latency.ttftMs.p95],
    ['0.99', report.latency.ttftMs.p99],
  ] as const) {
    if (v !== null) ttft.set({ quantile: q }, v / 1000);
  }
  const requests = new Gauge({
    name: 'kv_cache_bench_requests',
    help: 'Measured requests by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  requests.set({ outcome: 'ok' }, report.requests.total - report.requests.errors);
  requests.set({ outcome: 'error' }, report.requests.errors);
  new Gauge({
    name: 'kv_cache_bench_stickiness',
    help: 'Stickiness grade of the run (1 for the grade reached).',
    labelNames: ['grade'],
    registers: [registry],
  }).set({ grade: report.stickiness.grade }, 1);
  new Gauge({
    name: 'kv_cache_bench_verdict',
    help: '1 when every gate passed, else 0.',
    registers: [registry],
  }).set(report.verdict === 'PASS' ? 1 : 0);
  return registry;
}

export async function pushReport(url: string, report: Report): Promise<void> {
  const gateway = new Pushgateway(url.replace(/\/+$/, ''), { timeout: 10_000 }, registryOf(report));
  try {
    // PUT: this run's group holds exactly these figures, even if pushed twice.
    await gateway.push({ jobName: PUSH_JOB, groupings: { run_id: report.runId } });
  } catch (err) {
    throw new TargetError(`cannot push to the Pushgateway ${url}: ${(err as Error).message}`);
  }
}
