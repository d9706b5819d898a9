// Files named by flags, checked before they are used: what a user (or an attacker) passes must end in one
// UsageError line, never a hang. Two traps this guards against:
// - `mkdir -p` in Node loops forever on a path under /proc (`--out /proc/x/r.jsonl`: mkdir answers ENOENT,
//   the recursive walk retries the parent that exists): directories are made one level at a time here.
// - reading /dev/zero, a FIFO or a huge file as a key, a kubeconfig or a snapshot never ends or fills the
//   memory: only regular files under a size cap are read.
import { mkdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.ts';

const code = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** `mkdir -p dir`, one level at a time; `flag` names the option the path came from. */
export function makeDirs(dir: string, flag: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(at);
    } catch (err) {
      if (code(err) !== 'ENOENT') throw new UsageError(`cannot create ${dir} for ${flag}: ${code(err)}`);
    }
    if (st) {
      if (!st.isDirectory())
        throw new UsageError(`cannot create ${dir} for ${flag}: ${at} is not a directory`);
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if (code(err) !== 'EEXIST')
        throw new UsageError(`cannot create ${dir} for ${flag}: ${code(err)} (choose a writable path)`);
    }
  }
}

/** The directory a file goes in, made as makeDirs does. */
export function makeParentDirs(file: string, flag: string): void {
  makeDirs(dirname(resolve(file)), flag);
}

/**
 * Why `path` cannot be read as a file of at most maxBytes (`ENOENT`, `not a regular file`, …), or undefined.
 */
export function fileProblem(path: string, maxBytes: number): string | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return code(err);
  }
  if (!st.isFile()) return 'not a regular file (a directory, a device or a pipe)';
  if (st.size > maxBytes) return `${st.size} bytes, over the ${maxBytes}-byte limit for such a file`;
  return undefined;
}

/** A small text file (a key, a token, a state file), checked then read whole; `label` starts the error. */
export function readSmallFile(path: string, label: string, maxBytes: number): string {
  const problem = fileProblem(path, maxBytes);
  if (problem) throw new UsageError(`${label} cannot be read: ${problem}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${label} cannot be read: ${code(err)}`);
  }
}

/** An API key from a file given by `flag`: one line of text, never /dev/zero or a huge file. */
export function readKeyFile(file: string, flag: string): string {
  const key = readSmallFile(file, `${flag} ${file}`, 64 * 1024).trim();
  if (!key) throw new UsageError(`${flag} ${file} is empty`);
  return key;
}
