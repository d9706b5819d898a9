// The floor under ramp-load's requests/s: undici (the HTTP client ramp-load is built on) sending the
// fixed body in a closed loop over the same Pool.dispatch path, with no workload, no parsing and no
// records. Run by the bench as `node bench/undici-floor.ts URL BODY CONNECTIONS SECONDS`; prints
// `{"requests","seconds","errors"}`. What ramp-load spends above this is its own work per request.
import { Pool } from 'undici';

const [url = '', body = '', connections = '64', seconds = '10'] = process.argv.slice(2);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: Number(connections) });
const headers = { 'content-type': 'application/json', accept: 'text/event-stream, application/json' };
let requests = 0;
let errors = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    let status = 0;
    pool.dispatch(
      { path: target.pathname, method: 'POST', headers, body },
      {
        onRequestStart() {},
        onResponseStart(_c, s) {
          status = s;
        },
        onResponseData() {},
        onResponseEnd() {
          if (status !== 200) errors++;
          resolve();
        },
        onResponseError() {
          errors++;
          resolve();
        },
      },
    );
  });
}

const t0 = performance.now();
const end = t0 + Number(seconds) * 1000;
await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    while (performance.now() < end) {
      await once();
      requests++;
    }
  }),
);
const elapsed = (performance.now() - t0) / 1000;
await pool.close();
process.stdout.write(`${JSON.stringify({ requests, seconds: elapsed, errors })}\n`);
