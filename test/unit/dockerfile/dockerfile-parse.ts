// Just enough of the Dockerfile grammar for the invariants test: line continuations, comments, stages,
// ARG defaults, WORKDIR tracking for COPY destinations, and .dockerignore matching (Docker's rules: a
// pattern is a Go filepath.Match glob anchored at the context root, `**` spans directories, and an
// excluded directory excludes everything under it).
import { posix } from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  /** WORKDIR in force when the instruction runs. */
  workdir: string;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Joins `\` continuations and drops comment lines (also those inside a continuation, as BuildKit does). */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.trimStart().startsWith('#') || (current === '' && line.trim() === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') out.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

export function substitute(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = a ?? b ?? '';
    return vars[name] ?? whole;
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const keyword = (m[1] as string).toUpperCase();
    const args = (m[2] as string).trim();
    const stage = stages[stages.length - 1];
    if (keyword === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      const resolved = substitute(image ?? '', globalArgs);
      stages.push({
        image: resolved,
        ...(as?.toUpperCase() === 'AS' && name ? { name } : {}),
        instructions: [],
      });
      continue;
    }
    if (!stage) {
      if (keyword !== 'ARG') throw new Error(`only ARG may precede FROM, got ${keyword}`);
      const [k, v] = args.split('=');
      globalArgs[k as string] = v ?? '';
      continue;
    }
    const previous = stage.instructions[stage.instructions.length - 1];
    let workdir = previous?.workdir ?? '/';
    if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args);
    stage.instructions.push({ keyword, args, workdir });
  }
  return { globalArgs, stages };
}

export function finalStage(df: Dockerfile): Stage {
  const last = df.stages[df.stages.length - 1];
  if (!last) throw new Error('the Dockerfile has no FROM');
  return last;
}

export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** `KEY=value KEY2="value 2"` (LABEL, ENV, ARG) into a record. */
export function keyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    const raw = m[2] as string;
    out[m[1] as string] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return out;
}

/** COPY's flags, sources and destination (destination resolved against the WORKDIR in force). */
export function copyParts(i: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = i.args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const w of words) {
    if (w.startsWith('--from=')) from = w.slice('--from='.length);
    else if (!w.startsWith('--')) rest.push(w);
  }
  const dest = rest.pop() ?? '';
  return { ...(from !== undefined ? { from } : {}), sources: rest, dest: posix.resolve(i.workdir, dest) };
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` anything.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Is this context-relative path excluded by .dockerignore? (`!` re-inclusion honoured, last match wins.) */
export function dockerignored(patterns: readonly string[], path: string): boolean {
  const parts = path.split('/');
  let excluded = false;
  for (const raw of patterns) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const re = globToRegExp(posix.normalize(negate ? line.slice(1) : line).replace(/^\/+/, ''));
    // A pattern matching a parent directory excludes the path too.
    const hit = parts.some((_, k) => re.test(parts.slice(0, k + 1).join('/')));
    if (hit) excluded = !negate;
  }
  return excluded;
}
