// Durations as users type them in flags and Tekton params: 500ms, 30s, 2m, 1h (a bare number is seconds).
import { UsageError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_MS = 7 * 24 * 3_600_000;

export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text).trim());
  if (!m)
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration (use e.g. 500ms, 30s, 2m, 1h)`);
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] as number);
  if (!(ms > 0)) throw new UsageError(`${flag} must be greater than zero (got ${text})`);
  if (ms > MAX_MS) throw new UsageError(`${flag} ${text} is longer than 7 days; pick a shorter one`);
  return ms;
}
