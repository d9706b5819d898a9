// Container logs and `GET pods/NAME/log` (what `kubectl logs [-f] POD -c CONTAINER` reads). Whoever runs a
// pod's containers appends their output here (the embedded Tekton controller: each step's stdout and
// stderr); the kubelet would serve it from the node. Error messages copy the kubelet's and apiserver's
// (pkg/registry/core/pod/strategy.go LogLocation): a container must be named when the pod has several.
import type { ServerResponse } from 'node:http';
import type { SimCluster } from './cluster.ts';
import { badRequest, notFound } from './status.ts';

interface ContainerLog {
  text: string;
  done: boolean;
  followers: Set<(chunk: string | null) => void>;
}

const LOG_LIMIT_BYTES = 4 * 1024 * 1024;

export class PodLogs {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = { text: '', done: false, followers: new Set() }));
    return log;
  }

  append(namespace: string, pod: string, container: string, text: string): void {
    const log = this.entry(namespace, pod, container);
    // The kubelet rotates container logs; keep the tail.
    log.text = (log.text + text).slice(-LOG_LIMIT_BYTES);
    for (const f of log.followers) f(text);
  }

  /** The container exited: followers get the end of the stream. */
  end(namespace: string, pod: string, container: string): void {
    const log = this.entry(namespace, pod, container);
    log.done = true;
    for (const f of log.followers) f(null);
    log.followers.clear();
  }

  read(namespace: string, pod: string, container: string): { text: string; done: boolean } {
    const log = this.logs.get(`${namespace}/${pod}/${container}`);
    return { text: log?.text ?? '', done: log?.done ?? false };
  }

  follow(namespace: string, pod: string, container: string, fn: (chunk: string | null) => void): () => void {
    const log = this.entry(namespace, pod, container);
    log.followers.add(fn);
    return () => log.followers.delete(fn);
  }

  /** The pod is gone: its logs go with it, and followers end. */
  forget(namespace: string, pod: string): void {
    for (const [key, log] of this.logs) {
      if (!key.startsWith(`${namespace}/${pod}/`)) continue;
      for (const f of log.followers) f(null);
      this.logs.delete(key);
    }
  }
}

type ContainerState = { waiting?: { reason?: string } };

/** Lines kept by `tailLines` (a last line without newline counts). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split(/(?<=\n)/);
  return lines.slice(-n).join('');
}

export function servePodLog(
  cluster: SimCluster,
  namespace: string,
  name: string,
  query: URLSearchParams,
  res: ServerResponse,
): 'streaming' {
  const pod = cluster.store.get('pods', namespace, name);
  if (!pod) throw notFound('pods', '', name);
  const containers = ((pod.spec as { containers?: { name: string }[] }).containers ?? []).map((c) => c.name);
  let container = query.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    container = containers[0]!;
  }
  if (!containers.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  const statuses = ((pod.status as { containerStatuses?: { name: string; state?: ContainerState }[] })
    .containerStatuses ?? []) as { name: string; state?: ContainerState }[];
  const waiting = statuses.find((s) => s.name === container)?.state?.waiting;
  if (waiting)
    throw badRequest(
      `container "${container}" in pod "${name}" is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`,
    );
  const { text, done } = cluster.podLogs.read(namespace, name, container);
  const tail = query.get('tailLines');
  let body = tail !== null && Number.isInteger(Number(tail)) ? tailLines(text, Number(tail)) : text;
  const limit = Number(query.get('limitBytes') ?? 0);
  if (limit > 0) body = Buffer.from(body).subarray(0, limit).toString('utf8');
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  const follow = ['true', '1'].includes(query.get('follow') ?? '');
  if (!follow || done) {
    res.end(body);
    return 'streaming';
  }
  res.write(body);
  const stop = cluster.podLogs.follow(namespace, name, container, (chunk) => {
    if (chunk === null) res.end();
    else res.write(chunk);
  });
  res.on('close', stop);
  return 'streaming';
}
