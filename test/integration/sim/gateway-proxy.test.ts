// Proxy mechanics of the embedded gateway against tiny node:http upstreams (stand-ins for pods, so each
// behaviour can be provoked exactly): unbuffered SSE, header handling, errors, keep-alive, aborts.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import type { GatewayEndpoint } from '../../../src/sim/contracts.ts';
import { startGateway, type GatewayHandle } from '../../../src/sim/gateway/server.ts';

interface Upstream {
  name: string;
  url: string;
  connections: number;
  lastHeaders: IncomingHttpHeaders;
  close(): Promise<void>;
}

async function startUpstream(
  name: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Upstream> {
  const up: Upstream = { name, url: '', connections: 0, lastHeaders: {}, close: async () => {} };
  const server = http.createServer((req, res) => {
    up.lastHeaders = req.headers;
    handler(req, res);
  });
  server.on('connection', () => up.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return up;
}

const endpointOf = (u: Upstream): GatewayEndpoint => ({
  name: u.name,
  namespace: 'llm-d',
  url: u.url,
  load: () => ({ waiting: 0, running: 0, kvUsage: 0 }),
});

const jsonHandler = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const out = JSON.stringify({ pod: name, echo: body, url: req.url });
    res.writeHead(201, { 'content-type': 'application/json', 'x-pod-own': 'yes' });
    res.end(out);
  });
};

// Streaming upstream: sends one SSE event, then waits for the test to say the client has seen it.
let releaseSecond: () => void = () => {};
const streamHandler = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write('data: {"n":1}\n\n');
  new Promise<void>((r) => (releaseSecond = r)).then(() => {
    res.write('data: {"n":2}\n\n');
    res.end('data: [DONE]\n\n');
  });
};

const pods: Upstream[] = [];
let ready: GatewayEndpoint[] = [];
const gateways: GatewayHandle[] = [];
const client = new Agent({ keepAliveTimeout: 10_000 });

async function gateway(opts: Partial<Parameters<typeof startGateway>[0]> = {}): Promise<GatewayHandle> {
  const g = await startGateway({
    endpoints: { readyEndpoints: () => ready },
    policy: 'round-robin',
    seed: 1,
    ...opts,
  });
  gateways.push(g);
  return g;
}

beforeAll(async () => {
  pods.push(await startUpstream('pod-a', jsonHandler('pod-a')));
  pods.push(await startUpstream('pod-b', jsonHandler('pod-b')));
  pods.push(await startUpstream('pod-s', streamHandler));
});

beforeEach(() => {
  ready = [endpointOf(pods[0]!), endpointOf(pods[1]!)];
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all(pods.map((p) => p.close()));
  await client.close();
});

const post = (g: GatewayHandle, path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${g.url}${path}`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('gateway proxying', () => {
  it('streams server-sent events through without buffering', async () => {
    ready = [endpointOf(pods[2]!)];
    const g = await gateway();
    const res = await post(g, '/v1/chat/completions', { stream: true });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const it = res.body[Symbol.asyncIterator]();
    // The upstream holds its second event until we have seen the first: a buffering proxy deadlocks here.
    const first = await it.next();
    expect(String(first.value)).toContain('"n":1');
    releaseSecond();
    let rest = '';
    for (let c = await it.next(); !c.done; c = await it.next()) rest += String(c.value);
    expect(rest).toContain('"n":2');
    expect(rest).toContain('[DONE]');
  });

  it("forwards method, path, query, body, status and the pod's own headers; passes Authorization through", async () => {
    const g = await gateway();
    const res = await post(g, '/v1/completions?x=1', { prompt: 'hi' }, { authorization: 'Bearer sk-test' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-pod-own']).toBe('yes');
    expect(res.headers['x-went-into-resp-headers']).toBe('true');
    const body = (await res.body.json()) as { pod: string; echo: string; url: string };
    expect(body.echo).toBe('{"prompt":"hi"}');
    expect(body.url).toBe('/v1/completions?x=1');
    const seen = pods.find((p) => p.name === body.pod)!.lastHeaders;
    expect(seen.authorization).toBe('Bearer sk-test');
    expect(seen['x-gateway-destination-endpoint']).toBe(pods.find((p) => p.name === body.pod)!.url.slice(7));
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('routes GET /v1/models and answers /health itself', async () => {
    const g = await gateway();
    const models = await request(`${g.url}/v1/models`, { dispatcher: client });
    expect(models.statusCode).toBe(201);
    await models.body.dump();
    ready = [];
    const health = await request(`${g.url}/health`, { dispatcher: client });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('accepts a body sent after Expect: 100-continue (as curl does for large bodies)', async () => {
    const g = await gateway();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${g.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', expect: '100-continue' },
      });
      req.on('continue', () => req.end('{"prompt":"x"}'));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(status).toBe(201);
  });

  it('answers 503 with an OpenAI-shaped error when no pod is Ready', async () => {
    const g = await gateway();
    ready = [];
    const res = await post(g, '/v1/chat/completions', { messages: [] });
    expect(res.statusCode).toBe(503);
    const body = (await res.body.json()) as { error: { message: string; type: string; code: number } };
    expect(body.error.message).toMatch(/no Ready pod/);
    expect(body.error.code).toBe(503);
  });

  it('answers 503 when the chosen pod does not accept connections', async () => {
    const gone = await startUpstream('pod-gone', jsonHandler('pod-gone'));
    await gone.close();
    ready = [endpointOf(gone)];
    const g = await gateway();
    const res = await post(g, '/v1/completions', { prompt: 'x' });
    expect(res.statusCode).toBe(503);
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toMatch(
      /upstream connect error/,
    );
  });

  it.each([
    ['GET', '/v1/chat/completions', 405],
    ['POST', '/v1/embeddings', 404],
    ['GET', '/metrics', 404],
  ])('%s %s → %i', async (method, path, status) => {
    const g = await gateway();
    const res = await request(`${g.url}${path}`, { method: method as 'GET', dispatcher: client });
    expect(res.statusCode).toBe(status);
    await res.body.dump();
  });

  it('answers 404 to a Host the route does not list, except /health', async () => {
    const g = await gateway({ host: 'llm-d.demo.local' });
    const wrong = await post(g, '/v1/completions', { prompt: 'x' });
    expect(wrong.statusCode).toBe(404);
    expect(((await wrong.body.json()) as { error: { message: string } }).error.message).toMatch(
      /no route for host 127\.0\.0\.1/,
    );
    const right = await post(g, '/v1/completions', { prompt: 'x' }, { host: 'llm-d.demo.local:8080' });
    expect(right.statusCode).toBe(201);
    await right.body.dump();
    const health = await request(`${g.url}/health`, { dispatcher: client });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('names the serving pod in --served-by-header', async () => {
    const g = await gateway({ servedByHeader: 'x-inference-pod' });
    const names = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(g, '/v1/completions', { prompt: 'x' });
      const body = (await res.body.json()) as { pod: string };
      expect(res.headers['x-inference-pod']).toBe(body.pod);
      names.push(body.pod);
    }
    expect(names).toEqual(['pod-a', 'pod-b', 'pod-a', 'pod-b']);
  });

  it('reveals nothing about the pod without the header or session-token policy', async () => {
    const g = await gateway();
    const res = await post(g, '/v1/completions', { prompt: 'x' });
    await res.body.dump();
    expect(Object.keys(res.headers).filter((h) => /pod|session/.test(h) && h !== 'x-pod-own')).toEqual([]);
  });

  it('sets x-session-token to base64 of llm-d/<pod> and keeps a client that echoes it on that pod', async () => {
    const g = await gateway({ policy: 'session-token' });
    const first = await post(g, '/v1/completions', { prompt: 'x' });
    const pod = ((await first.body.json()) as { pod: string }).pod;
    const token = String(first.headers['x-session-token']);
    expect(Buffer.from(token, 'base64').toString()).toBe(`llm-d/${pod}`);
    for (let i = 0; i < 6; i++) {
      const res = await post(g, '/v1/completions', { prompt: 'x' }, { 'x-session-token': token });
      expect(((await res.body.json()) as { pod: string }).pod).toBe(pod);
    }
  });

  it('rejects a body that is not JSON under prefix-aware (the EPP must parse it)', async () => {
    const g = await gateway({ policy: 'prefix-aware' });
    const res = await request(`${g.url}/v1/completions`, {
      method: 'POST',
      dispatcher: client,
      body: '{nope',
    });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
  });

  it('aborts the upstream request when the client goes away mid-stream', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const slow = await startUpstream('pod-slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
      res.on('close', () => upstreamClosed());
    });
    pods.push(slow);
    ready = [endpointOf(slow)];
    const g = await gateway();
    const ac = new AbortController();
    const res = await request(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
      signal: ac.signal,
    });
    await res.body[Symbol.asyncIterator]().next();
    ac.abort();
    await closed; // times the test out if the gateway kept the upstream request open
  });

  it('aborts the upstream request when the client goes away before any response header', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    const mute = await startUpstream('pod-mute', (_req, res) => {
      res.on('close', () => upstreamClosed());
      arrived();
    });
    pods.push(mute);
    ready = [endpointOf(mute)];
    const g = await gateway();
    const ac = new AbortController();
    const pending = request(`${g.url}/v1/completions`, { method: 'POST', body: '{}', signal: ac.signal });
    await arrivedP;
    ac.abort();
    await expect(pending).rejects.toThrow();
    await closed;
    const health = await request(`${g.url}/health`);
    expect(health.statusCode).toBe(200); // still serving
    await health.body.dump();
  });

  it('reuses keep-alive connections to the pods under load', async () => {
    const p = await startUpstream('pod-ka', jsonHandler('pod-ka'));
    pods.push(p);
    ready = [endpointOf(p)];
    const g = await gateway();
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 8 }, async () =>
          (await post(g, '/v1/completions', { prompt: 'x' })).body.dump(),
        ),
      );
    }
    expect(p.connections).toBeLessThanOrEqual(8);
  });

  it('relays a zero-latency pod at over a fifth of its direct request rate (target: 1000+ req/s when idle)', async () => {
    const p = await startUpstream('pod-fast', jsonHandler('pod-fast'));
    pods.push(p);
    ready = [endpointOf(p)];
    const g = await gateway({ policy: 'prefix-aware' });
    const body = {
      model: 'm',
      messages: [
        { role: 'system', content: 'x'.repeat(2000) },
        { role: 'user', content: 'hi' },
      ],
    };
    const rate = async (base: string): Promise<number> => {
      const total = 1000;
      const concurrency = 32;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = 0; i < total / concurrency; i++) {
            await (
              await request(`${base}/v1/chat/completions`, {
                method: 'POST',
                dispatcher: client,
                body: JSON.stringify(body),
              })
            ).body.dump();
          }
        }),
      );
      return total / ((performance.now() - t0) / 1000);
    };
    const direct = await rate(p.url);
    const through = await rate(g.url);
    console.log(
      `zero-latency pod: ${Math.round(direct)} req/s direct, ${Math.round(through)} req/s through the gateway`,
    );
    // Client, gateway and pod share this process (and the machine is shared with other test workers), so
    // the bound is relative: a gateway hop costs about a pod's worth of HTTP work, never an order of magnitude.
    expect(through).toBeGreaterThan(direct / 5);
  });
});
