// Client-side checks of --namespace and --selector, so a typo or an injection attempt is bad input (exit 2,
// one line) before any request, instead of a 400 from the API server. Pure. Grammar of
// k8s.io/apimachinery/pkg/labels/selector.go: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`.
import { UsageError } from '../errors.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const EXAMPLE = 'e.g. llm-d.ai/role=decode or app in (vllm,decode)';

export function checkNamespace(ns: string): string {
  if (!DNS_LABEL.test(ns) || ns.length > 63)
    throw new UsageError(
      `--namespace ${JSON.stringify(ns)} is not a namespace name (lower-case letters, digits and '-', at most 63)`,
    );
  return ns;
}

/** Why a label key is invalid, or undefined. */
function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (!DNS_SUBDOMAIN.test(prefix) || prefix.length > 253))
    return `label key prefix ${JSON.stringify(prefix)} is not a DNS subdomain`;
  if (!NAME.test(name) || name.length > 63) return `label key ${JSON.stringify(key)} is not a label name`;
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  return NAME.test(value) && value.length <= 63
    ? undefined
    : `label value ${JSON.stringify(value)} is not valid`;
}

/**
 * Splits at commas that are not inside `( … )`: `a in (x,y),b` is two requirements. Shared with the
 * embedded API server's parser (src/sim/kube-api/selectors.ts), so both split a selector alike.
 */
export function splitRequirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.map((r) => r.trim());
}

function requirementProblem(req: string): string | undefined {
  if (req === '') return 'an empty requirement';
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req);
  if (set) {
    const values = (set[3] as string).split(',').map((v) => v.trim());
    return keyProblem(set[1] as string) ?? values.map(valueProblem).find((p) => p !== undefined);
  }
  const op = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(req);
  if (op) return keyProblem(op[1] as string) ?? valueProblem(op[3] as string);
  const exists = /^(!?)\s*(\S+)$/.exec(req);
  if (exists) return keyProblem(exists[2] as string);
  return `cannot read ${JSON.stringify(req)}`;
}

export function checkSelector(selector: string): string {
  if (selector.trim() === '') throw new UsageError(`--selector is empty (${EXAMPLE})`);
  for (const req of splitRequirements(selector)) {
    const problem = requirementProblem(req);
    if (problem)
      throw new UsageError(
        `--selector ${JSON.stringify(selector)} is not a label selector: ${problem} (${EXAMPLE})`,
      );
  }
  return selector;
}
