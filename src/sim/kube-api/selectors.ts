// Label and field selectors as the apiserver parses them (k8s.io/apimachinery/pkg/labels/selector.go,
// pkg/fields/selector.go). Pure: strings in, predicates out; a bad selector throws SelectorError, which the
// server answers with a 400 BadRequest Status.
import { splitRequirements } from '../../kube/selector.ts';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export type LabelOp = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

// Qualified name: optional DNS-subdomain prefix and '/', then a 63-character name (validation.IsQualifiedName).
const KEY_RE =
  /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// Label value: empty or 63 characters (validation.IsValidLabelValue).
const VALUE_RE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const TOKEN = '[^\\s,=!()<>]+';
const NOT_EXISTS = new RegExp(`^!\\s*(${TOKEN})$`);
const EXISTS = new RegExp(`^(${TOKEN})$`);
const EQUALITY = new RegExp(`^(${TOKEN})\\s*(==|=|!=)\\s*(${TOKEN})?$`);
const SET = new RegExp(`^(${TOKEN})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const COMPARE = new RegExp(`^(${TOKEN})\\s*([<>])\\s*(-?\\d+)$`);

function checkKey(key: string, raw: string): string {
  if (!KEY_RE.test(key))
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

function checkValue(value: string, raw: string): string {
  if (!VALUE_RE.test(value)) {
    throw new SelectorError(`unable to parse requirement: invalid label value "${value}" in "${raw}"`);
  }
  return value;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map((part) => {
    const raw = part.trim();
    let m: RegExpExecArray | null;
    if ((m = NOT_EXISTS.exec(raw))) return { key: checkKey(m[1]!, raw), op: '!', values: [] };
    if ((m = SET.exec(raw))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), raw));
      return { key: checkKey(m[1]!, raw), op: m[2] as 'in' | 'notin', values };
    }
    if ((m = EQUALITY.exec(raw))) {
      const op = m[2] === '!=' ? '!=' : '=';
      return { key: checkKey(m[1]!, raw), op, values: [checkValue(m[3] ?? '', raw)] };
    }
    if ((m = COMPARE.exec(raw)))
      return { key: checkKey(m[1]!, raw), op: m[2] === '>' ? 'gt' : 'lt', values: [m[3]!] };
    if ((m = EXISTS.exec(raw))) return { key: checkKey(m[1]!, raw), op: 'exists', values: [] };
    throw new SelectorError(
      `unable to parse requirement: found '${raw}', expected: key, !key, key=value, key!=value, key in (…), key notin (…)`,
    );
  });
}

export function matchesLabels(
  reqs: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> = {},
): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(value!);
      // A missing key satisfies != and notin (labels.Requirement.Matches).
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value!);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

/** `matchLabels` of a LabelSelector object as requirements. */
export function requirementsOf(matchLabels: Readonly<Record<string, string>>): LabelRequirement[] {
  return Object.entries(matchLabels).map(([key, v]) => ({ key, op: '=' as const, values: [v] }));
}

/** The canonical string form, as `kubectl get rs -o wide` shows a selector. */
export function formatMatchLabels(matchLabels: Readonly<Record<string, string>>): string {
  return Object.entries(matchLabels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on unescaped commas; fields.ParseSelector lets values escape `\`, `,` and `=`. */
function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return splitEscaped(selector, ',').map((part) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part.trim());
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    return { field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) };
  });
}

/**
 * Checks each required field is one the resource supports; the apiserver answers an unknown one with
 * 400 `field label not supported: X` (pkg/registry/core/pod/strategy.go ToSelectableFields).
 */
export function checkFields(reqs: readonly FieldRequirement[], supported: readonly string[]): void {
  for (const r of reqs) {
    if (!supported.includes(r.field)) throw new SelectorError(`field label not supported: ${r.field}`);
  }
}

export function matchesFields(
  reqs: readonly FieldRequirement[],
  fields: Readonly<Record<string, string>>,
): boolean {
  return reqs.every((r) => {
    const value = fields[r.field] ?? '';
    return r.op === '=' ? value === r.value : value !== r.value;
  });
}
