// The floor under the TTFT error: what bare Node does at the same streams and rate, with none of
// ramp-load or the simulated pod. A node:http server answers every request with SSE — the first chunk
// after the known TTFT, then one every inter-token gap — and an undici Pool.dispatch client sends an
// open loop and stamps the first chunk. The same two loopback hops and the same timers as the real
// measurement; what ramp-load and the pod add is whatever sits above this.
// Both processes also stamp each request on the shared wall clock (timeOrigin + now, µs), so the error
// splits into its three legs: the request (client send → server handler), the server's timer (handler →
// first write, − TTFT) and the response (first write → client's first chunk).
//   node bench/ttft-floor.ts server TTFT_MS ITL_MS TOKENS         prints {"url"} and serves until SIGTERM
//   node bench/ttft-floor.ts client URL RPS REQUESTS SETTLE_MS TTFT_MS
//     prints {"errorsMs": [first chunk − send − TTFT, for sends after SETTLE_MS], "legsMs", "failed"}
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

// A chunk the size of vLLM's (one token of content in a chat.completion.chunk).
const CHUNK =
  'data: {"id":"chatcmpl-00000000000000000000000000000000","object":"chat.completion.chunk",' +
  '"created":1767225600,"model":"meta-llama/Llama-3.2-3B-Instruct","choices":[{"index":0,' +
  '"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}\n\n';

const SEQ_HEADER = 'x-floor-seq';
const STAMPS_PATH = '/stamps';

/** Wall-clock ms with the monotonic clock's resolution: comparable across the two processes. */
const wallMs = (): number => performance.timeOrigin + performance.now();

export interface FloorLegs {
  /** client send → server handler */
  request: number[];
  /** server handler → first write, − TTFT */
  timer: number[];
  /** server first write → client first chunk */
  response: number[];
}

function serve(ttftMs: number, itlMs: number, tokens: number): void {
  // seq → [arrival, first write], on the wall clock
  const stamps: Record<string, [number, number]> = {};
  const server = createServer((req, res) => {
    const arrival = wallMs();
    req.resume();
    if (req.url === STAMPS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stamps));
      return;
    }
    const seq = String(req.headers[SEQ_HEADER]);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let sent = 0;
      const next = (): void => {
        if (sent === 0) stamps[seq] = [arrival, wallMs()];
        res.write(CHUNK);
        if (++sent < tokens) setTimeout(next, itlMs);
        else res.end('data: [DONE]\n\n');
      };
      setTimeout(next, ttftMs);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

async function load(url: string, rps: number, requests: number, settleMs: number, ttftMs: number) {
  const pool = new Pool(url, { connections: requests, headersTimeout: 0, bodyTimeout: 0 });
  const body = JSON.stringify({
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    messages: [{ role: 'user', content: 'word '.repeat(80) }],
    max_tokens: 8,
    stream: true,
  });
  // seq → [send, first chunk], on the wall clock; measured sends only
  const measured = new Map<number, [number, number]>();
  let failed = 0;
  let ended = 0;
  const t0 = performance.now();
  let resolve = (): void => {};
  const allEnded = new Promise<void>((r) => (resolve = r));
  const end = (): void => {
    if (++ended === requests) resolve();
  };
  const send = (seq: number): void => {
    const start = wallMs();
    const headers = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      [SEQ_HEADER]: String(seq),
    };
    let first = true;
    pool.dispatch(
      { path: '/v1/chat/completions', method: 'POST', headers, body },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {
          if (!first) return;
          first = false;
          if (start - performance.timeOrigin - t0 >= settleMs) measured.set(seq, [start, wallMs()]);
        },
        onResponseEnd: end,
        onResponseError() {
          failed++;
          end();
        },
      },
    );
  };
  // Open loop: every send that is due goes out, then one timer to the next.
  let sent = 0;
  const tick = (): void => {
    while (sent < requests && performance.now() >= t0 + (sent * 1000) / rps) send(sent++);
    if (sent < requests) setTimeout(tick, Math.max(0, t0 + (sent * 1000) / rps - performance.now()));
  };
  tick();
  await allEnded;
  const served = (await (await pool.request({ path: STAMPS_PATH, method: 'GET' })).body.json()) as Record<
    string,
    [number, number]
  >;
  await pool.close();
  const errorsMs: number[] = [];
  const legsMs: FloorLegs = { request: [], timer: [], response: [] };
  for (const [seq, [start, first]] of measured) {
    errorsMs.push(first - start - ttftMs);
    const server = served[seq];
    if (!server) continue;
    legsMs.request.push(server[0] - start);
    legsMs.timer.push(server[1] - server[0] - ttftMs);
    legsMs.response.push(first - server[1]);
  }
  process.stdout.write(`${JSON.stringify({ errorsMs, legsMs, failed })}\n`);
}

const [role, ...args] = process.argv.slice(2);
const nums = args.map(Number);
if (role === 'server') serve(nums[0] ?? 50, nums[1] ?? 500, nums[2] ?? 6);
else if (role === 'client')
  await load(args[0] ?? '', nums[1] ?? 200, nums[2] ?? 2800, nums[3] ?? 5000, nums[4] ?? 50);
else throw new Error('usage: node bench/ttft-floor.ts server TTFT ITL TOKENS | client URL RPS N SETTLE TTFT');
