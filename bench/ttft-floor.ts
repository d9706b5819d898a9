// The floor under the TTFT error: what bare Node does at the same streams and rate, with none of
// ramp-load or the simulated pod. A node:http server answers every request with SSE — the first chunk
// after the known TTFT, then one every inter-token gap — and an undici Pool.dispatch client sends an
// open loop and stamps the first chunk. The same two loopback hops and the same timers as the real
// measurement; what ramp-load and the pod add is whatever sits above this.
//   node bench/ttft-floor.ts server TTFT_MS ITL_MS TOKENS         prints {"url"} and serves until SIGTERM
//   node bench/ttft-floor.ts client URL RPS REQUESTS SETTLE_MS TTFT_MS
//     prints {"errorsMs": [first chunk − send − TTFT, for sends after SETTLE_MS], "failed"}
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

// A chunk the size of vLLM's (one token of content in a chat.completion.chunk).
const CHUNK =
  'data: {"id":"chatcmpl-00000000000000000000000000000000","object":"chat.completion.chunk",' +
  '"created":1767225600,"model":"meta-llama/Llama-3.2-3B-Instruct","choices":[{"index":0,' +
  '"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}\n\n';

function serve(ttftMs: number, itlMs: number, tokens: number): void {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let sent = 0;
      const next = (): void => {
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
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
  const body = JSON.stringify({
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    messages: [{ role: 'user', content: 'word '.repeat(80) }],
    max_tokens: 8,
    stream: true,
  });
  const errorsMs: number[] = [];
  let failed = 0;
  let ended = 0;
  const t0 = performance.now();
  let resolve = (): void => {};
  const allEnded = new Promise<void>((r) => (resolve = r));
  const end = (): void => {
    if (++ended === requests) resolve();
  };
  const send = (): void => {
    const start = performance.now();
    let first = true;
    pool.dispatch(
      { path: '/v1/chat/completions', method: 'POST', headers, body },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {
          if (!first) return;
          first = false;
          if (start - t0 >= settleMs) errorsMs.push(performance.now() - start - ttftMs);
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
    while (sent < requests && performance.now() >= t0 + (sent * 1000) / rps) {
      sent++;
      send();
    }
    if (sent < requests) setTimeout(tick, t0 + (sent * 1000) / rps - performance.now());
  };
  tick();
  await allEnded;
  await pool.close();
  process.stdout.write(`${JSON.stringify({ errorsMs, failed })}\n`);
}

const [role, ...args] = process.argv.slice(2);
const nums = args.map(Number);
if (role === 'server') serve(nums[0] ?? 50, nums[1] ?? 500, nums[2] ?? 6);
else if (role === 'client')
  await load(args[0] ?? '', nums[1] ?? 200, nums[2] ?? 2800, nums[3] ?? 5000, nums[4] ?? 50);
else throw new Error('usage: node bench/ttft-floor.ts server TTFT ITL TOKENS | client URL RPS N SETTLE TTFT');
