// The one process-boundary object (STYLE.md, after k6's cmd/state): commands receive it instead of
// touching `process` or `console`, so every command runs inside a test.
import type { Writable } from 'node:stream';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** ms since the Unix epoch */
  now(): number;
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal;
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(line.endsWith('\n') ? line : `${line}\n`);
}
