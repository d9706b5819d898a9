// scrape-metrics and takeSnapshot over real loopback HTTP: embedded vLLM pods, a pod answering garbage,
// a closed port, a Prometheus-shaped query API. Pod discovery goes through the PodControl role interface.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { repeatChat, startSmallPods } from '../../helpers/small-pods.ts';
import type { VllmPodHandle } from '../../../src/sim/contracts.ts';
import { takeSnapshotWith, type TakeSnapshotOptions } from '../../../src/metrics/take-snapshot.ts';
import { main } from '../../../src/cli.ts';
import type { PodControl, PodInfo } from '../../../src/kube/types.ts';
import { fakePodInfo } from '../../helpers/pod-info.ts';
import type { Io } from '../../../src/io.ts';
import type { Snapshot } from '../../../src/types.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'src/bin.ts'), ...args], { cwd: ROOT, timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

/** The same entry as bin.ts, without a process per bad-input case. */
async function inProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, { ...io(), stderr });
  return { code, stderr: err };
}

function listen(handler: (req: IncomingMessage, body: string) => [number, string]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const [status, text] = handler(req, body);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const s = await listen(() => [200, '']);
  const port = portOf(s);
  await new Promise((r) => s.close(r));
  return port;
}

function io(): Io {
  return {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: {},
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    signal: new AbortController().signal,
  };
}

function podInfo(name: string, port: number, over: Partial<PodInfo> = {}): PodInfo {
  return fakePodInfo(name, {
    labels: { 'llm-d.ai/role': 'decode' },
    containerPorts: [{ container: 'vllm', name: 'http', containerPort: port }],
    ...over,
  });
}

/** The PodControl role over a fixed pod list; proxyGet really GETs the pod, as the API server would. */
function podControl(pods: PodInfo[]): PodControl {
  return {
    namespace: 'llm-d',
    listPods: async (selector) => (selector === 'llm-d.ai/role=decode' ? pods : []),
    proxyGet: async (name, port, path) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (!res.ok) throw new Error(`proxy: HTTP ${res.status} for ${name}`);
      return res.text();
    },
    deletePod: async () => undefined,
    watchPods: async () => undefined,
    rolloutRestart: async () => undefined,
    ownerOf: async () => undefined,
  };
}

const base: TakeSnapshotOptions = {
  via: 'pod-ip',
  namespace: 'llm-d',
  selector: 'llm-d.ai/role=decode',
  model: MODEL,
  label: 'end',
};

describe('scraping pods over HTTP', () => {
  let pods: VllmPodHandle[];
  let garbage: Server;
  let refused: number;
  let dir: string;

  beforeAll(async () => {
    pods = await startSmallPods(MODEL, ['decode-a', 'decode-b']);
    await repeatChat(pods[0]!.url, MODEL, 'tell me about prefix caching '.repeat(12), 2);
    garbage = await listen(() => [200, '<html><body>this is not a metrics page</body></html>']);
    refused = await closedPort();
    dir = mkdtempSync(join(tmpdir(), 'kvb-scrape-'));
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(pods.map((p) => p.close()));
    await new Promise((r) => garbage.close(r));
  });

  it('scrape-metrics --via urls writes a snapshot, recording the pods it could not read', async () => {
    const out = join(dir, 'urls.json');
    const urls = [
      `${pods[0]!.url}/metrics`,
      `${pods[1]!.url}/metrics`,
      `http://127.0.0.1:${portOf(garbage)}/metrics`,
      `http://127.0.0.1:${refused}/metrics`,
    ];
    const r = await cli([
      'scrape-metrics',
      '--via',
      'urls',
      '--urls',
      urls.join(','),
      '--model',
      MODEL,
      '--label',
      'end',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/scrape-metrics end: 2\/4 pods read via urls/);
    const snap = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snap).toMatchObject({ label: 'end', source: 'urls', model: MODEL });
    const [a, b, g, x] = snap.pods;
    expect(a?.name).toBe(`127.0.0.1:${pods[0]!.port}`);
    expect(a?.ready).toBe(true);
    // Two identical prompts: the second hits the first's blocks.
    expect(a?.counters.prefixCacheQueries).toBeGreaterThan(100);
    expect(a?.counters.prefixCacheHits).toBeGreaterThan(0);
    expect(a?.counters.requestSuccess).toBe(2);
    expect(a?.createdAt).toBeGreaterThan(1.7e9);
    expect(b?.counters.prefixCacheQueries).toBe(0);
    expect(g?.error).toMatch(/metrics line 1/);
    expect(x?.error).toMatch(/ECONNREFUSED/);
    for (const bad of [g, x]) {
      expect(bad?.ready).toBe(false);
      expect(Object.values(bad?.counters ?? {}).every((v) => v === null)).toBe(true);
    }
  });

  it('scrape-metrics exits 1 when no pod could be read, still writing the snapshot', async () => {
    const out = join(dir, 'none.json');
    const r = await cli([
      'scrape-metrics',
      '--via',
      'urls',
      '--urls',
      `http://127.0.0.1:${refused}/metrics`,
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no pod could be read/);
    expect((JSON.parse(readFileSync(out, 'utf8')) as Snapshot).pods[0]?.error).toMatch(/ECONNREFUSED/);
  });

  it.each([
    [['--via', 'urls'], /--via urls needs --urls/],
    [['--via', 'urls', '--urls', 'ftp://x/metrics'], /is not an http\(s\) URL/],
    [['--via', 'pod-ip', '--urls', 'http://x/metrics'], /--urls is only read with --via urls/],
    [['--metrics-port', '70000'], /--metrics-port 70000 is not a port number/],
  ])('scrape-metrics %j exits 2 with one line', async (args, message) => {
    const r = await inProcess(['scrape-metrics', ...args, '--out', join(dir, 'bad.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--via pod-ip reads each pod at its IP and spec port, in parallel, keeping unreadable pods', async () => {
    const control = podControl([
      podInfo('decode-a', pods[0]!.port),
      podInfo('decode-b', pods[1]!.port),
      podInfo('decode-pending', 8000, { ip: '', ready: false }),
      podInfo('decode-gone', refused),
    ]);
    const snap = await takeSnapshotWith(base, io(), { podControl: control });
    expect(snap.takenAt).toBe('2026-01-01T00:00:00.000Z');
    expect(snap.pods.map((p) => [p.name, p.uid, p.error === undefined])).toEqual([
      ['decode-a', 'uid-decode-a', true],
      ['decode-b', 'uid-decode-b', true],
      ['decode-gone', 'uid-decode-gone', false],
      ['decode-pending', 'uid-decode-pending', false],
    ]);
    expect(snap.pods[0]?.counters.requestSuccess).toBe(2);
    expect(snap.pods[3]?.error).toMatch(/no IP yet/);
  });

  it('--via api-proxy reads through PodControl.proxyGet with --metrics-port', async () => {
    const snap = await takeSnapshotWith({ ...base, via: 'api-proxy', metricsPort: pods[0]!.port }, io(), {
      podControl: podControl([podInfo('decode-a', 1)]),
    });
    expect(snap.pods[0]?.counters.requestSuccess).toBe(2);
    expect(snap.source).toBe('api-proxy');
  });

  it('gives up on a pod that does not answer within the per-pod timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const snap = await takeSnapshotWith(base, io(), {
        podControl: podControl([podInfo('decode-slow', portOf(silent))]),
        timeoutMs: 300,
      });
      expect(snap.pods[0]?.error).toMatch(/no answer from .* within 300 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('names the selector and namespace when no pod matches', async () => {
    await expect(
      takeSnapshotWith({ ...base, selector: 'app=nothing' }, io(), { podControl: podControl([]) }),
    ).rejects.toThrow('no pods match app=nothing in namespace llm-d (check --selector / --namespace)');
  });

  it('--via prometheus queries /api/v1/query with the bearer token and matches series to pods by the pod label', async () => {
    const seen: { auth?: string; query?: string } = {};
    const prom = await listen((req) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.auth = req.headers.authorization;
      seen.query = url.searchParams.get('query') ?? '';
      const series = (name: string, pod: string, v: string) => ({
        metric: { __name__: name, pod, model_name: MODEL },
        value: [1767225600, v],
      });
      return [
        200,
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'vector',
            result: [
              series('vllm:prefix_cache_queries_total', 'decode-a', '1.5e+06'),
              series('vllm:prefix_cache_hits_total', 'decode-a', '1200000'),
              series('vllm:gpu_prefix_cache_hits_total', 'decode-a', '1200000'),
              series('vllm:prefix_cache_queries_total', 'other-ns-pod', '5'),
            ],
          },
        }),
      ];
    });
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 'sekret-token\n');
      const control = podControl([podInfo('decode-a', 8000), podInfo('decode-b', 8000)]);
      const warnings: string[] = [];
      const snap = await takeSnapshotWith(
        { ...base, via: 'prometheus', prometheusUrl: `http://127.0.0.1:${portOf(prom)}/`, tokenFile },
        io(),
        { podControl: control, warn: (m) => warnings.push(m) },
      );
      expect(seen.auth).toBe('Bearer sekret-token');
      expect(seen.query).toContain('namespace="llm-d"');
      expect(snap.pods[0]?.counters).toMatchObject({ prefixCacheQueries: 1.5e6, prefixCacheHits: 1.2e6 });
      expect(snap.pods[1]?.error).toMatch(/Prometheus has no vLLM counters for pod decode-b/);
      expect(warnings.join(' ')).toMatch(/last Prometheus scrape/);
    } finally {
      await new Promise((r) => prom.close(r));
    }
  });
});
