// --via prometheus against a real Prometheus (Debian's binary) scraping embedded vLLM pods, and the report's
// Pushgateway push against a real Pushgateway: the PromQL we send and the grouping we push must be what
// those servers accept, not what a stand-in answers.
import { PassThrough } from 'node:stream';
import { repeatChat, startSmallPods } from '../../helpers/small-pods.ts';
import type { VllmPodHandle } from '../../../src/sim/contracts.ts';
import { takeSnapshotWith } from '../../../src/metrics/take-snapshot.ts';
import { pushReport } from '../../../src/report/pushgateway.ts';
import type { PodControl, PodInfo } from '../../../src/kube/types.ts';
import { fakePodInfo } from '../../helpers/pod-info.ts';
import type { Report } from '../../../src/types.ts';
import {
  PROMETHEUS_BIN,
  PUSHGATEWAY_BIN,
  requireBinary,
  startPrometheus,
  startPushgateway,
  waitForScrapeAfter,
  type PrometheusProcess,
  type ServerProcess,
} from '../../helpers/prometheus.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';

function podControl(names: string[]): PodControl {
  const info = (name: string): PodInfo => fakePodInfo(name);

  const none = async (): Promise<never> => {
    throw new Error('not used with --via prometheus');
  };
  return {
    namespace: 'llm-d',
    listPods: async () => names.map(info),
    proxyGet: none,
    deletePod: none,
    watchPods: none,
    rolloutRestart: none,
    ownerOf: none,
  };
}

describe('--via prometheus with a real Prometheus', () => {
  let pods: VllmPodHandle[];
  let prom: PrometheusProcess;

  beforeAll(async () => {
    requireBinary(PROMETHEUS_BIN, 'prometheus');
    pods = await startSmallPods(MODEL, ['decode-a', 'decode-b']);
    await repeatChat(pods[0]!.url, MODEL, 'a question about the prefix cache '.repeat(10), 3);
    // What a PodMonitor's relabelling gives: pod and namespace target labels.
    prom = await startPrometheus({
      jobs: [
        {
          name: 'vllm',
          targets: pods.map((p) => ({
            address: `127.0.0.1:${p.port}`,
            labels: { pod: p.name, namespace: 'llm-d' },
          })),
        },
      ],
    });
    await waitForScrapeAfter(prom, 'vllm', 2, Date.now());
  });

  afterAll(async () => {
    await prom?.close();
    await Promise.all((pods ?? []).map((p) => p.close()));
  });

  it('reads the same counters Prometheus scraped as the pods expose, never adding the gpu_ copies', async () => {
    const io = {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      env: {},
      now: () => Date.now(),
      signal: new AbortController().signal,
    };
    const snap = await takeSnapshotWith(
      {
        via: 'prometheus',
        namespace: 'llm-d',
        selector: 'llm-d.ai/role=decode',
        model: MODEL,
        label: 'end',
        prometheusUrl: prom.url,
      },
      io,
      { podControl: podControl(['decode-a', 'decode-b']), warn: () => undefined },
    );
    const direct = await takeSnapshotWith(
      {
        via: 'urls',
        namespace: 'llm-d',
        selector: '',
        model: MODEL,
        label: 'end',
        urls: pods.map((p) => `${p.url}/metrics`),
      },
      io,
      {},
    );
    expect(snap.pods.map((p) => p.error)).toEqual([undefined, undefined]);
    expect(snap.pods.map((p) => p.counters)).toEqual(direct.pods.map((p) => p.counters));
    expect(snap.pods[0]?.counters.requestSuccess).toBe(3);
    expect(snap.pods[0]?.counters.prefixCacheHits).toBeGreaterThan(0);
  });
});

describe('pushing to a real Pushgateway', () => {
  let gateway: ServerProcess;

  beforeAll(async () => {
    requireBinary(PUSHGATEWAY_BIN, 'prometheus-pushgateway');
    gateway = await startPushgateway();
  });
  afterAll(() => gateway?.close());

  it('stores the run figures under job kv-cache-bench and the run id', async () => {
    const report: Report = {
      runId: 'kvb-20261127T031500Z-42',
      verdict: 'FAIL',
      hitRate: { delta: 0.6123, overall: 0.7, upperBound: 0.95 },
      pods: [{ name: 'decode-a', queries: 100, hits: 61, hitRate: 0.61, share: 1, restarted: false }],
      stickiness: { grade: 'POOR', topPodShare: 1, balance: 1, hotSpot: false },
      requests: { total: 10, errors: 0 },
      latency: { ttftMs: { p50: 20, p95: 40, p99: 50 }, e2eMs: { p50: 100, p95: 200, p99: 300 } },
      stages: [],
      warnings: [],
      gates: [],
    };
    await pushReport(gateway.url, report);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = (name: string) =>
      text.split('\n').find((l) => l.startsWith(name) && l.includes('run_id="kvb-20261127T031500Z-42"'));
    expect(line('kv_cache_bench_hit_rate{')).toMatch(/job="kv-cache-bench"/);
    expect(line('kv_cache_bench_hit_rate{') ?? '').toMatch(/kind="delta".* 0\.6123$/);
    expect(line('kv_cache_bench_verdict{')).toMatch(/ 0$/);
    expect(line('kv_cache_bench_ttft_seconds{') ?? '').toMatch(/quantile="0\.5".* 0\.02$/);
  });
});
