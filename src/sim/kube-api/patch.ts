// PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch (as merge patch: the only fields the
// embedded cluster lets change are maps and scalars, where the two agree) and JSON patch (RFC 6902), the
// default content type of client-node's patch calls. Pure; a bad patch throws PatchError (→ 400 / 415).

export class PatchError extends Error {
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.name = 'PatchError';
    this.unsupported = unsupported;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function rejectDirectives(patch: unknown, path: string): void {
  if (Array.isArray(patch)) patch.forEach((v, i) => rejectDirectives(v, `${path}[${i}]`));
  else if (isObject(patch)) {
    for (const [k, v] of Object.entries(patch)) {
      if (k.startsWith('$'))
        throw new PatchError(
          `strategic merge directive ${k} at ${path || '.'} is not supported by the embedded API server`,
          true,
        );
      rejectDirectives(v, `${path}.${k}`);
    }
  }
}

/** Strategic merge patch for maps and scalars; list-merge directives are refused rather than misapplied. */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  rejectDirectives(patch, '');
  return mergePatch(target, patch);
}

interface Operation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(
  doc: unknown,
  tokens: string[],
  path: string,
): { parent: Record<string, unknown> | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur))
    throw new PatchError(`doc is missing path: "${path}": missing value`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of pointer(path))
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
  return cur;
}

/** RFC 6902 add/remove/replace/test/copy/move on a copy of `target`. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops as Operation[]) {
    const { op, path } = raw;
    if (typeof path !== 'string') throw new PatchError(`operation ${JSON.stringify(raw)} has no path`);
    const tokens = pointer(path);
    if (op === 'test') {
      if (JSON.stringify(get(doc, path)) !== JSON.stringify(raw.value))
        throw new PatchError(`testing value ${path} failed`);
      continue;
    }
    const value =
      op === 'copy' || op === 'move' ? structuredClone(get(doc, raw.from ?? '')) : structuredClone(raw.value);
    if (op === 'move') doc = jsonPatch(doc, [{ op: 'remove', path: raw.from }]);
    if (tokens.length === 0) {
      if (op === 'remove') throw new PatchError('cannot remove the whole document');
      doc = value;
      continue;
    }
    const { parent, key } = parentOf(doc, tokens, path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(i) || i < 0 || i > parent.length)
        throw new PatchError(`invalid array index "${key}" in ${path}`);
      if (op === 'add' || op === 'copy' || op === 'move') parent.splice(i, 0, value);
      else if (op === 'replace') parent[i] = value;
      else if (op === 'remove') parent.splice(i, 1);
      else throw new PatchError(`unsupported json patch operation "${op}"`);
    } else {
      if ((op === 'remove' || op === 'replace') && !Object.hasOwn(parent, key)) {
        throw new PatchError(`doc is missing key: ${path}: missing value`);
      }
      if (op === 'remove') delete parent[key];
      else if (op === 'add' || op === 'replace' || op === 'copy' || op === 'move') parent[key] = value;
      else throw new PatchError(`unsupported json patch operation "${op}"`);
    }
  }
  return doc;
}

export const PATCH_TYPES = {
  'application/merge-patch+json': mergePatch,
  'application/strategic-merge-patch+json': strategicMergePatch,
  'application/json-patch+json': jsonPatch,
} as const;

/** Applies a PATCH body by its Content-Type; server-side apply and unknown types are unsupported (415). */
export function applyPatch(contentType: string, target: unknown, patch: unknown): unknown {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const fn = (PATCH_TYPES as Record<string, (t: unknown, p: unknown) => unknown>)[type];
  if (!fn) throw new PatchError(`unsupported patch type ${type || '(none)'}`, true);
  return fn(target, patch);
}
