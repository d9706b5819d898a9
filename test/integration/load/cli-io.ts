// Runs the CLI in-process with a captured Io (stdout/stderr as strings, a clock, an abort signal).
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { main } from '../../../src/cli.ts';
import type { Io } from '../../../src/io.ts';
import type { Snapshot } from '../../../src/types.ts';

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

/** `scrape-metrics` of the stack's pods through its kubeconfig into `out`; it must succeed. */
export async function scrapeCli(
  kubeconfigPath: string,
  label: string,
  out: string,
): Promise<{ snap: Snapshot; stderr: string }> {
  const run = await runCli([
    'scrape-metrics',
    '--kubeconfig',
    kubeconfigPath,
    '--label',
    label,
    '--out',
    out,
  ]);
  expect(run.code).toBe(0);
  return { snap: JSON.parse(readFileSync(out, 'utf8')) as Snapshot, stderr: run.stderr };
}
