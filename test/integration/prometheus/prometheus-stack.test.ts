// A real Prometheus and a real Pushgateway (Debian's binaries) over the embedded llm-d stack: Prometheus
// scrapes the decode pods (each target labelled pod/namespace as a PodMonitor would) and the Pushgateway
// (honor_labels). After a `run` through the gateway, `scrape-metrics --via prometheus` must read the same
// counters as `--via pod-ip`; every PromQL expression of dashboards/ evaluates on that server; the pushed
// run figures are queryable; and the PrometheusRule's verdict alert follows the latest pushed run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import { pushReport } from '../../../src/report/pushgateway.ts';
import type { Report, Snapshot } from '../../../src/types.ts';
import { runCli } from '../load/cli-io.ts';
import {
  PROMETHEUS_BIN,
  PUSHGATEWAY_BIN,
  requireBinary,
  startPrometheus,
  startPushgateway,
  until,
  waitForScrapeAfter,
  type PrometheusProcess,
  type ServerProcess,
} from '../../helpers/prometheus.ts';
import { dashboardExprs, ruleExprs, substituteVariables } from './dashboard-exprs.ts';

const ROOT = join(import.meta.dirname, '../../..');
const NAMESPACE = 'llm-d';
const ruleDoc = parse(readFileSync(join(ROOT, 'dashboards/prometheus-rule.yaml'), 'utf8')) as {
  spec: { groups: unknown[] };
};
const dashboard = JSON.parse(readFileSync(join(ROOT, 'dashboards/kv-cache-bench.json'), 'utf8')) as unknown;

let stack: StackHandle | undefined;
let pushgateway: ServerProcess | undefined;
let prom: PrometheusProcess;
let dir: string;
let report: Report;
let trafficDone: number;

const hostPort = (url: string): string => new URL(url).host;
const kube = (): string[] => ['--kubeconfig', stack!.kubeconfigPath, '--namespace', NAMESPACE];

beforeAll(async () => {
  requireBinary(PROMETHEUS_BIN, 'prometheus');
  requireBinary(PUSHGATEWAY_BIN, 'prometheus-pushgateway');
  dir = mkdtempSync(join(tmpdir(), 'kvb-prom-'));
  // round-robin: every pod gets traffic, so every per-pod series has data.
  stack = await startStack({
    pods: 3,
    policy: 'round-robin',
    latency: 'zero',
    tokenizer: 'approx',
    readyDelayMs: 0,
  });
  pushgateway = await startPushgateway();
  prom = await startPrometheus({
    jobs: [
      {
        name: 'vllm',
        targets: stack.pods.map((p) => ({
          address: hostPort(p.url),
          labels: { pod: p.name, namespace: NAMESPACE },
        })),
      },
      { name: 'pushgateway', honorLabels: true, targets: [{ address: hostPort(pushgateway.url) }] },
    ],
    // What prometheus-operator writes for a PrometheusRule: its spec as a rule file.
    ruleGroups: ruleDoc.spec.groups,
  });
  // Prometheus applies new targets a few seconds after start-up: let it see the pods before the load, so
  // every rate() spans the traffic.
  await waitForScrapeAfter(prom, 'vllm', stack.pods.length, 0);

  // --min-hit-rate 1 can never pass (vLLM caps hits at N-1 tokens): the pushed verdict is FAIL.
  const run = await runCli([
    'run',
    '--gateway-url',
    stack.gatewayUrl,
    ...kube(),
    '--sessions',
    '6',
    '--turns',
    '3',
    '--max-tokens',
    '40',
    '--tokenizer',
    'approx',
    '--stages',
    '3x12',
    '--settle',
    '100ms',
    '--min-hit-rate',
    '1',
    '--pushgateway-url',
    pushgateway.url,
    '--out-dir',
    join(dir, 'run'),
  ]);
  if (run.code !== 1) throw new Error(`run exited ${run.code}: ${run.stderr}`);
  trafficDone = Date.now();
  report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8')) as Report;
}, 40_000);

afterAll(async () => {
  await prom?.close();
  await pushgateway?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scrape(via: string, extra: string[]): Promise<Snapshot> {
  const out = join(dir, `snapshot-${via}.json`);
  const r = await runCli(['scrape-metrics', '--via', via, ...kube(), ...extra, '--out', out]);
  expect(r).toMatchObject({ code: 0 });
  return JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
}

/** The pushed group of this run, once Prometheus has scraped the Pushgateway after the push. */
function pushedVerdict(
  runId: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  return until(`the pushed verdict of ${runId}`, async () => {
    const v = await prom.vector(`kv_cache_bench_verdict{job="kv-cache-bench", run_id="${runId}"}`);
    return v.length > 0 ? v : undefined;
  });
}

it('reads back through PromQL the same counters as from the pods, once Prometheus has scraped after the load', async () => {
  const direct = await scrape('pod-ip', []);
  await waitForScrapeAfter(prom, 'vllm', stack!.pods.length, trafficDone);
  const viaProm = await scrape('prometheus', ['--prometheus-url', prom.url]);

  expect(viaProm.source).toBe('prometheus');
  expect(viaProm.pods.map((p) => p.name)).toEqual(direct.pods.map((p) => p.name));
  for (const [i, pod] of viaProm.pods.entries()) {
    expect(pod.error).toBeUndefined();
    expect(pod.counters).toEqual(direct.pods[i]!.counters);
    // Real traffic reached every pod: the comparison is not 0 = 0.
    expect(pod.counters.prefixCacheQueries).toBeGreaterThan(0);
    expect(pod.counters.requestSuccess).toBeGreaterThan(0);
  }
});

it('makes the pushed run figures queryable through the Pushgateway scrape', async () => {
  const run = `run_id="${report.runId}"`;
  const [verdict] = await pushedVerdict(report.runId);
  expect(Number(verdict!.value[1])).toBe(0);
  const [delta] = await prom.vector(`kv_cache_bench_hit_rate{job="kv-cache-bench", ${run}, kind="delta"}`);
  expect(Number(delta!.value[1])).toBeCloseTo(report.hitRate.delta!, 9);
  const [p50] = await prom.vector(`kv_cache_bench_ttft_seconds{${run}, quantile="0.5"}`);
  expect(Number(p50!.value[1])).toBeCloseTo(report.latency.ttftMs.p50! / 1000, 9);
  const shares = await prom.vector(`kv_cache_bench_pod_share{${run}}`);
  expect(shares.map((s) => s.metric.pod).sort()).toEqual(report.pods.map((p) => p.name).sort());
  const [grade] = await prom.vector(`kv_cache_bench_stickiness{${run}} == 1`);
  expect(grade!.metric.grade).toBe(report.stickiness.grade);
});

it('evaluates every dashboard panel query on the real server, each with numbers', async () => {
  await waitForScrapeAfter(prom, 'vllm', stack!.pods.length, trafficDone);
  await pushedVerdict(report.runId);
  const exprs = dashboardExprs(dashboard);
  expect(exprs.length).toBeGreaterThanOrEqual(10);
  for (const { panel, expr } of exprs) {
    const answer = await prom.query(substituteVariables(expr, { namespace: NAMESPACE, model: '.*' }));
    expect({ panel, expr, status: answer.status, error: answer.error }).toEqual({
      panel,
      expr,
      status: 'success',
      error: undefined,
    });
    // Every panel draws something: at least one series, each a number (round-robin fed every pod).
    const values = (answer.data?.result as { value: [number, string] }[]).map((s) => Number(s.value[1]));
    expect({ panel, expr, values: values.length > 0 && values.every(Number.isFinite) }).toEqual({
      panel,
      expr,
      values: true,
    });
  }
});

it('evaluates every PrometheusRule expression without error and loads the rules healthy', async () => {
  const exprs = ruleExprs(ruleDoc);
  expect(exprs.map((e) => e.name)).toEqual(
    expect.arrayContaining(['VllmPrefixCacheHitRateLow', 'KvCacheBenchRunFailed']),
  );
  for (const { name, expr } of exprs) {
    const answer = await prom.query(expr);
    expect({ name, status: answer.status, error: answer.error }).toEqual({
      name,
      status: 'success',
      error: undefined,
    });
  }
  const rules = await until('every rule evaluated', async () => {
    const res = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const all = res.data.groups.flatMap((g) => g.rules);
    return all.length === exprs.length && all.every((r) => r.health !== 'unknown') ? all : undefined;
  });
  for (const r of rules)
    expect({ name: r.name, health: r.health, lastError: r.lastError ?? '' }).toEqual({
      name: r.name,
      health: 'ok',
      lastError: '',
    });
});

it('fires KvCacheBenchRunFailed while the latest pushed run failed, and resolves after a passing one', async () => {
  const firing = (): Promise<{ metric: Record<string, string> }[]> =>
    prom.vector('ALERTS{alertname="KvCacheBenchRunFailed", alertstate="firing"}');
  const [alert] = await until('the FAIL alert', async () => {
    const a = await firing();
    return a.length > 0 ? a : undefined;
  });
  expect(alert!.metric.run_id).toBe(report.runId);

  // A later run that passed: the old FAIL group stays in the Pushgateway but is no longer the latest.
  await pushReport(pushgateway!.url, { ...report, runId: `${report.runId}-next`, verdict: 'PASS' });
  await until('the alert to resolve', async () => ((await firing()).length === 0 ? true : undefined));
  const verdicts = await prom.vector('kv_cache_bench_verdict{job="kv-cache-bench"}');
  expect(verdicts).toHaveLength(2);
});
