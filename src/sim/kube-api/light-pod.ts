// A stand-in pod server for the cluster model when no model server is wanted (tests of the Kubernetes
// side, `podFactory` in tools that only exercise restarts): /health, /metrics with a request counter in
// vLLM's exposition style, and any POST counted and answered 200. Restarting it zeroes the counter, just as
// a new vLLM process starts from zero.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VllmPodHandle } from '../contracts.ts';

export interface LightPodHandle extends VllmPodHandle {
  /** requests answered other than /health and /metrics */
  served(): number;
}

export async function startLightPod(pod: {
  name: string;
  namespace: string;
  port?: number;
  host?: string;
}): Promise<LightPodHandle> {
  let served = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return void res.writeHead(200).end();
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(
        '# HELP vllm:request_success_total Count of successfully processed requests.\n' +
          '# TYPE vllm:request_success_total counter\n' +
          `vllm:request_success_total{engine="0",finished_reason="stop",model_name="light-pod",pod="${pod.name}"} ${served}\n`,
      );
    }
    served++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ pod: pod.name, path, served }));
    });
  });
  const host = pod.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(pod.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    name: pod.name,
    namespace: pod.namespace,
    port,
    url: `http://${host}:${port}`,
    load: () => ({ waiting: 0, running: 0, kvUsage: 0 }),
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
