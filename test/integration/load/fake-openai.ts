// A small OpenAI-compatible chat server on 127.0.0.1:0 for the load driver's tests: streams SSE the way
// vLLM does (role chunk, content deltas, finish chunk, usage chunk, [DONE]), each event written in two
// pieces so the client sees lines cut across chunks; answers with x-session-token like llm-d's
// session-affinity scorer; can fail, stall or break streams on demand. Records every request it gets.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  headers: IncomingHttpHeaders;
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    max_tokens: number;
    stream: boolean;
    stream_options?: { include_usage: boolean };
    chat_template_kwargs?: { date_string: string };
  };
}

export type FakeBehaviour = 'ok' | 'fail500' | 'stall' | 'break-stream';

export interface FakeServer {
  url: string;
  port: number;
  requests: FakeRequest[];
  behaviour: FakeBehaviour;
  /** ms between streamed chunks */
  chunkDelayMs: number;
  close(): Promise<void>;
}

const PODS = ['decode-a', 'decode-b', 'decode-c'];

export async function startFakeOpenAi(
  opts: { behaviour?: FakeBehaviour; chunkDelayMs?: number } = {},
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const fake: FakeServer = {
    url: '',
    port: 0,
    requests,
    behaviour: opts.behaviour ?? 'ok',
    chunkDelayMs: opts.chunkDelayMs ?? 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.url === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
          res.end(
            '# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.\n' +
              '# TYPE vllm:prefix_cache_queries_total counter\n' +
              `vllm:prefix_cache_queries_total{engine="0",model_name="m"} ${requests.length * 100}.0\n`,
          );
          return;
        }
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as FakeRequest['body'];
        requests.push({ headers: req.headers, body });
        if (fake.behaviour === 'fail500') {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ error: { message: 'engine\ncrashed', type: 'InternalServerError', code: 500 } }),
          );
          return;
        }
        if (fake.behaviour === 'stall') return; // never answers
        // Session affinity: keep a pod per conversation, named by the first user message.
        const echoed = req.headers['x-session-token'];
        const token =
          typeof echoed === 'string'
            ? echoed
            : Buffer.from(`llm-d/${PODS[requests.length % PODS.length]}`).toString('base64');
        const turn = body.messages.filter((m) => m.role === 'user').length;
        const words = Array.from({ length: 12 }, (_, i) => `word${(turn * 7 + i) % 50}`);
        const content = `Answer to turn ${turn}: ${words.join(' ')}.`;
        const usage = {
          prompt_tokens: 100 + turn,
          completion_tokens: words.length + 5,
          total_tokens: 117 + turn + words.length,
          prompt_tokens_details: { cached_tokens: 16 * (turn - 1) },
        };
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-session-token': token });
          res.end(
            JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }], usage }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-session-token': token });
        const events = [
          { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
          ...[content.slice(0, 10), content.slice(10, 30), content.slice(30)].map((piece) => ({
            choices: [{ index: 0, delta: { content: piece } }],
          })),
          { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          { choices: [], usage },
        ];
        for (const [i, event] of events.entries()) {
          const text = `data: ${JSON.stringify(event)}\n\n`;
          const cut = 7 + (i % 5);
          res.write(text.slice(0, cut));
          if (fake.chunkDelayMs) await sleep(fake.chunkDelayMs);
          res.write(text.slice(cut));
          if (fake.behaviour === 'break-stream' && i === 2) {
            await sleep(30); // let the headers and first chunks leave before the connection dies
            res.socket?.destroy();
            return;
          }
        }
        res.end('data: [DONE]\n\n');
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  return fake;
}
