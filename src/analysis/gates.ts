// Pass/fail gates (DESIGN "Semantics": Gates). Pure. The verdict is PASS iff every gate is ok.
import type { Gate, Report } from '../types.ts';

export const DEFAULT_MIN_HIT_RATE = 0.9;
export const DEFAULT_MAX_ERROR_RATE = 0.05;

export interface GateInput {
  deltaHitRate: number | null;
  minHitRate: number;
  /** Measured errors ÷ measured requests; null without records. */
  errorRate: number | null;
  maxErrorRate: number;
  /** Did any stage run generator-limited? null without stage marks. */
  generatorLimited: boolean | null;
}

export function evaluateGates(input: GateInput): Gate[] {
  return [
    // No queries counted at all is a failure, not a pass: nothing reached the pods' caches.
    {
      name: 'min-hit-rate',
      threshold: input.minHitRate,
      value: input.deltaHitRate,
      ok: input.deltaHitRate !== null && input.deltaHitRate >= input.minHitRate,
    },
    // Without records there is nothing to count errors in; the gate then passes (report says so in warnings).
    {
      name: 'max-error-rate',
      threshold: input.maxErrorRate,
      value: input.errorRate,
      ok: input.errorRate === null || input.errorRate <= input.maxErrorRate,
    },
    // An overloaded client measures itself, not the router: it can never PASS.
    {
      name: 'no-generator-limited-stage',
      threshold: false,
      value: input.generatorLimited,
      ok: input.generatorLimited !== true,
    },
  ];
}

export function verdictOf(gates: readonly Gate[]): Report['verdict'] {
  return gates.every((g) => g.ok) ? 'PASS' : 'FAIL';
}

function fmt(x: number | boolean | null): string {
  return typeof x === 'number' ? String(Number(x.toFixed(4))) : String(x);
}

/** One line per failed gate, e.g. `gate failed: delta hit rate 0.6123 < 0.9`. */
export function describeFailure(gate: Gate): string {
  switch (gate.name) {
    case 'min-hit-rate':
      return gate.value === null
        ? 'gate failed: delta hit rate unknown (no prefix-cache queries between the snapshots) < ' +
            fmt(gate.threshold)
        : `gate failed: delta hit rate ${(gate.value as number).toFixed(4)} < ${fmt(gate.threshold)}`;
    case 'max-error-rate':
      return `gate failed: error rate ${(gate.value as number).toFixed(4)} > ${fmt(gate.threshold)}`;
    case 'no-generator-limited-stage':
      return 'gate failed: a stage was generator-limited (the load generator could not keep the requested pace; give it more CPU or fewer sessions)';
    default:
      return `gate failed: ${gate.name} ${fmt(gate.value)} (threshold ${fmt(gate.threshold)})`;
  }
}
