// Real Prometheus and Pushgateway processes for the integration tests (Debian's /usr/bin binaries), each
// on a free loopback port with its own temporary directory. A missing binary fails the test with the
// apt-get command to run (DESIGN "Tests and set-up": never skip). close() always kills the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';
export const PROMTOOL_BIN = '/usr/bin/promtool';

/** Fails (never skips) when a Debian package the test needs is not installed. */
export function requireBinary(bin: string, pkg: string): void {
  if (!existsSync(bin))
    throw new Error(
      `${bin} is missing: run \`sudo apt-get update && sudo apt-get install -y ${pkg}\` (npm test's pretest does it when run as root)`,
    );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly dir: string;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort if a test process dies before afterAll: never leave a daemon behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${url}: the process exited (${child.exitCode ?? child.signalCode}): ${stderr().slice(-800)}`,
      );
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} was not ready within 20 s: ${stderr().slice(-800)}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  live.delete(child);
}

/** Starts `bin args(port)` in a fresh temp dir; retries on another port if the first was taken meanwhile. */
async function startDaemon(
  bin: string,
  pkg: string,
  prefix: string,
  args: (port: number, dir: string) => Promise<string[]>,
): Promise<ServerProcess> {
  requireBinary(bin, pkg);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(bin, await args(port, dir), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8_000);
    });
    try {
      await waitReady(url, child, () => stderr);
      return {
        url,
        dir,
        close: async () => {
          await stop(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
      await stop(child);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

export function startPushgateway(): Promise<ServerProcess> {
  // Debian's default keeps pushed groups in /var/lib; an empty file name turns persistence off.
  return startDaemon(PUSHGATEWAY_BIN, 'prometheus-pushgateway', 'kvb-pushgateway-', async (port) => [
    `--web.listen-address=127.0.0.1:${port}`,
    '--persistence.file=',
    '--log.level=warn',
  ]);
}

export interface ScrapeJob {
  name: string;
  /** host:port, each with its own target labels (what a PodMonitor's relabelling would give: pod, namespace) */
  targets: { address: string; labels?: Record<string, string> }[];
  /** keep the pushed job/instance labels (how a Pushgateway is scraped) */
  honorLabels?: boolean;
}

export interface PrometheusOptions {
  jobs: ScrapeJob[];
  /** rule files' content, `{groups: [...]}` as Prometheus reads it */
  ruleGroups?: unknown[];
  intervalSeconds?: number;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusProcess extends ServerProcess {
  /** /api/v1/query; resolves to Prometheus' whole answer, errors included */
  query(
    expr: string,
  ): Promise<{ status: string; error?: string; data?: { resultType: string; result: unknown } }>;
  /** /api/v1/query that must succeed with a vector */
  vector(expr: string): Promise<PromSample[]>;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusProcess> {
  const interval = `${opts.intervalSeconds ?? 1}s`;
  const server = await startDaemon(PROMETHEUS_BIN, 'prometheus', 'kvb-prometheus-', async (port, dir) => {
    const ruleFile = join(dir, 'rules.yaml');
    if (opts.ruleGroups) await writeFile(ruleFile, stringify({ groups: opts.ruleGroups }));
    const config = {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      ...(opts.ruleGroups ? { rule_files: [ruleFile] } : {}),
      scrape_configs: opts.jobs.map((job) => ({
        job_name: job.name,
        ...(job.honorLabels ? { honor_labels: true } : {}),
        static_configs: job.targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
      })),
    };
    await writeFile(join(dir, 'prometheus.yml'), stringify(config));
    return [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ];
  });
  const query: PrometheusProcess['query'] = async (expr) => {
    const res = await fetch(`${server.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    return (await res.json()) as Awaited<ReturnType<PrometheusProcess['query']>>;
  };
  return {
    ...server,
    query,
    vector: async (expr) => {
      const answer = await query(expr);
      if (answer.status !== 'success' || answer.data?.resultType !== 'vector')
        throw new Error(`${expr}: ${answer.error ?? `a ${answer.data?.resultType} result`}`);
      return answer.data.result as PromSample[];
    },
  };
}

/** Polls `check` every 250 ms until it returns a value other than undefined; fails with `what` after timeoutMs. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

/**
 * Resolves once Prometheus holds a scrape of each of the `targets` targets of `job` that started after
 * `afterMs` (Unix ms): `timestamp(up)` is a scrape's start, and the sample exists only once it was stored.
 */
export async function waitForScrapeAfter(
  prom: PrometheusProcess,
  job: string,
  targets: number,
  afterMs: number,
): Promise<void> {
  await until(`${targets} scrapes of job ${job} after ${new Date(afterMs).toISOString()}`, async () => {
    // timestamp() gives the scrape's own time only when applied to a bare selector (PromQL docs), so
    // whether the scrape succeeded is a second query.
    const scrapes = await prom.vector(`timestamp(up{job="${job}"})`);
    const fresh = scrapes.filter((s) => Number(s.value[1]) * 1000 > afterMs);
    const upNow = await prom.vector(`up{job="${job}"} == 1`);
    return scrapes.length === targets && fresh.length === targets && upNow.length === targets
      ? true
      : undefined;
  });
}
