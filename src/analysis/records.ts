// Streams JSONL files (request records, stage marks, periodic snapshots) line by line: report must read a
// million records in seconds and a few hundred MB, so no file is ever read whole. Shards' files merge
// naturally: every record carries its runId and shard.
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { fileProblem } from '../files.ts';
import type { Snapshot, StageMark } from '../types.ts';
import { RecordsAccumulator } from './record-aggregate.ts';

/**
 * A line longer than this is no record (a binary file, a file without newlines): it is handed over as one
 * unparseable line, so it is counted as dropped, and skipped without holding it in memory.
 */
const MAX_LINE_CHARS = 64 * 1024 * 1024;
const OVERLONG_LINE = '\u0000 (line too long)';

async function forEachLine(
  path: string,
  flag: string,
  onLine: (line: string, lineNo: number) => void,
): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new UsageError(
      `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (check the path)`,
    );
  }
  // /dev/zero, a FIFO or a directory would be read forever or fail half-way.
  const problem = fileProblem(path, Number.MAX_SAFE_INTEGER);
  if (problem) throw new UsageError(`cannot read ${flag} ${path}: ${problem}`);
  // Lines are cut from each chunk by hand: readline's per-line events and queue cost a third more memory
  // on a million records. A last line without '\n' (a run killed mid-write) is still handed over.
  const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 18 });
  let lineNo = 0;
  let rest = '';
  let skipping = false;
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      if (skipping) {
        const nl = text.indexOf('\n');
        rest = '';
        if (nl === -1) continue;
        skipping = false;
        start = nl + 1;
      }
      for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(text.slice(start, end), ++lineNo);
        start = nl + 1;
      }
      rest = text.slice(start);
      if (rest.length > MAX_LINE_CHARS) {
        onLine(OVERLONG_LINE, ++lineNo);
        rest = '';
        skipping = true;
      }
    }
    if (rest !== '' && !skipping) onLine(rest, ++lineNo);
  } catch (err) {
    throw new UsageError(
      `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  } finally {
    input.destroy();
  }
}

export async function readRecordFiles(paths: readonly string[]): Promise<RecordsAccumulator> {
  const acc = new RecordsAccumulator();
  for (const path of paths)
    await forEachLine(path, '--records', (line, n) => acc.addLine(line, `${path}:${n}`));
  return acc;
}

/** JSON lines that fail to parse or lack `required` are dropped and counted, like records. */
async function readJsonLines<T>(
  paths: readonly string[],
  flag: string,
  required: string,
): Promise<{ items: T[]; dropped: number }> {
  const items: T[] = [];
  let dropped = 0;
  for (const path of paths) {
    await forEachLine(path, flag, (line) => {
      if (line.trim() === '') return;
      try {
        const x = JSON.parse(line) as Record<string, unknown>;
        if (x && typeof x === 'object' && required in x) {
          items.push(x as T);
          return;
        }
      } catch {
        // counted below
      }
      dropped++;
    });
  }
  return { items, dropped };
}

export function readStageFiles(paths: readonly string[]): Promise<{ items: StageMark[]; dropped: number }> {
  return readJsonLines<StageMark>(paths, '--stages-file', 'generatorLimited');
}

export function readScrapeFiles(paths: readonly string[]): Promise<{ items: Snapshot[]; dropped: number }> {
  return readJsonLines<Snapshot>(paths, '--scrapes-file', 'pods');
}
