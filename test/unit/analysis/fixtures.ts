// Small literal builders for snapshots and records, shared by the analysis and report unit tests.
import type { PodCounters, PodSnapshot, RequestRecord, Snapshot } from '../../../src/types.ts';

export const T0 = '2026-01-01T00:00:00.000Z';
export const T1 = '2026-01-01T00:10:00.000Z';
export const OLD_START = '2025-12-31T00:00:00Z';

export function counters(q: number | null, h: number | null, extra: Partial<PodCounters> = {}): PodCounters {
  return {
    prefixCacheQueries: q,
    prefixCacheHits: h,
    promptTokens: q,
    generationTokens: 0,
    requestSuccess: 0,
    preemptions: 0,
    ...extra,
  };
}

export function pod(
  name: string,
  q: number | null,
  h: number | null,
  over: Partial<PodSnapshot> = {},
): PodSnapshot {
  return {
    name,
    uid: `uid-${name}`,
    ip: '10.0.0.1',
    startTime: OLD_START,
    ready: true,
    counters: counters(q, h),
    ...over,
  };
}

export function snap(takenAt: string, pods: PodSnapshot[], over: Partial<Snapshot> = {}): Snapshot {
  return { takenAt, label: 'x', source: 'pod-ip', model: 'm', pods, ...over };
}

export function record(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    runId: 'r1',
    phase: 'measure',
    stage: 1,
    session: 0,
    turn: 2,
    startMs: 1_000,
    ttftMs: 10,
    e2eMs: 100,
    promptTokens: 100,
    completionTokens: 20,
    prefixReusableTokens: 80,
    status: 200,
    ...over,
  };
}
