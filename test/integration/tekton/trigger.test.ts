// `kv-cache-bench trigger` against a real HTTP server standing in for a Tekton Triggers EventListener.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { triggerBody } from '../../../src/commands/trigger.ts';
import { runCli } from '../load/cli-io.ts';

interface Seen {
  method: string;
  contentType: string;
  body: unknown;
}

let server: Server;
let url: string;
let seen: Seen[] = [];
let answer = {
  status: 202,
  body: '{"eventListener":"kv-cache-bench-nightly","namespace":"llm-d","eventID":"e-1"}',
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: JSON.parse(text || 'null'),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  answer = {
    status: 202,
    body: '{"eventListener":"kv-cache-bench-nightly","namespace":"llm-d","eventID":"e-1"}',
  };
});

describe('kv-cache-bench trigger', () => {
  it("posts the params as a JSON body and prints the EventListener's answer", async () => {
    const out = await runCli([
      'trigger',
      `--url=${url}`,
      '--param',
      'namespace=llm-d',
      'stages=8x72,16x144',
      'gateway-url=http://gw:80/x=y',
    ]);
    expect(out).toEqual({ code: 0, stdout: `${answer.body}\n`, stderr: '' });
    expect(seen).toEqual([
      {
        method: 'POST',
        contentType: 'application/json',
        body: { namespace: 'llm-d', stages: '8x72,16x144', 'gateway-url': 'http://gw:80/x=y' },
      },
    ]);
  });

  it('posts an empty object when no param is given', async () => {
    expect((await runCli(['trigger', `--url=${url}`])).code).toBe(0);
    expect(seen.map((s) => s.body)).toEqual([{}]);
  });

  it('exits 1 naming the status when the EventListener refuses the event', async () => {
    answer = { status: 500, body: 'boom' };
    const out = await runCli(['trigger', `--url=${url}`, '--param', 'namespace=llm-d']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('answered HTTP 500: boom');
  });

  it('exits 1 when nothing listens at the URL', async () => {
    const out = await runCli(['trigger', '--url=http://127.0.0.1:9/', '--timeout=5s']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('cannot reach the EventListener at http://127.0.0.1:9/');
  });

  it.each([
    [['trigger'], '--url is required'],
    [['trigger', '--url=ftp://x'], '--url must be http or https'],
    [['trigger', `--url=x`], 'is not a URL'],
    [['trigger', '--url=http://x', '--param', 'novalue'], 'is not key=value'],
  ])('exits 2 on bad input %p', async (argv, message) => {
    const out = await runCli(argv);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(message);
    expect(seen).toEqual([]);
  });

  it.each([
    [['a=1', 'b=x=y', 'a=2'], { a: '2', b: 'x=y' }],
    [[], {}],
  ])('builds the body from %p', (pairs, body) => {
    expect(triggerBody(pairs)).toEqual(body);
  });
});
