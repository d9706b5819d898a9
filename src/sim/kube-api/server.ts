// The embedded Kubernetes API server: what kubectl 1.27–1.33 and @kubernetes/client-node need against the
// SimCluster (research/kubectl-api-surface.md §12). Plain HTTP by default; with `tls` it serves HTTPS with a
// self-signed certificate, and with `rbac` every request must carry a known bearer token and pass RBAC
// (kubectl sends tokens only over TLS: research §1.2). Order per request, as the apiserver's filter chain:
// authentication → authorization → (injected fault) → handler.
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log.ts';
import type { KubeApiFaults } from '../faults.ts';
import { parseAccessReview, reviewAccess } from './access-review.ts';
import type { SimCluster } from './cluster.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  aggregatedVersion,
  isServedGroupVersion,
  legacyApiVersions,
  legacyGroupList,
  legacyResourceList,
  openApiGroupVersion,
  openApiRoot,
  versionInfo,
} from './discovery.ts';
import { proxyToPod } from './proxy.ts';
import type { Rbac, UserInfo } from './rbac.ts';
import { forbiddenReason, nonResourceAttributes } from './rbac.ts';
import { requestInfo, type RequestInfo } from './request-info.ts';
import { handleResource, type HandlerContext } from './resources.ts';
import {
  ApiError,
  badRequest,
  forbidden,
  forbiddenPath,
  injectedFailure,
  internalError,
  methodNotAllowed,
  pathNotFound,
  unauthorized,
} from './status.ts';
import { selfSignedCertificate, type CertificatePair } from './tls.ts';

export interface KubeApiOptions {
  cluster: SimCluster;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
  /** serve HTTPS: true makes a self-signed certificate, or pass one */
  tls?: boolean | CertificatePair;
  /** authenticate bearer tokens and enforce RBAC; without it every request is allowed */
  rbac?: Rbac;
  /** the minor version /version reports (the gcloud kubectl dispatcher picks kubectl 1.<minor> from it) */
  kubernetesMinor?: number;
  logger?: Logger;
  random?: () => number;
  uuid?: () => string;
  /** fault injection (src/sim/faults.ts): 500s on resource requests, watches cut after a while */
  faults?: KubeApiFaults;
}

export interface KubeApiServer {
  /** http(s)://host:port */
  readonly url: string;
  readonly port: number;
  /** the PEM certificate in --tls mode (for certificate-authority-data) */
  readonly certificate?: string;
  close(): Promise<void>;
}

/** Who a request runs as when the server authenticates nobody. */
const ANONYMOUS_ADMIN: UserInfo = {
  username: 'system:admin',
  groups: ['system:masters', 'system:authenticated'],
};
const MAX_BODY_BYTES = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) reject(badRequest(`request body larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

function serveNonResource(
  info: RequestInfo,
  accept: string,
  minor: number,
  serverAddress: string,
  res: ServerResponse,
): void {
  if (info.verb !== 'get') throw methodNotAllowed();
  const path = info.path.replace(/\/+$/, '') || '/';
  const aggregated = aggregatedVersion(accept);
  if (path === '/version') return sendJson(res, 200, versionInfo(minor));
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    return void res.end('ok');
  }
  if (path === '/api') {
    if (aggregated)
      return sendJson(res, 200, aggregatedDiscovery('legacy', aggregated), aggregatedContentType(aggregated));
    return sendJson(res, 200, legacyApiVersions(serverAddress));
  }
  if (path === '/apis') {
    if (aggregated)
      return sendJson(res, 200, aggregatedDiscovery('groups', aggregated), aggregatedContentType(aggregated));
    return sendJson(res, 200, legacyGroupList());
  }
  if (path === '/api/v1') return sendJson(res, 200, legacyResourceList('', 'v1'));
  if (path === '/openapi/v3') return sendJson(res, 200, openApiRoot());
  const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (gv && isServedGroupVersion(gv[1]!, gv[2]!))
    return sendJson(res, 200, legacyResourceList(gv[1]!, gv[2]!));
  const group = /^\/apis\/([^/]+)$/.exec(path);
  if (group && isServedGroupVersion(group[1]!, 'v1')) {
    const v = { groupVersion: `${group[1]}/v1`, version: 'v1' };
    return sendJson(res, 200, {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: group[1],
      versions: [v],
      preferredVersion: v,
    });
  }
  const openapi = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (openapi) {
    const doc = openapi[1]
      ? openApiGroupVersion('', 'v1', minor)
      : openApiGroupVersion(openapi[2]!, openapi[3]!, minor);
    if (doc) return sendJson(res, 200, doc);
  }
  throw pathNotFound();
}

/** Authentication and authorization; returns the user the request runs as. */
function admit(rbac: Rbac | undefined, req: IncomingMessage, info: RequestInfo): UserInfo {
  if (!rbac) return ANONYMOUS_ADMIN;
  const user = rbac.authenticate(req.headers.authorization);
  if (!user) throw unauthorized();
  const attrs =
    info.kind === 'resource'
      ? {
          user,
          verb: info.verb,
          resourceRequest: true,
          apiGroup: info.group,
          resource: info.resource,
          subresource: info.subresource,
          name: info.name,
          namespace: info.namespace,
          path: info.path,
        }
      : nonResourceAttributes(user, info.verb, info.path);
  if (rbac.authorize(attrs).allowed) return user;
  const why = forbiddenReason(attrs);
  throw info.kind === 'resource' ? forbidden(info.resource, info.group, info.name, why) : forbiddenPath(why);
}

export async function startKubeApi(opts: KubeApiOptions): Promise<KubeApiServer> {
  const { cluster, rbac, logger } = opts;
  const host = opts.host ?? '127.0.0.1';
  const minor = opts.kubernetesMinor ?? 32;
  const tls = opts.tls === true ? await selfSignedCertificate(host) : opts.tls || undefined;
  const ctx: HandlerContext = {
    cluster,
    now: () => cluster.now(),
    random: opts.random ?? Math.random,
    uuid: opts.uuid ?? randomUUID,
    // The drop-watch fault ends each watch early, as an apiserver restart or an idle-cutting LB would.
    watchLifetimeMs: () => opts.faults?.watchLifetimeMs(),
  };
  const watches = new Set<ServerResponse>();
  let serverAddress = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://embedded');
    const body = await readBody(req);
    const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const user = admit(rbac, req, info);
    const accept = req.headers.accept ?? '';
    if (info.kind === 'nonresource') return serveNonResource(info, accept, minor, serverAddress, res);
    const injected = cluster.takeInjectedFailure() ?? opts.faults?.failRequest();
    if (injected) throw injectedFailure(injected);
    if (
      info.group === 'authorization.k8s.io' &&
      info.version === 'v1' &&
      info.resource === 'selfsubjectaccessreviews'
    ) {
      if (info.verb !== 'create' || info.name) throw methodNotAllowed();
      return sendJson(
        res,
        201,
        reviewAccess(parseAccessReview(req.headers['content-type'] ?? '', body), user, rbac),
      );
    }
    if (info.subresource === 'proxy') return proxyToPod(cluster, info, req, body, res);
    const hreq = {
      info,
      query: url.searchParams,
      accept,
      contentType: req.headers['content-type'] ?? '',
      body,
    };
    const reply = await handleResource(ctx, hreq, res, () => watches.delete(res));
    if (reply === 'streaming') {
      if (!res.writableEnded) watches.add(res);
    } else sendJson(res, reply.code, reply.body);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    handle(req, res)
      .catch((err: unknown) => {
        const apiErr =
          err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
        if (!(err instanceof ApiError))
          logger?.error({ err, method: req.method, url: req.url }, 'kube-api handler failed');
        if (res.headersSent) res.destroy();
        else sendJson(res, apiErr.code, apiErr.status);
      })
      .finally(() => {
        logger?.debug(
          {
            method: req.method,
            url: req.url,
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          'kube-api request',
        );
      });
  };

  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
    : createHttpServer(listener);
  // Watches are long-lived; nothing here should be cut by Node's default request timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  serverAddress = `${host}:${port}`;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    certificate: tls?.cert,
    close: async () => {
      for (const res of watches) res.end();
      watches.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
