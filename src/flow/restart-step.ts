// The restart step shared by `restart-pods`, `run --restart` and `demo`.
import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { connectKube } from '../kube/client.ts';
import { restartPods } from '../kube/restart.ts';
import { vllmPortOf } from '../kube/ports.ts';
import type { PodInfo } from '../kube/types.ts';
import { TargetError } from '../errors.ts';
import { writeLine, type Io } from '../io.ts';
import type { RestartStepOptions } from '../commands/restart-pods.ts';

export interface RestartRecord {
  namespace: string;
  selector: string;
  mode: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  before: { name: string; uid: string }[];
  after: { name: string; uid: string; ip: string; startTime: string }[];
  countersZero: boolean;
}

async function waitHealthy(pod: PodInfo, port: number, deadline: number, now: () => number): Promise<void> {
  let lastError = '';
  while (now() < deadline) {
    try {
      const res = await request(`http://${pod.ip}:${port}/health`, {
        headersTimeout: 2000,
        bodyTimeout: 2000,
      });
      await res.body.dump();
      if (res.statusCode === 200) return;
      lastError = `HTTP ${res.statusCode}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new TargetError(
    `pod ${pod.name} is Ready but http://${pod.ip}:${port}/health does not answer 200 (${lastError})`,
  );
}

export async function restartStep(opts: RestartStepOptions, io: Io): Promise<RestartRecord> {
  const log = (line: string) => writeLine(io.stderr, line);
  const kube = await connectKube({ kubeconfig: opts.kubeconfig, namespace: opts.namespace, env: io.env });
  const startedAt = io.now();
  const outcome = await restartPods(kube, {
    selector: opts.selector,
    mode: opts.mode,
    timeoutMs: opts.timeoutMs,
    signal: io.signal,
    now: io.now,
    onProgress: log,
  });
  const deadline = startedAt + opts.timeoutMs;
  await Promise.all(
    outcome.after.map((p) => {
      const port = vllmPortOf(p, opts.metricsPort);
      if (!port) throw new TargetError(`pod ${p.name} declares no container port; pass --metrics-port`);
      return waitHealthy(p, port, deadline, io.now);
    }),
  );

  const { takeSnapshot } = await import('../metrics/take-snapshot.ts');
  const snap = await takeSnapshot(
    {
      via: 'pod-ip',
      namespace: opts.namespace,
      selector: opts.selector,
      kubeconfig: opts.kubeconfig,
      metricsPort: opts.metricsPort,
      model: opts.model,
      label: 'after-restart',
    },
    io,
  );
  const newUids = new Set(outcome.after.map((p) => p.uid));
  const nonZero = snap.pods.filter(
    (p) =>
      newUids.has(p.uid) &&
      ((p.counters.prefixCacheQueries ?? 0) > 0 || (p.counters.prefixCacheHits ?? 0) > 0),
  );
  const unreadable = snap.pods.filter((p) => newUids.has(p.uid) && p.error);
  const record: RestartRecord = {
    namespace: opts.namespace,
    selector: opts.selector,
    mode: opts.mode,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(io.now()).toISOString(),
    durationMs: io.now() - startedAt,
    before: outcome.before.map((p) => ({ name: p.name, uid: p.uid })),
    after: outcome.after.map((p) => ({ name: p.name, uid: p.uid, ip: p.ip, startTime: p.startTime })),
    countersZero: nonZero.length === 0 && unreadable.length === 0,
  };
  if (opts.out) writeFileSync(opts.out, JSON.stringify(record, null, 2) + '\n');
  for (const p of record.after) log(`restart-pods: ${p.name} (uid ${p.uid}) Ready`);
  if (unreadable.length) {
    throw new TargetError(
      `new pod(s) ready but /metrics unreadable: ${unreadable.map((p) => `${p.name}: ${p.error}`).join('; ')}`,
    );
  }
  if (nonZero.length) {
    throw new TargetError(
      `prefix-cache counters are not zero after the restart on ${nonZero.map((p) => `${p.name} (queries ${p.counters.prefixCacheQueries})`).join(', ')}: something sent traffic already, or the pods were not really restarted`,
    );
  }
  log(
    `restart-pods: ${record.after.length} new pod(s) Ready in ${(record.durationMs / 1000).toFixed(1)}s, prefix-cache counters at zero`,
  );
  return record;
}
