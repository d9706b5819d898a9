// How finely this process's monotonic clock advances. On some VMs (this project's CI among them) the
// clock seen from one vCPU advances in 4–52 ms steps while another resolves below a microsecond
// (DESIGN.md "Runtime"): lag and latency below that step cannot be judged, only quantised.
import { performance } from 'node:perf_hooks';

/** Median positive step of performance.now() seen within budgetMs of busy sampling. */
export function probeClockStepMs(budgetMs = 120): number {
  const steps: number[] = [];
  const start = performance.now();
  let last = start;
  // Wall-clock bound too: a frozen monotonic clock must not spin forever.
  const wallDeadline = Date.now() + budgetMs;
  while (steps.length < 200 && Date.now() < wallDeadline) {
    const t = performance.now();
    if (t > last) {
      steps.push(t - last);
      last = t;
    }
  }
  if (steps.length === 0) return budgetMs;
  steps.sort((a, b) => a - b);
  return Math.round((steps[Math.floor(steps.length / 2)] as number) * 1000) / 1000;
}
