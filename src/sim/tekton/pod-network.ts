// The pod network for a step the embedded Tekton controller runs as a local Node process (preloaded with
// `node --import`): cluster DNS plus kube-proxy in one table. A connection to a Service by name or
// ClusterIP (`llm-d-gateway-istio.llm-d.svc.cluster.local:80`) goes to the loopback port of the
// Service's backend, so a PipelineRun's URLs work unchanged on a laptop. It hooks net.connect, which
// every HTTP client in the process dials through (undici's Pool and fetch, node:http), whether or not it
// honours HTTP_PROXY. Worker threads get no preload: the catalog's steps run none.
// Standalone on purpose: it loads before the CLI and must cost nothing when the table is empty.
import net from 'node:net';

const SERVICES_ENV = 'KV_CACHE_BENCH_CLUSTER_SERVICES';

export type ServiceTable = Record<string, string>;

/** Where a dial to host:port really goes, or undefined when the name is not a Service. */
export function routeOf(
  table: ServiceTable,
  host: unknown,
  port: unknown,
): { host: string; port: number } | undefined {
  if (typeof host !== 'string' || (typeof port !== 'number' && typeof port !== 'string')) return undefined;
  const target = table[`${host.toLowerCase().replace(/\.$/, '')}:${Number(port)}`];
  if (!target) return undefined;
  const i = target.lastIndexOf(':');
  return { host: target.slice(0, i), port: Number(target.slice(i + 1)) };
}

/**
 * net.connect's argument forms — (options[, cb]), (port[, host][, cb]) — with a Service's host and port
 * replaced by its backend's; anything else is passed through untouched.
 */
export function rewriteConnectArgs(table: ServiceTable, args: unknown[]): unknown[] {
  const [first, second, ...rest] = args;
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    const opts = first as { host?: unknown; port?: unknown; path?: unknown };
    if (opts.path !== undefined) return args;
    const route = routeOf(table, opts.host ?? 'localhost', opts.port);
    return route ? [{ ...opts, ...route }, second, ...rest].slice(0, args.length) : args;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof second === 'string' ? second : 'localhost';
    const route = routeOf(table, host, first);
    if (!route) return args;
    return typeof second === 'string'
      ? [route.port, route.host, ...rest]
      : [route.port, route.host, ...args.slice(1)];
  }
  return args;
}

function install(table: ServiceTable): void {
  const original = net.connect;
  const connect = function (this: unknown, ...args: unknown[]) {
    return (original as (...a: unknown[]) => net.Socket).apply(net, rewriteConnectArgs(table, args));
  } as typeof net.connect;
  net.connect = connect;
  net.createConnection = connect;
}

function tableFromEnv(): ServiceTable {
  const raw = process.env[SERVICES_ENV];
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as ServiceTable) : {};
  } catch {
    return {};
  }
}

const table = tableFromEnv();
if (Object.keys(table).length > 0) install(table);
