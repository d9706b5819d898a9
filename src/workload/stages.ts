// The `--stages` grammar (DESIGN.md "Command-line contract"), comma-separated:
//   <concurrency>x<duration>   closed loop for a time        8x30s, 16x2m, 4x500ms, 2x1h
//   <concurrency>x<count>      closed loop for N requests    8x200
//   <rate>rps:<duration|count> open loop at a fixed rate      20rps:30s, 0.5rps:20
import { UsageError } from '../errors.ts';

export type StageLimit = { by: 'duration'; durationMs: number } | { by: 'count'; requests: number };

export type StageSpec =
  | { kind: 'closed'; spec: string; concurrency: number; limit: StageLimit }
  | { kind: 'open'; spec: string; rateRps: number; limit: StageLimit };

// Caps that catch typos (an extra zero) before they become a run that never ends.
export const MAX_CONCURRENCY = 4096;
export const MAX_RATE_RPS = 10_000;
export const MAX_STAGE_REQUESTS = 10_000_000;
export const MAX_DURATION_MS = 24 * 3_600_000;
export const MAX_STAGES = 100;

const GRAMMAR =
  'stages are comma-separated <concurrency>x<duration|count> or <rate>rps:<duration|count>, e.g. 8x30s,16x200,20rps:1m';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `2m`, `1.5h` → milliseconds; undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

function parseLimit(text: string, part: string): StageLimit {
  const durationMs = parseDurationMs(text);
  if (durationMs !== undefined) {
    if (durationMs <= 0) throw new UsageError(`--stages: "${part}" has a zero duration (${GRAMMAR})`);
    if (durationMs > MAX_DURATION_MS)
      throw new UsageError(`--stages: "${part}" lasts more than 24h (${GRAMMAR})`);
    return { by: 'duration', durationMs };
  }
  if (/^\d+$/.test(text)) {
    const requests = Number(text);
    if (requests <= 0) throw new UsageError(`--stages: "${part}" has a zero request count (${GRAMMAR})`);
    if (requests > MAX_STAGE_REQUESTS) {
      throw new UsageError(
        `--stages: "${part}" asks for more than ${MAX_STAGE_REQUESTS} requests (${GRAMMAR})`,
      );
    }
    return { by: 'count', requests };
  }
  throw new UsageError(`--stages: "${part}" has no valid duration or count "${text}" (${GRAMMAR})`);
}

function parseStage(part: string): StageSpec {
  const open = /^(\d+(?:\.\d+)?)rps:(.+)$/.exec(part);
  if (open) {
    const rateRps = Number(open[1]);
    if (!(rateRps > 0)) throw new UsageError(`--stages: "${part}" has a zero rate (${GRAMMAR})`);
    if (rateRps > MAX_RATE_RPS)
      throw new UsageError(`--stages: "${part}" asks for more than ${MAX_RATE_RPS} rps (${GRAMMAR})`);
    return { kind: 'open', spec: part, rateRps, limit: parseLimit(open[2] as string, part) };
  }
  const closed = /^(\d+)x(.+)$/.exec(part);
  if (closed) {
    const concurrency = Number(closed[1]);
    if (concurrency <= 0) throw new UsageError(`--stages: "${part}" has zero concurrency (${GRAMMAR})`);
    if (concurrency > MAX_CONCURRENCY) {
      throw new UsageError(
        `--stages: "${part}" asks for more than ${MAX_CONCURRENCY} concurrent requests (${GRAMMAR})`,
      );
    }
    return { kind: 'closed', spec: part, concurrency, limit: parseLimit(closed[2] as string, part) };
  }
  throw new UsageError(`--stages: cannot read "${part}" (${GRAMMAR})`);
}

export function parseStages(text: string): StageSpec[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p.length === 0))
    throw new UsageError(`--stages: empty stage in "${text}" (${GRAMMAR})`);
  if (parts.length > MAX_STAGES)
    throw new UsageError(`--stages: more than ${MAX_STAGES} stages (${GRAMMAR})`);
  return parts.map(parseStage);
}
