// Variable substitution the way Tekton does it (pkg/substitution/substitution.go): plain string
// replacement of `$(key)` with no escaping, whole-array expansion only where an element of a string
// list is exactly `$(key[*])`, and unknown variables left untouched.
import type { ParamValue } from './types.ts';

/** Every `$(...)` expression in Tekton's syntax; the inner text is the variable key. */
const VARIABLE = /\$\(([^()]*)\)/g;

export interface Replacements {
  strings: Map<string, string>;
  arrays: Map<string, string[]>;
  objects: Map<string, Record<string, string>>;
}

export function emptyReplacements(): Replacements {
  return { strings: new Map(), arrays: new Map(), objects: new Map() };
}

export function mergeReplacements(...all: Replacements[]): Replacements {
  const out = emptyReplacements();
  for (const r of all) {
    for (const [k, v] of r.strings) out.strings.set(k, v);
    for (const [k, v] of r.arrays) out.arrays.set(k, v);
    for (const [k, v] of r.objects) out.objects.set(k, v);
  }
  return out;
}

/** Tekton accepts `prefix.name`, `prefix["name"]` and `prefix['name']` for the same variable. */
export function keyForms(prefix: string, name: string): string[] {
  return [`${prefix}.${name}`, `${prefix}["${name}"]`, `${prefix}['${name}']`];
}

/**
 * Adds replacements for named values under `prefix` (e.g. `params`, `tasks.t.results`): strings as
 * `$(prefix.n)`, arrays as `$(prefix.n[*])` and `$(prefix.n[i])`, objects as `$(prefix.n.key)` and
 * `$(prefix.n[*])` (pkg/reconciler/taskrun/resources/apply.go, paramsFromPipelineRun).
 */
export function addValues(r: Replacements, prefix: string, values: Record<string, ParamValue>): Replacements {
  for (const [name, value] of Object.entries(values)) {
    for (const key of keyForms(prefix, name)) {
      if (typeof value === 'string') {
        r.strings.set(key, value);
      } else if (Array.isArray(value)) {
        r.arrays.set(key, value);
        value.forEach((v, i) => r.strings.set(`${key}[${i}]`, v));
      } else {
        r.objects.set(key, value);
        for (const [k, v] of Object.entries(value)) r.strings.set(`${key}.${k}`, v);
      }
    }
  }
  return r;
}

/** Replaces every known string variable in `s`; unknown ones stay as written. */
export function applyString(s: string, r: Replacements): string {
  return s.replace(VARIABLE, (whole, key: string) => r.strings.get(key) ?? whole);
}

/** For one element of a list (command, args, array param): `$(x[*])` alone expands to the whole array. */
export function applyArrayElement(s: string, r: Replacements): string[] {
  const star = /^\$\(([^()]*)\[\*\]\)$/.exec(s);
  if (star?.[1] !== undefined) {
    const arr = r.arrays.get(star[1]);
    if (arr) return [...arr];
    const obj = r.objects.get(star[1]);
    if (obj) return [JSON.stringify(obj)];
  }
  return [applyString(s, r)];
}

export function applyList(list: readonly string[] | undefined, r: Replacements): string[] {
  return (list ?? []).flatMap((s) => applyArrayElement(s, r));
}

/** Substitutes inside a param value given by a PipelineTask (string, array or object). */
export function applyValue(value: ParamValue, r: Replacements): ParamValue {
  if (typeof value === 'string') {
    // A whole array/object passed on as `$(params.x[*])` keeps its type.
    const star = /^\$\(([^()]*)\[\*\]\)$/.exec(value);
    if (star?.[1] !== undefined) {
      const arr = r.arrays.get(star[1]);
      if (arr) return [...arr];
      const obj = r.objects.get(star[1]);
      if (obj) return { ...obj };
    }
    return applyString(value, r);
  }
  if (Array.isArray(value)) return applyList(value, r);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, applyString(v, r)]));
}

/** The variable keys used in a string, e.g. `params.x`, `tasks.a.results.b`. */
export function variablesIn(s: string): string[] {
  return [...s.matchAll(VARIABLE)].map((m) => m[1] ?? '');
}

/** Variables still unresolved whose key starts with one of `prefixes` (typos Tekton's webhook rejects). */
export function unresolved(s: string, prefixes: readonly string[]): string[] {
  return variablesIn(s).filter((k) =>
    prefixes.some((p) => k === p || k.startsWith(`${p}.`) || k.startsWith(`${p}[`)),
  );
}
