// The pods/proxy subresource: /api/v1/namespaces/NS/pods/NAME[:PORT]/proxy/PATH forwarded to the pod's
// IP and port (its own loopback port here). `kubectl get --raw …/proxy/metrics` and client-node's
// connectGetNamespacedPodProxyWithPath read /metrics this way (research §7.1, §9.4); the apiserver drops the
// caller's credentials and streams the answer through, status and body as the pod sent them.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { SimCluster } from './cluster.ts';
import { podPorts, podStatus } from './pod-object.ts';
import { splitProxyName, type ResourceRequest } from './request-info.ts';
import { notFound, pathNotFound, serviceUnavailable } from './status.ts';

const FORWARDED_HEADERS = [
  'accept',
  'accept-encoding',
  'content-type',
  'content-length',
  'user-agent',
  'x-request-id',
];

/** The pod's address: the named or numbered port, or its first declared port when none is given. */
function target(cluster: SimCluster, info: ResourceRequest): { host: string; port: number } {
  if (info.resource !== 'pods' || info.group !== '' || !info.namespace) throw pathNotFound();
  const { pod: name, port: portSpec, scheme } = splitProxyName(info.name);
  const pod = cluster.store.get('pods', info.namespace, name);
  if (!pod) throw notFound('pods', '', name);
  if (scheme && scheme !== 'http')
    throw serviceUnavailable(
      `error trying to reach service: the embedded pods serve http only, not ${scheme}`,
    );
  const ip = podStatus(pod).podIP;
  if (!ip)
    throw serviceUnavailable(
      `error trying to reach service: pod ${name} has no IP address yet (it is ${podStatus(pod).phase})`,
    );
  const ports = podPorts(pod);
  if (portSpec === '') {
    const first = ports[0];
    if (!first) throw serviceUnavailable(`error trying to reach service: pod ${name} declares no port`);
    return { host: ip, port: first.containerPort };
  }
  const byName = ports.find((p) => p.name === portSpec);
  const port = byName ? byName.containerPort : Number(portSpec);
  // Another pod's loopback port is not this pod's: only declared ports are reachable through its name.
  if (!Number.isInteger(port) || !ports.some((p) => p.containerPort === port)) {
    throw serviceUnavailable(
      `error trying to reach service: dial tcp ${ip}:${portSpec}: connect: connection refused`,
    );
  }
  return { host: ip, port };
}

export function proxyToPod(
  cluster: SimCluster,
  info: ResourceRequest,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  const { host, port } = target(cluster, info);
  const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
  const headers: Record<string, string> = {};
  for (const h of FORWARDED_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const upstream = request(
      { host, port, method: req.method, path: `/${info.subpath}${query}`, headers },
      (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && k !== 'connection' && k !== 'keep-alive') out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', reject);
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy(err);
      const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
      reject(serviceUnavailable(`error trying to reach service: dial tcp ${host}:${port}: ${why}`));
    });
    res.on('close', () => {
      // The caller went away (or the answer is complete): stop talking to the pod.
      upstream.destroy();
      resolve();
    });
    upstream.end(body);
  });
}
