// Runs the CLI in-process with a captured Io (stdout/stderr as strings, a clock, an abort signal).
import { Writable } from 'node:stream';
import { main } from '../../../src/cli.ts';
import type { Io } from '../../../src/io.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

export async function runCli(
  argv: string[],
  opts: { env?: Record<string, string | undefined>; signal?: AbortSignal } = {},
): Promise<CliRun> {
  const out = capture();
  const err = capture();
  const io: Io = {
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? {},
    now: () => Date.now(),
    signal: opts.signal ?? new AbortController().signal,
  };
  const code = await main(argv, io);
  return { code, stdout: out.text(), stderr: err.text() };
}
