// `when` expressions (pkg/apis/pipeline/v1/when_types.go): every expression must hold; `in` means the
// input is one of the values, `notin` that it is none of them. Pure.
import { applyList, applyString, type Replacements } from './substitute.ts';
import type { WhenExpression } from './types.ts';

export interface WhenOutcome {
  allowed: boolean;
  /** Expressions as evaluated, for logs: `"true" in ["true"]`. */
  evaluated: string[];
  /** Set when an expression cannot be evaluated here (CEL is an alpha feature this executor leaves out). */
  error?: string;
}

export function evaluateWhen(when: readonly WhenExpression[] | undefined, r: Replacements): WhenOutcome {
  const evaluated: string[] = [];
  let allowed = true;
  for (const w of when ?? []) {
    if (w.cel !== undefined)
      return {
        allowed: false,
        evaluated,
        error: 'CEL when expressions are not supported by the local executor',
      };
    const input = applyString(w.input ?? '', r);
    const values = applyList(w.values, r);
    const member = values.includes(input);
    evaluated.push(`${JSON.stringify(input)} ${w.operator} ${JSON.stringify(values)}`);
    if (w.operator === 'in' ? !member : member) allowed = false;
  }
  return { allowed, evaluated };
}
