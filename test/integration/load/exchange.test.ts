// The dispatch-based HTTP exchange under ChatClient, over real loopback HTTP: status, headers, chunks
// and trailers in order; an abort before a connection exists; a huge error body cut at its start.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { ChatClient } from '../../../src/load/client.ts';
import { startExchange } from '../../../src/load/exchange.ts';
import type { PreparedTurn } from '../../../src/workload/sessions.ts';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (req.url === '/trailers') {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-session-token' });
      res.write('one,');
      res.write('two');
      res.addTrailers({ 'x-session-token': 'dG9rZW4=' });
      res.end();
    } else if (req.url === '/v1/chat/completions') {
      // 1 MB of error text: the client keeps its first 8 KB and hangs up.
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(`overloaded ${'x'.repeat(1 << 20)}`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('delivers the status, headers, body chunks in order and the trailers', async () => {
  const pool = new Pool(origin, { connections: 1 });
  const seen: string[] = [];
  const ex = startExchange(
    pool,
    { path: '/trailers', method: 'GET', headers: {}, body: null },
    {
      onStart: (status, headers) => seen.push(`${status} ${String(headers['content-type'])}`),
      onData: (chunk) => seen.push(chunk.toString()),
    },
  );
  const trailers = await ex.done;
  expect(seen[0]).toBe('200 text/plain');
  expect(seen.slice(1).join('')).toBe('one,two');
  expect(trailers['x-session-token']).toBe('dG9rZW4=');
  await pool.close();
});

it('rejects with the abort reason when aborted while still waiting for a connection', async () => {
  // A non-routable address: the connect is still pending when the abort comes.
  const pool = new Pool('http://10.255.255.1:9', { connections: 1, connectTimeout: 5000 });
  const ex = startExchange(
    pool,
    { path: '/', method: 'GET', headers: {}, body: null },
    {
      onStart: () => undefined,
      onData: () => undefined,
    },
  );
  const reason = new Error('stopped');
  ex.abort(reason);
  await expect(ex.done).rejects.toBe(reason);
  await pool.destroy();
});

it('turns a huge error body into a one-line error from its first 8 KB', async () => {
  const client = new ChatClient({
    gatewayUrl: origin,
    model: 'm',
    maxTokens: 8,
    stream: false,
    pinDate: false,
    requestTimeoutMs: 10_000,
    connections: 1,
  });
  const turn: PreparedTurn = {
    session: 0,
    conversation: 0,
    turn: 1,
    messages: [{ role: 'user', content: 'hi' }],
    dateString: '01 Jan 2026',
    promptIds: [1, 2, 3],
    prefixReusableTokens: 0,
    chain: { a: 0, b: 0, filled: 3 },
  };
  const outcome = await client.send(turn, new AbortController().signal);
  expect(outcome.status).toBe(503);
  expect(outcome.error).toMatch(/^HTTP 503: overloaded x+…$/);
  expect(outcome.error!.length).toBeLessThanOrEqual(200);
  await client.close();
});
