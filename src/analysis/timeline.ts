// Hit rate over the run from the periodic snapshots (`ramp-load --scrape-every`), for the HTML chart. Pure.
import type { Snapshot } from '../types.ts';
import { deltaByPod } from './deltas.ts';
import { deltaHitRate } from './hit-rate.ts';

export interface TimelinePoint {
  /** Seconds since the before-snapshot. */
  atSeconds: number;
  /** Delta hit rate from the before-snapshot to this one. */
  cumulative: number | null;
  /** Hit rate of the queries since the previous point only. */
  interval: number | null;
  /** Δqueries per pod since the before-snapshot. */
  queriesByPod: Record<string, number>;
}

export function hitRateTimeline(
  before: Snapshot,
  scrapes: readonly Snapshot[],
  after?: Snapshot,
): TimelinePoint[] {
  const t0 = Date.parse(before.takenAt);
  const all = [...scrapes, ...(after ? [after] : [])]
    .filter((s) => s.model === before.model && Date.parse(s.takenAt) > t0)
    .sort((a, b) => Date.parse(a.takenAt) - Date.parse(b.takenAt));
  const points: TimelinePoint[] = [];
  let prev = before;
  for (const snap of all) {
    const sinceBefore = deltaByPod(before, snap).pods;
    const since = deltaHitRate(sinceBefore);
    const step = deltaHitRate(deltaByPod(prev, snap).pods);
    const queriesByPod: Record<string, number> = {};
    for (const p of sinceBefore) if (!p.gone) queriesByPod[p.name] = p.counters.prefixCacheQueries;
    points.push({
      atSeconds: (Date.parse(snap.takenAt) - t0) / 1000,
      cumulative: since.rate,
      interval: step.rate,
      queriesByPod,
    });
    prev = snap;
  }
  return points;
}
