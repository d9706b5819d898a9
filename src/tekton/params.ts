// Param types, defaults and checks (pkg/apis/pipeline/v1/param_types.go, resultref.go). Pure.
import type { Param, ParamSpec, ParamType, ParamValue } from './types.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A YAML value as Tekton's ParamValue.UnmarshalJSON reads it: arrays and maps keep their shape, any
 * other scalar becomes its string form (an unquoted `42` is the string "42").
 */
export function toParamValue(raw: unknown): ParamValue | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) return raw.map((v) => scalar(v));
  if (isRecord(raw)) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, scalar(v)]));
  return scalar(raw);
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function valueType(v: ParamValue): ParamType {
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'array' : 'object';
}

/** The declared type; like Tekton's SetDefaults it is inferred from `properties` or the default. */
export function specType(spec: ParamSpec): ParamType {
  if (spec.type) return spec.type;
  if (spec.properties) return 'object';
  if (Array.isArray(spec.default)) return 'array';
  if (isRecord(spec.default)) return 'object';
  return 'string';
}

export function paramsToRecord(params: readonly Param[] | undefined): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of params ?? []) {
    const v = toParamValue(p.value);
    if (v !== undefined) out[p.name] = v;
  }
  return out;
}

export type ParamProblem =
  | { kind: 'missing'; names: string[] }
  | { kind: 'type'; name: string; expected: ParamType; got: ParamType }
  | { kind: 'keys'; name: string; keys: string[] };

export type ResolvedParams =
  { ok: true; values: Record<string, ParamValue> } | { ok: false; problem: ParamProblem };

/**
 * Values for every declared param: the given value, else the default. Extra values are ignored, as
 * Tekton allows a run to pass params a Pipeline or Task does not declare.
 */
export function resolveParams(
  specs: readonly ParamSpec[] | undefined,
  given: Record<string, ParamValue>,
): ResolvedParams {
  const values: Record<string, ParamValue> = {};
  const missing: string[] = [];
  for (const spec of specs ?? []) {
    const type = specType(spec);
    const fallback = toParamValue(spec.default);
    let value = given[spec.name] ?? fallback;
    if (value === undefined) {
      missing.push(spec.name);
      continue;
    }
    if (valueType(value) !== type)
      return { ok: false, problem: { kind: 'type', name: spec.name, expected: type, got: valueType(value) } };
    if (type === 'object') {
      // An object value is completed from the default's keys (ParamSpec.setDefaultsForProperties).
      const merged = { ...(isRecord(fallback) ? fallback : {}), ...(value as Record<string, string>) };
      const absent = Object.keys(spec.properties ?? {}).filter((k) => !(k in merged));
      if (absent.length > 0) return { ok: false, problem: { kind: 'keys', name: spec.name, keys: absent } };
      value = merged;
    }
    values[spec.name] = value;
  }
  if (missing.length > 0) return { ok: false, problem: { kind: 'missing', names: missing } };
  return { ok: true, values };
}

export function describeProblem(p: ParamProblem, owner: string): string {
  switch (p.kind) {
    case 'missing':
      return `${owner} is missing params with no default: ${p.names.join(', ')}`;
    case 'type':
      return `${owner} param ${p.name} must be of type ${p.expected}, got ${p.got}`;
    case 'keys':
      return `${owner} object param ${p.name} misses keys: ${p.keys.join(', ')}`;
  }
}
