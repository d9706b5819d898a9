#!/usr/bin/env node
// Points the catalog at one kv-cache-bench image, by tag and digest (issue #11, release workflow):
//   npm run release:pin-image -- <registry>/<repository>:<tag>@sha256:<digest>
//   npm run release:pin-image -- --check <ref>       (exit 1 unless everything already names <ref>)
// The current reference is what the Tasks' `image` param defaults say (they must agree). Every YAML
// scalar equal to it (Task and Pipeline param defaults, the nightly CronJob's container, any param
// value) and every mention in the Markdown docs is replaced; nothing else in a file changes, byte for
// byte (edits go by source range, so comments and folded descriptions survive). Then the rewritten
// Tasks and Pipelines are read back and checked. Step images stay `$(params.image)`: Tekton fills them
// from the default. A `latest` tag, a missing tag or a missing digest is refused: the Tasks must run
// the exact image a release built.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isScalar, parseAllDocuments, Scalar, visit, type Document } from 'yaml';

export interface ImageRef {
  /** registry host[:port]/repository path */
  name: string;
  tag: string;
  digest?: string;
}

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses `<registry>/<repository>:<tag>[@sha256:<digest>]` (the distribution reference grammar). */
export function parseImageRef(ref: string, opts: { requireDigest: boolean }): ImageRef {
  const [nameTag = '', digest, ...extra] = ref.split('@');
  const colon = nameTag.lastIndexOf(':');
  const slash = nameTag.lastIndexOf('/');
  const name = colon > slash ? nameTag.slice(0, colon) : nameTag;
  const tag = colon > slash ? nameTag.slice(colon + 1) : '';
  const problem = (what: string) =>
    new Error(
      `image reference ${JSON.stringify(ref)}: ${what} (expected <registry>/<repository>:<tag>@sha256:<64 hex digits>)`,
    );
  if (extra.length > 0) throw problem('more than one @');
  if (!NAME.test(name)) throw problem('not a <registry>/<repository> name');
  if (!name.split('/')[0]?.match(/[.:]|^localhost$/)) throw problem('no registry host before the repository');
  if (!tag) throw problem('no tag');
  if (!TAG.test(tag)) throw problem(`bad tag ${JSON.stringify(tag)}`);
  if (tag === 'latest') throw problem('the tag latest moves; name a version');
  if (digest === undefined && opts.requireDigest) throw problem('no digest');
  if (digest !== undefined && !DIGEST.test(digest)) throw problem(`bad digest ${JSON.stringify(digest)}`);
  return { name, tag, ...(digest !== undefined ? { digest } : {}) };
}

export function formatImageRef(r: ImageRef): string {
  return `${r.name}:${r.tag}${r.digest ? `@${r.digest}` : ''}`;
}

interface TektonDoc {
  kind?: unknown;
  metadata?: { name?: unknown };
  spec?: { params?: { name?: unknown; default?: unknown }[] };
}

function parseFile(text: string, file: string): Document[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  for (const d of docs)
    if (d.errors.length > 0) throw new Error(`${file}: YAML does not parse: ${d.errors[0]?.message}`);
  return docs;
}

/** `<kind>/<name>` → its `image` param default, for every Task and Pipeline that declares one. */
export function imageDefaults(text: string, file: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const doc of parseFile(text, file)) {
    const o = doc.toJS() as TektonDoc | null;
    if (o?.kind !== 'Task' && o?.kind !== 'Pipeline') continue;
    const image = o.spec?.params?.find((p) => p.name === 'image');
    if (image) out.set(`${String(o.kind)}/${String(o.metadata?.name)}`, image.default);
  }
  return out;
}

/** Replaces every value scalar (a map value or a list item) equal to one of `from` by `to`, by source range. */
export function rewriteYaml(text: string, file: string, from: ReadonlySet<string>, to: string) {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const doc of parseFile(text, file)) {
    visit(doc, {
      Scalar(key, node) {
        if (key === 'key' || typeof node.value !== 'string' || !from.has(node.value) || !node.range) return;
        // Keep the scalar's quoting; a plain scalar stays plain (a reference needs no quotes in YAML).
        const quote = node.type === Scalar.QUOTE_DOUBLE ? '"' : node.type === Scalar.QUOTE_SINGLE ? "'" : '';
        edits.push({ start: node.range[0], end: node.range[1], text: `${quote}${to}${quote}` });
      },
    });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, count: edits.length };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces whole mentions of `from` in prose: not when a longer reference continues it. */
export function rewriteText(text: string, from: ReadonlySet<string>, to: string) {
  let count = 0;
  let out = text;
  for (const ref of from) {
    const re = new RegExp(`${escapeRegExp(ref)}(?![A-Za-z0-9_.@:/-])`, 'g');
    out = out.replace(re, () => {
      count++;
      return to;
    });
  }
  return { text: out, count };
}

/** The files a release rewrites, relative to the repository root. */
export function catalogFiles(root: string): { yaml: string[]; markdown: string[] } {
  // A folder or file that is not there (a partial copy of the catalog) has nothing to rewrite.
  const list = (dir: string, recursive: boolean) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { recursive, encoding: 'utf8' }).map((f) => join(dir, f))
      : [];
  const yaml = [
    ...list('tasks', true),
    ...list('pipelines', false),
    ...list('pipelineruns', false),
    ...list('triggers', false),
  ]
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const markdown = [...list('tasks', true), ...list('triggers', false), ...list('docs', false), 'README.md']
    .filter((f) => f.endsWith('.md') && existsSync(join(root, f)))
    .sort();
  return { yaml, markdown };
}

export interface PinResult {
  from: string[];
  to: string;
  changed: { file: string; count: number }[];
  /** `<kind>/<name>` of every Task and Pipeline whose image default now names the new reference */
  pinned: string[];
}

function collectDefaults(root: string, yamlFiles: string[]): Map<string, unknown> {
  const all = new Map<string, unknown>();
  for (const f of yamlFiles)
    for (const [k, v] of imageDefaults(readFileSync(join(root, f), 'utf8'), f)) all.set(k, v);
  return all;
}

/** Rewrites the catalog under `root` to `ref` (validated: tag and digest required). */
export function pinImage(root: string, ref: string): PinResult {
  const to = formatImageRef(parseImageRef(ref, { requireDigest: true }));
  const files = catalogFiles(root);
  const before = collectDefaults(root, files.yaml);
  const tasks = [...before].filter(([k]) => k.startsWith('Task/'));
  if (tasks.length === 0) throw new Error(`no Task under ${join(root, 'tasks')} has an image param`);
  const from = new Set(tasks.map(([, v]) => v));
  if (from.size !== 1 || typeof [...from][0] !== 'string' || ![...from][0])
    throw new Error(
      `the Tasks' image defaults disagree or are empty (${tasks.map(([k, v]) => `${k}=${String(v)}`).join(', ')}): fix them to one reference first`,
    );
  const old = new Set(from as Set<string>);
  const changed: PinResult['changed'] = [];
  for (const f of files.yaml) {
    const text = readFileSync(join(root, f), 'utf8');
    const r = rewriteYaml(text, f, old, to);
    if (r.count > 0 && r.text !== text) {
      writeFileSync(join(root, f), r.text);
      changed.push({ file: f, count: r.count });
    }
  }
  for (const f of files.markdown) {
    const text = readFileSync(join(root, f), 'utf8');
    const r = rewriteText(text, old, to);
    if (r.count > 0 && r.text !== text) {
      writeFileSync(join(root, f), r.text);
      changed.push({ file: f, count: r.count });
    }
  }
  const problems = checkPinned(root, to);
  if (problems.length > 0) throw new Error(`after rewriting: ${problems.join('; ')}`);
  return { from: [...old], to, changed, pinned: [...collectDefaults(root, files.yaml).keys()].sort() };
}

/** Our image (repository path ending in /kv-cache-bench) wherever it is named, apart from `ref`. */
const OURS = /\/kv-cache-bench(?:[:@]|$)/;

/** What does not name `ref`: Task and Pipeline image defaults, and every `image:` naming our image. */
export function checkPinned(root: string, ref: string): string[] {
  const files = catalogFiles(root);
  const problems: string[] = [];
  for (const [k, v] of collectDefaults(root, files.yaml))
    if (v !== ref) problems.push(`${k} image default is ${JSON.stringify(v)}, not ${ref}`);
  for (const f of files.yaml) {
    for (const doc of parseFile(readFileSync(join(root, f), 'utf8'), f)) {
      visit(doc, {
        Pair(_k, pair) {
          const key = isScalar(pair.key) ? pair.key.value : undefined;
          const v = isScalar(pair.value) ? pair.value.value : undefined;
          if (key === 'image' && typeof v === 'string' && OURS.test(v) && v !== ref)
            problems.push(`${f}: image ${v}, not ${ref}`);
        },
      });
    }
  }
  return problems;
}

const USAGE =
  'usage: npm run release:pin-image -- [--root DIR] [--check] <registry>/<repository>:<tag>@sha256:<digest>';

export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  let root = fileURLToPath(new URL('..', import.meta.url));
  let check = false;
  const refs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--check') check = true;
    else if (a === '--root') root = argv[++i] ?? '';
    else if (a.startsWith('--root=')) root = a.slice('--root='.length);
    else if (a === '--help' || a === '-h') {
      out(`${USAGE}\n`);
      return 0;
    } else if (a.startsWith('-')) {
      err(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else refs.push(a);
  }
  if (refs.length !== 1 || !root) {
    err(`${refs.length === 0 ? 'no image reference given' : 'give exactly one image reference'}\n${USAGE}\n`);
    return 2;
  }
  const ref = refs[0] as string;
  try {
    if (check) {
      const canonical = formatImageRef(parseImageRef(ref, { requireDigest: false }));
      const problems = checkPinned(root, canonical);
      for (const p of problems) err(`${p}\n`);
      if (problems.length > 0) return 1;
      out(`every Task and Pipeline image default under ${root} is ${canonical}\n`);
      return 0;
    }
    const r = pinImage(root, ref);
    out(`pinned ${r.pinned.length} Tasks and Pipelines to ${r.to} (was ${r.from.join(', ')})\n`);
    for (const c of r.changed) out(`  ${c.file}: ${c.count} replaced\n`);
    return 0;
  } catch (e) {
    err(`${(e as Error).message}\n`);
    return 2;
  }
}

if (import.meta.main) {
  process.exitCode = main(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  );
}
