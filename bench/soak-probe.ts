// Preloaded into the load generator for the soak (`node --import bench/soak-probe.ts src/bin.ts …`):
// every BENCH_SAMPLE_MS it writes one JSON line of process.memoryUsage() to file descriptor 3, which
// the soak reads. The timer is unref'd: it never keeps the process alive.
import { writeSync } from 'node:fs';

const everyMs = Number(process.env.BENCH_SAMPLE_MS ?? 10_000);
const t0 = Date.now();
const sample = (): void => {
  const m = process.memoryUsage();
  const line = {
    tSeconds: Math.round((Date.now() - t0) / 1000),
    rssMb: m.rss / 1048576,
    heapUsedMb: m.heapUsed / 1048576,
    heapTotalMb: m.heapTotal / 1048576,
    externalMb: m.external / 1048576,
  };
  try {
    writeSync(3, `${JSON.stringify(line)}\n`);
  } catch {
    // fd 3 closed: the soak went away; the run itself goes on
  }
};
setInterval(sample, everyMs).unref();
sample();
