// ramp-load's own work per request without HTTP (bench/workload-cost.ts), for real: the runner, the
// session pool and the record file on a small closed loop, in a process of its own. Every request
// completes, and what one costs is above nothing and far below what an HTTP round trip costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THROUGHPUT_SHAPE } from '../../../bench/throughput.ts';
import { NODE, run } from '../../../bench/procs.ts';
import type { WorkloadCostOptions } from '../../../bench/workload-cost.ts';

const REPO = join(import.meta.dirname, '../../..');

it('runs the closed loop in-process and prints the CPU per request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvb-workload-cost-'));
  try {
    const options: WorkloadCostOptions = {
      shape: { ...THROUGHPUT_SHAPE, sessions: 8 },
      concurrency: 8,
      requests: 400,
      modulePattern: join(REPO, 'src/@.ts'),
      out: join(dir, 'records.jsonl'),
    };
    const { stdout } = await run(NODE, [join(REPO, 'bench/workload-cost.ts'), JSON.stringify(options)]);
    const figure = JSON.parse(stdout) as { requests: number; cpuMsPerRequest: number };
    expect(figure.requests).toBe(400);
    expect(figure.cpuMsPerRequest).toBeGreaterThan(0);
    // Cold code on a loaded CI machine is slow, but a millisecond per request means something is wrong.
    expect(figure.cpuMsPerRequest).toBeLessThan(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
