// The bench's TTFT floor (bench/ttft-floor.ts) for real: a bare server and client in their own
// processes, a small open loop. Every send after the settle time gives one sample, and no first chunk
// comes before the known TTFT (a timer may fire a fraction of a millisecond early, never more). The
// error splits into its three legs, each stamped by the process that saw it.
import { benchTtftFloor, KNOWN_TTFT_MS } from '../../../bench/ttft.ts';

it('measures the first chunk of every request sent after the settle time, none before the TTFT', async () => {
  const floor = await benchTtftFloor(
    { concurrency: 8, interTokenMs: 5, maxTokens: 4, rateRps: 100, requests: 40, settleMs: 100 },
    { name: 'test', loadCpu: null, serverCpu: null },
  );
  // Sends go out every 10 ms from 0 ms: those at 100 ms and after are measured.
  expect(floor).toMatchObject({ samples: 30, failed: 0 });
  expect(floor.error.min).toBeGreaterThan(-1);
  // Loose: a loaded CI machine may be slow, but a first chunk a whole TTFT late means a broken stamp.
  expect(floor.error.median).toBeLessThan(KNOWN_TTFT_MS);
  // The server stamped every measured request, and no leg runs backwards by more than the two
  // processes' wall clocks can disagree.
  expect(floor.stamped).toBe(30);
  for (const leg of Object.values(floor.legs)) expect(leg.min).toBeGreaterThan(-1);
  expect(floor.legs.request.median).toBeLessThan(KNOWN_TTFT_MS);
  expect(floor.legs.response.median).toBeLessThan(KNOWN_TTFT_MS);
}, 30_000);
