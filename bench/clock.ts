// The clock each CPU sees (DESIGN "Runtime: Timing"): a child pinned to the CPU (1) spins on
// performance.now() and reports the steps between distinct readings, (2) sleeps 1 ms forty times and
// reports how long each sleep really took. On these machines CPU 1's clock has been seen advancing in
// 4–52 ms steps while CPU 0's resolves below a microsecond; the bench reports what it saw this time.
import { NODE, pinned, run } from './procs.ts';

export interface ClockResolution {
  cpu: number;
  /** median / largest step between successive distinct performance.now() readings, ms */
  medianStepMs: number;
  maxStepMs: number;
  /** median / largest measured length of a 1 ms setTimeout, ms */
  sleep1msMedianMs: number;
  sleep1msMaxMs: number;
}

const PROBE = `
const { performance } = require('node:perf_hooks');
const steps = [];
let last = performance.now();
const end = last + 300;
while (steps.length < 100000) {
  const t = performance.now();
  if (t !== last) { steps.push(t - last); last = t; }
  if (t > end) break;
}
steps.sort((a, b) => a - b);
const sleeps = [];
const sleep = () => {
  const t0 = performance.now();
  setTimeout(() => {
    sleeps.push(performance.now() - t0);
    if (sleeps.length < 40) return sleep();
    sleeps.sort((a, b) => a - b);
    process.stdout.write(JSON.stringify({
      medianStepMs: steps[Math.floor(steps.length / 2)], maxStepMs: steps[steps.length - 1],
      sleep1msMedianMs: sleeps[20], sleep1msMaxMs: sleeps[39],
    }));
  }, 1);
};
sleep();
`;

export async function clockResolution(cpu: number): Promise<ClockResolution> {
  const [cmd, args] = pinned(cpu, NODE, ['-e', PROBE]);
  const { stdout } = await run(cmd, args);
  return { cpu, ...(JSON.parse(stdout) as Omit<ClockResolution, 'cpu'>) };
}
