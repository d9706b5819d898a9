// The code under test, frozen for the whole bench: a copy of dist/ (what `npm run bench` just built;
// src/ through type stripping when there is no build) in the bench's temp dir. Others may edit and
// rebuild the tree while the bench runs; every process the bench starts loads the same copy.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO = new URL('..', import.meta.url).pathname;

export interface CodeSnapshot {
  /** what was copied: `dist` (built) or `src` (type stripping) */
  kind: 'dist' | 'src';
  /** the CLI entry inside the copy */
  cli: string;
  /** the copy's file for a module under src/, e.g. `sim/vllm/pod` */
  module(rel: string): string;
  /** true when a src/ file changed after the build that was copied */
  staleBuild: boolean;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * `BENCH_CODE_DIR` names another build's `dist/src` (or a `src`) to copy instead, e.g. a patched tree,
 * to see what a change would do before it lands.
 */
export function snapshotCode(into: string): CodeSnapshot {
  const override = process.env.BENCH_CODE_DIR || undefined;
  const built = override ? existsSync(join(override, 'bin.js')) : existsSync(join(REPO, 'dist/src/bin.js'));
  const kind = built ? 'dist' : 'src';
  const from = override ?? (built ? join(REPO, 'dist/src') : join(REPO, 'src'));
  const root = join(into, 'code');
  const srcDir = join(root, built ? 'dist/src' : 'src');
  mkdirSync(srcDir, { recursive: true });
  cpSync(from, srcDir, { recursive: true });
  // ESM like the project, and the project's dependencies.
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  const ext = built ? 'js' : 'ts';
  const buildInfo = join(REPO, 'dist/.tsbuildinfo');
  return {
    kind,
    cli: join(srcDir, `bin.${ext}`),
    module: (rel) => join(srcDir, `${rel}.${ext}`),
    staleBuild:
      built && existsSync(buildInfo) && newestMtimeMs(join(REPO, 'src')) > statSync(buildInfo).mtimeMs,
  };
}

/** Imports a module of the snapshot (its types are the source's). */
export function importFrom<T>(file: string): Promise<T> {
  return import(pathToFileURL(file).href) as Promise<T>;
}

let active: CodeSnapshot | undefined;

/** Makes `snapshot` the code every later process and import uses. */
export function activate(snapshot: CodeSnapshot): void {
  active = snapshot;
}

/** The active snapshot; without one (a single section run from a script), the tree as it is. */
export function code(): CodeSnapshot {
  if (active) return active;
  const built = existsSync(join(REPO, 'dist/src/bin.js'));
  const ext = built ? 'js' : 'ts';
  const dir = join(REPO, built ? 'dist/src' : 'src');
  return {
    kind: built ? 'dist' : 'src',
    cli: join(dir, `bin.${ext}`),
    module: (rel) => join(dir, `${rel}.${ext}`),
    staleBuild: false,
  };
}
