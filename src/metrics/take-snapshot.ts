// A snapshot of every decode pod's vLLM counters (DESIGN "Data between steps": Snapshot). The imperative
// shell around prom-text.ts / vllm-counters.ts: discovers pods, reads them all in parallel, never drops one.
import { existsSync, readFileSync } from 'node:fs';
import { UsageError, TargetError } from '../errors.ts';
import { fileProblem } from '../files.ts';
import type { Io } from '../io.ts';
import type { PodControl, PodInfo } from '../kube/types.ts';
import type { PodCounters, PodSnapshot, ScrapeVia, Snapshot } from '../types.ts';
import { parseExposition, type Sample } from './prom-text.ts';
import { readVllmCounters } from './vllm-counters.ts';
import { metricsPortOf } from './metrics-port.ts';
import { buildCounterQuery, decodeCounterAnswer, queryUrl } from './prometheus.ts';

export interface TakeSnapshotOptions {
  via: ScrapeVia;
  namespace: string;
  selector: string;
  kubeconfig?: string;
  urls?: string[];
  metricsPort?: number;
  prometheusUrl?: string;
  tokenFile?: string;
  model: string;
  label: string;
}

/** Seams for tests and for callers that already hold a PodControl (the flow, the embedded stack). */
export interface SnapshotDeps {
  podControl?: PodControl;
  /** Per-pod (and per-query) deadline. */
  timeoutMs?: number;
  /** Warnings that do not fit the Snapshot contract (an aliased model name, Prometheus' scrape lag). */
  warn?: (message: string) => void;
}

export const POD_TIMEOUT_MS = 10_000;
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const NULL_COUNTERS: PodCounters = {
  prefixCacheQueries: null,
  prefixCacheHits: null,
  promptTokens: null,
  generationTokens: null,
  requestSuccess: null,
  preemptions: null,
};

export function takeSnapshot(opts: TakeSnapshotOptions, io: Io): Promise<Snapshot> {
  return takeSnapshotWith(opts, io, {});
}

export async function takeSnapshotWith(
  opts: TakeSnapshotOptions,
  io: Io,
  deps: SnapshotDeps,
): Promise<Snapshot> {
  const takenAt = new Date(io.now()).toISOString();
  const timeoutMs = deps.timeoutMs ?? POD_TIMEOUT_MS;
  const warn = deps.warn ?? (() => undefined);
  const { getText } = await import('./http-text.ts');
  let pods: PodSnapshot[];

  if (opts.via === 'urls') {
    const urls = opts.urls ?? [];
    if (urls.length === 0)
      throw new UsageError('--via urls needs --urls http://host:port/metrics,… (comma-separated)');
    pods = await Promise.all(
      urls.map(async (url) => {
        const pod: PodSnapshot = {
          name: podNameOfUrl(url),
          uid: '',
          ip: new URL(url).hostname,
          startTime: '',
          ready: false,
          counters: NULL_COUNTERS,
        };
        return readInto(pod, () => getText(url, { timeoutMs, signal: io.signal }), opts.model, warn, true);
      }),
    );
  } else {
    const control = deps.podControl ?? (await connect(opts, io));
    // An API server that answers 5xx for a moment (a restart, overload) is retried within the deadline.
    const { withRetry } = await import('../kube/retry.ts');
    const listed = await withRetry(() => control.listPods(opts.selector), {
      deadline: io.now() + timeoutMs,
      now: () => io.now(),
      signal: io.signal,
      onRetry: (err, waitMs) => warn(`${err.message}; retrying in ${waitMs} ms`),
    });
    if (listed.length === 0) {
      throw new UsageError(
        `no pods match ${opts.selector} in namespace ${opts.namespace} (check --selector / --namespace)`,
      );
    }
    listed.sort((a, b) => a.name.localeCompare(b.name));
    if (opts.via === 'prometheus') pods = await fromPrometheus(listed, opts, io, timeoutMs, getText, warn);
    else {
      pods = await Promise.all(
        listed.map((info) => {
          const port = metricsPortOf(info.containerPorts, opts.metricsPort);
          const read = (): Promise<string> => {
            if (port === undefined)
              throw new TargetError('the pod spec declares no container port (pass --metrics-port)');
            if (opts.via === 'api-proxy') {
              // Through the API server, a 5xx may be the server's own hiccup: retried within the deadline.
              const until = io.now() + timeoutMs;
              return withRetry(
                () =>
                  withDeadline(
                    control.proxyGet(info.name, port, '/metrics'),
                    Math.max(1, until - io.now()),
                    `pod ${info.name} via the API proxy`,
                  ),
                { deadline: until, now: () => io.now(), signal: io.signal },
              );
            }
            if (!info.ip) throw new TargetError('the pod has no IP yet (not scheduled or not started)');
            return getText(`http://${hostOf(info.ip)}:${port}/metrics`, { timeoutMs, signal: io.signal });
          };
          return readInto(baseOf(info), read, opts.model, warn, false);
        }),
      );
    }
  }
  return { takenAt, label: opts.label, source: opts.via, model: opts.model, pods };
}

async function connect(opts: TakeSnapshotOptions, io: Io): Promise<PodControl> {
  const { connectKube } = await import('../kube/client.ts');
  return connectKube({ kubeconfig: opts.kubeconfig, namespace: opts.namespace, env: io.env });
}

function baseOf(info: PodInfo): PodSnapshot {
  return {
    name: info.name,
    uid: info.uid,
    ip: info.ip,
    startTime: info.startTime,
    ready: info.ready,
    counters: NULL_COUNTERS,
  };
}

/** `--via urls` names a pod by the URL's host:port: the only identity it has. */
export function podNameOfUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--urls: ${url} is not a URL (expected http://host:port/metrics)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--urls: ${url} is not an http(s) URL`);
  return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.host;
}

function hostOf(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

async function readInto(
  pod: PodSnapshot,
  read: () => Promise<string>,
  model: string,
  warn: (m: string) => void,
  readyWhenRead: boolean,
): Promise<PodSnapshot> {
  try {
    const text = await read();
    return withSamples(pod, parseExposition(text).samples, model, warn, readyWhenRead);
  } catch (err) {
    // Refused credentials or a missing permission hold for every pod: one clear failure, not N errors.
    if (err instanceof TargetError && (err.status === 401 || err.status === 403)) throw err;
    return {
      ...pod,
      counters: NULL_COUNTERS,
      error: (err as Error).message,
      ...(readyWhenRead ? { ready: false } : {}),
    };
  }
}

function withSamples(
  pod: PodSnapshot,
  samples: Sample[],
  model: string,
  warn: (m: string) => void,
  readyWhenRead: boolean,
): PodSnapshot {
  const reading = readVllmCounters(samples, model);
  if (reading.modelMissing) {
    return {
      ...pod,
      error: `model ${model} is not served here (it serves ${reading.modelNames.join(', ')}; check --model)`,
    };
  }
  if (reading.impossible !== undefined) {
    return { ...pod, error: `the exposition is not vLLM's: ${reading.impossible}, which no counter can be` };
  }
  const only = reading.modelNames[0];
  if (reading.modelNames.length === 1 && only !== model)
    warn(`pod ${pod.name} serves ${only}, not ${model}: its counters are read anyway`);
  const out: PodSnapshot = { ...pod, counters: reading.counters };
  if (readyWhenRead) out.ready = true;
  if (reading.createdAt !== undefined) out.createdAt = reading.createdAt;
  return out;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TargetError(`no answer from ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function fromPrometheus(
  listed: PodInfo[],
  opts: TakeSnapshotOptions,
  io: Io,
  timeoutMs: number,
  getText: typeof import('./http-text.ts').getText,
  warn: (m: string) => void,
): Promise<PodSnapshot[]> {
  if (!opts.prometheusUrl)
    throw new UsageError(
      '--via prometheus needs --prometheus-url (e.g. https://thanos-querier.openshift-monitoring.svc:9091)',
    );
  const headers: Record<string, string> = {};
  const tokenFile = opts.tokenFile ?? (existsSync(`${SA_DIR}/token`) ? `${SA_DIR}/token` : undefined);
  if (tokenFile) {
    const problem = fileProblem(tokenFile, 64 * 1024);
    if (problem) throw new UsageError(`cannot read --token-file ${tokenFile}: ${problem}`);
    try {
      headers.authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
    } catch (err) {
      throw new UsageError(
        `cannot read --token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  // OpenShift signs thanos-querier with the service CA, which it mounts beside the ServiceAccount token.
  const caFile = `${SA_DIR}/service-ca.crt`;
  const ca =
    opts.prometheusUrl.startsWith('https:') && existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
  const url = queryUrl(opts.prometheusUrl, buildCounterQuery(opts.namespace));
  let byPod: Map<string, Sample[]>;
  try {
    byPod = decodeCounterAnswer(
      await getText(url, { headers, timeoutMs, signal: io.signal, ...(ca ? { ca } : {}) }),
    );
  } catch (err) {
    throw new TargetError(`--via prometheus: ${(err as Error).message}`);
  }
  warn(
    '--via prometheus: counters are as of the last Prometheus scrape (often 30 s old): wait one scrape interval after the load',
  );
  return listed.map((info) => {
    const samples = byPod.get(info.name);
    if (!samples)
      return {
        ...baseOf(info),
        error: `Prometheus has no vLLM counters for pod ${info.name} (is it scraped? check the PodMonitor/ServiceMonitor)`,
      };
    return withSamples(baseOf(info), samples, opts.model, warn, false);
  });
}
