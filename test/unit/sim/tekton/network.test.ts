// A step's view of the cluster network (src/sim/tekton/in-cluster.ts, pod-network.ts): Service names as a
// pod resolves them, and net.connect's argument forms rerouted to the Service's loopback backend.
import type { KubeObject } from '../../../../src/sim/kube-api/store.ts';
import { inClusterEnv, serviceTable } from '../../../../src/sim/tekton/in-cluster.ts';
import { rewriteConnectArgs, routeOf } from '../../../../src/sim/tekton/pod-network.ts';

const service = (name: string, namespace: string, port: number, targetPort: number | string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, uid: name, resourceVersion: '1', creationTimestamp: '' },
  spec: { clusterIP: '10.96.4.2', ports: [{ port, targetPort }] },
});

const services = [
  service('llm-d-gateway-istio', 'llm-d', 80, 40123),
  service('kubernetes', 'default', 443, 40999),
  service('named-port', 'llm-d', 8080, 'http'),
];

describe('the Service table of a pod in llm-d', () => {
  const table = serviceTable(services, 'llm-d');

  it.each([
    ['llm-d-gateway-istio.llm-d.svc.cluster.local:80', '127.0.0.1:40123'],
    ['llm-d-gateway-istio.llm-d.svc:80', '127.0.0.1:40123'],
    ['llm-d-gateway-istio.llm-d:80', '127.0.0.1:40123'],
    ['llm-d-gateway-istio:80', '127.0.0.1:40123'],
    ['10.96.4.2:80', '127.0.0.1:40123'],
    ['kubernetes.default.svc:443', '127.0.0.1:40999'],
    ['kubernetes.default.svc.cluster.local:443', '127.0.0.1:40999'],
  ])('resolves %s to %s', (name, target) => {
    expect(table[name]).toBe(target);
  });

  it.each([
    ['kubernetes:443', 'another namespace needs its name'],
    ['llm-d-gateway-istio.llm-d.svc.cluster.local:8080', 'a port the Service does not have'],
    ['named-port.llm-d.svc.cluster.local:8080', 'a named targetPort has no loopback backend'],
  ])('does not resolve %s (%s)', (name) => {
    expect(table[name]).toBeUndefined();
  });

  it('gives the kubelet service variables and the table to the step', () => {
    expect(inClusterEnv({ port: 6443, ca: 'pem' }, { 'a:80': '127.0.0.1:1' })).toEqual({
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '6443',
      KUBERNETES_SERVICE_PORT_HTTPS: '6443',
      KUBERNETES_PORT: 'tcp://127.0.0.1:6443',
      KV_CACHE_BENCH_CLUSTER_SERVICES: '{"a:80":"127.0.0.1:1"}',
    });
  });
});

describe('net.connect rerouting', () => {
  const table = { 'gw.llm-d.svc.cluster.local:80': '127.0.0.1:40123' };
  const cb = () => {};

  it.each([
    ['GW.llm-d.svc.cluster.local.', 80, { host: '127.0.0.1', port: 40123 }],
    ['gw.llm-d.svc.cluster.local', '80', { host: '127.0.0.1', port: 40123 }],
    ['gw.llm-d.svc.cluster.local', 81, undefined],
    ['example.com', 80, undefined],
  ])('routes %s:%s to %j', (host, port, route) => {
    expect(routeOf(table, host, port)).toEqual(route);
  });

  it.each([
    [
      'options (undici)',
      [{ host: 'gw.llm-d.svc.cluster.local', port: 80, highWaterMark: 65536 }],
      [{ host: '127.0.0.1', port: 40123, highWaterMark: 65536 }],
    ],
    [
      'options and callback',
      [{ host: 'gw.llm-d.svc.cluster.local', port: 80 }, cb],
      [{ host: '127.0.0.1', port: 40123 }, cb],
    ],
    ['port, host, callback', [80, 'gw.llm-d.svc.cluster.local', cb], [40123, '127.0.0.1', cb]],
    ['another host', [{ host: 'example.com', port: 80 }], [{ host: 'example.com', port: 80 }]],
    ['a unix socket', [{ path: '/run/x.sock' }], [{ path: '/run/x.sock' }]],
    ['a port on localhost', [3000], [3000]],
  ])('%s', (_what, args, expected) => {
    expect(rewriteConnectArgs(table, args)).toEqual(expected);
  });
});
