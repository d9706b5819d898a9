// Preloaded (--import) into the CLI by report-scale.test.ts: prints the process' peak RSS and CPU time on
// exit. CPU time rather than wall time: the test machines are shared, and contention is not our cost.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  writeSync(2, `max-rss-kb ${u.maxRSS} cpu-ms ${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)}\n`);
});
