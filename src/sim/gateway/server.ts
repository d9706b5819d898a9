// The embedded gateway: what Istio/Envoy + the EPP do for the OpenAI routes, on loopback. A request is
// matched like an HTTPRoute (optional hostname, three paths), a pod is picked from the Ready set by the
// routing policy, and the pod's response streams back untouched apart from the EPP's response headers.
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Logger } from '../../log.ts';
import type { EndpointSource, GatewayEndpoint, GatewayFaults, RoutingPolicy } from '../contracts.ts';
import { pipeToResponse, upstreamRequestHeaders } from './forward.ts';
import { promptOf } from './prompt.ts';
import { createRouter, type RequestInfo, type Router } from './router.ts';
import { SESSION_TOKEN_HEADER } from './session-token.ts';

export interface GatewayOptions {
  endpoints: EndpointSource;
  policy: RoutingPolicy;
  seed?: number;
  /** HTTPRoute `hostnames`: other Host headers get 404 (except /health) */
  host?: string;
  /** response header carrying the serving pod's name (llm-d-inference-sim's x-inference-pod style) */
  servedByHeader?: string;
  listenHost?: string;
  /** 0 or absent = any free port */
  port?: number;
  now?: () => number;
  logger?: Logger;
  maxBodyBytes?: number;
  /**
   * Require `Authorization: Bearer <apiKey>` on the OpenAI routes (401 otherwise), as a gateway behind an
   * auth policy does. The key is compared by digest and never logged or echoed.
   */
  apiKey?: string;
  /** fault injection (src/sim/faults.ts); absent = no hook on the hot path */
  faults?: GatewayFaults;
}

export interface GatewayHandle {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly router: Router;
  close(): Promise<void>;
}

const ROUTES: Record<string, 'GET' | 'POST'> = {
  '/v1/chat/completions': 'POST',
  '/v1/completions': 'POST',
  '/v1/models': 'GET',
};

/** The EPP's debug response header (research §4.1): says the response went through ext_proc, not where. */
const EPP_RESPONSE_HEADERS = { 'x-went-into-resp-headers': 'true' } as const;

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ error: { message, type, param: null, code: status } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Host header without its port, lower-cased ("[::1]:80" → "[::1]"). */
export function hostWithoutPort(host: string | undefined): string {
  if (!host) return '';
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

function hostPortOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

export async function startGateway(opts: GatewayOptions): Promise<GatewayHandle> {
  const router = createRouter(opts.policy, { seed: opts.seed ?? 0, now: opts.now ?? Date.now });
  const routeHost = opts.host === undefined ? undefined : hostWithoutPort(opts.host);
  const maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const log = opts.logger;
  const faults = opts.faults;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const expectedAuth = opts.apiKey === undefined ? undefined : digest(`Bearer ${opts.apiKey}`);
  const authorized = (req: IncomingMessage): boolean => {
    if (!expectedAuth) return true;
    const got = req.headers.authorization;
    return typeof got === 'string' && timingSafeEqual(digest(got.trim()), expectedAuth);
  };
  // Keep-alive pools per pod origin; the client's --request-timeout bounds a request, not the gateway.
  const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 4000 });

  function forward(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer | undefined): void {
    const injected = body && faults ? faults.rejectStatus() : undefined;
    if (injected !== undefined) {
      // What Envoy answers when it sheds a request (upstream overflow); the fault says it is one.
      sendError(
        res,
        injected,
        'ServiceUnavailable',
        `upstream overflow (injected fault: gateway-${injected})`,
      );
      return;
    }
    const endpoints = opts.endpoints.readyEndpoints();
    if (endpoints.length === 0) {
      sendError(res, 503, 'ServiceUnavailable', 'no Ready pod behind the gateway (wait for the decode pods)');
      return;
    }
    const token = req.headers[SESSION_TOKEN_HEADER];
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      path,
      clientAddress: req.socket.remoteAddress ?? '',
      sessionToken: typeof token === 'string' ? token : undefined,
    };
    if (router.needsPrompt && body) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        sendError(res, 400, 'BadRequestError', 'invalid request body: not JSON');
        return;
      }
      const model = (parsed as { model?: unknown } | null)?.model;
      info.model = typeof model === 'string' ? model : '';
      info.prompt = promptOf(path, parsed);
    }
    const ep: GatewayEndpoint = router.pick(info, endpoints);
    log?.debug({ pod: ep.name, path }, 'routed');
    const responseHeaders: Record<string, string> = {
      ...EPP_RESPONSE_HEADERS,
      ...router.responseHeaders?.(info, ep),
    };
    if (opts.servedByHeader) responseHeaders[opts.servedByHeader] = ep.name;
    const forwardedFor = req.headers['x-forwarded-for'];
    const headers = upstreamRequestHeaders(req.headers, {
      // What the EPP tells Envoy (a request header the model server sees, never the client).
      'x-gateway-destination-endpoint': hostPortOf(ep.url),
      'x-forwarded-for': forwardedFor ? `${String(forwardedFor)}, ${info.clientAddress}` : info.clientAddress,
    });
    agent.dispatch(
      {
        origin: ep.url,
        path: req.url ?? path,
        method: info.method as 'GET' | 'POST',
        headers,
        body: body ?? null,
      },
      pipeToResponse(res, {
        responseHeaders,
        onUpstreamError(err) {
          log?.warn({ pod: ep.name, err: err.message }, 'upstream failed before headers');
          // Envoy's answer when the endpoint vanished or reset (e.g. a pod deleted mid-run).
          sendError(
            res,
            503,
            'ServiceUnavailable',
            `upstream connect error or disconnect/reset before headers (pod ${ep.name})`,
          );
        },
      }),
    );
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
      return;
    }
    if (routeHost !== undefined && hostWithoutPort(req.headers.host) !== routeHost) {
      sendError(
        res,
        404,
        'NotFoundError',
        `no route for host ${hostWithoutPort(req.headers.host) || '(none)'}`,
      );
      return;
    }
    const method = ROUTES[path];
    if (method === undefined) {
      sendError(res, 404, 'NotFoundError', `no route for ${path}`);
      return;
    }
    if (req.method !== method) {
      res.setHeader('allow', method);
      sendError(res, 405, 'MethodNotAllowed', `${path} takes ${method}`);
      return;
    }
    if (!authorized(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      sendError(
        res,
        401,
        'AuthenticationError',
        'missing or wrong API key (send Authorization: Bearer <key>)',
      );
      return;
    }
    if (method === 'GET') {
      forward(req, res, path, undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBodyBytes) {
        res.setHeader('connection', 'close');
        sendError(res, 413, 'RequestTooLarge', `request body over ${maxBodyBytes} bytes`);
        return;
      }
      forward(req, res, path, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
  }

  const server = http.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.listenHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.listenHost ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    router,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await agent.destroy();
    },
  };
}
