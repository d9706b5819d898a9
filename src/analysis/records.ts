// Streams JSONL files (request records, stage marks, periodic snapshots) line by line: report must read a
// million records in seconds and a few hundred MB, so no file is ever read whole. Shards' files merge
// naturally: every record carries its runId and shard.
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import type { Snapshot, StageMark } from '../types.ts';
import { RecordsAccumulator } from './record-aggregate.ts';

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
  // Lines are cut from each chunk by hand: readline's per-line events and queue cost a third more memory
  // on a million records. A last line without '\n' (a run killed mid-write) is still handed over.
  const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 18 });
  let lineNo = 0;
  let rest = '';
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(text.slice(start, end), ++lineNo);
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    if (rest !== '') onLine(rest, ++lineNo);
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
