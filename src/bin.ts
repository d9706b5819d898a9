#!/usr/bin/env node
// Process entry of `kv-cache-bench`: the one place that touches argv, signals and the exit code.
import { main } from './cli.ts';
import type { Io } from './io.ts';

const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    // A second signal means "now": what finished is already on disk (records are appended as they complete).
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error(sig));
  });
}

const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => Date.now(),
  signal: controller.signal,
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kv-cache-bench: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
