// The step's termination message, which carries task results back to the controller
// (pkg/entrypoint/entrypointer.go, pkg/termination/write.go). Kubernetes keeps at most 4096 bytes
// of it per container; every declared result present in /tekton/results after a step goes into that
// step's message along with Tekton's own entries, so a large result fails the TaskRun. Pure.
import type { ParamType, ParamValue, RunResult, TaskResultSpec } from './types.ts';

export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
export const MESSAGE_TOO_LONG =
  'Termination message is above max allowed size 4096, caused by large task result.';

// pkg/result/result.go
const TASK_RUN_RESULT_TYPE = 1;
const INTERNAL_TEKTON_RESULT_TYPE = 3;

/** Go's encoding/json escapes <, > and & (and U+2028/2029), which makes the message longer. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface TerminationInput {
  /** Result files found after the step: name → raw contents. */
  files: Record<string, string>;
  /** entrypoint time format 2006-01-02T15:04:05.000Z07:00 */
  startedAt: string;
  /** Present when onError: continue swallowed a non-zero exit. */
  continuedExitCode?: number;
}

export function terminationMessage(input: TerminationInput): string {
  const entries: { key: string; value: string; type: number }[] = Object.entries(input.files).map(
    ([key, value]) => ({
      key,
      value,
      type: TASK_RUN_RESULT_TYPE,
    }),
  );
  entries.push({ key: 'StartedAt', value: input.startedAt, type: INTERNAL_TEKTON_RESULT_TYPE });
  if (input.continuedExitCode !== undefined) {
    entries.push({
      key: 'ExitCode',
      value: String(input.continuedExitCode),
      type: INTERNAL_TEKTON_RESULT_TYPE,
    });
  }
  return goJson(entries);
}

export function messageBytes(message: string): number {
  return Buffer.byteLength(message, 'utf8');
}

/** A result file's contents as a typed value: array and object results hold JSON. */
export function parseResult(
  spec: TaskResultSpec,
  raw: string,
): { ok: true; result: RunResult } | { ok: false; message: string } {
  const type: ParamType = spec.type ?? 'string';
  if (type === 'string') return { ok: true, result: { name: spec.name, value: raw } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, message: `result ${spec.name} of type ${type} is not JSON: ${raw.slice(0, 80)}` };
  }
  const good =
    type === 'array'
      ? Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')
      : typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        Object.values(parsed).every((v) => typeof v === 'string');
  if (!good) return { ok: false, message: `result ${spec.name} must be a JSON ${type} of strings` };
  return { ok: true, result: { name: spec.name, value: parsed as ParamValue } };
}

/** Go's entrypoint timeFormat with millisecond precision, in UTC. */
export function entrypointTime(ms: number): string {
  return new Date(ms).toISOString();
}
