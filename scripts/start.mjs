// `npm start`: the demo, pinned to CPU 0 where `taskset` exists. On the VMs this project is built on,
// the clock seen from CPU 1 advances in 4–52 ms steps (DESIGN.md "Runtime"), which would quantise
// every TTFT the demo measures; the demo's load is small enough for one core.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/src/bin.js', import.meta.url));
const args = [cli, 'demo', ...process.argv.slice(2)];
const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
const r = taskset
  ? spawnSync(taskset, ['-c', '0', process.execPath, ...args], { stdio: 'inherit' })
  : spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
