import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { JsonLinesFile } from '../../../src/load/sinks.ts';

const lines = (path: string): unknown[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

describe('JsonLinesFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'jsonl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the lines of one event-loop turn together, by the next turn, in order', async () => {
    const file = new JsonLinesFile(join(dir, 'r.jsonl'));
    file.append({ n: 1 });
    file.append({ n: 2 });
    expect(lines(file.path)).toEqual([]);
    await nextTurn();
    expect(lines(file.path)).toEqual([{ n: 1 }, { n: 2 }]);
    file.append({ n: 3 });
    file.close();
    expect(lines(file.path)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(() => file.append({ n: 4 })).toThrow(/is closed/);
  });

  it('writes at once past 64 KB, and what is held when the process exits', () => {
    const path = join(dir, 'exit.jsonl');
    const module = new URL('../../../src/load/sinks.ts', import.meta.url).pathname;
    // A process that appends and exits in the same turn, never closing the file.
    const script =
      `const { JsonLinesFile } = await import(${JSON.stringify(module)});` +
      `const f = new JsonLinesFile(${JSON.stringify(path)});` +
      `for (let i = 0; i < 2000; i++) f.append({ i, pad: 'x'.repeat(40) });` +
      `process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    const written = lines(path) as { i: number }[];
    expect(written.map((l) => l.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });
});
