// Per-pod counter deltas between two snapshots (DESIGN "Semantics": deltas by pod identity). Pure.
import type { PodCounters, PodSnapshot, Snapshot } from '../types.ts';

export interface PodDelta {
  name: string;
  /** Ready in the after-snapshot (false for a gone pod). */
  ready: boolean;
  counters: { [K in keyof PodCounters]: number };
  restarted: boolean;
  gone: boolean;
  /** Set when the pod could not be read in either snapshot. */
  error?: string;
}

export interface DeltaResult {
  pods: PodDelta[];
  warnings: string[];
}

const FIELDS: (keyof PodCounters)[] = [
  'prefixCacheQueries',
  'prefixCacheHits',
  'promptTokens',
  'generationTokens',
  'requestSuccess',
  'preemptions',
];

function zeros(): PodDelta['counters'] {
  return {
    prefixCacheQueries: 0,
    prefixCacheHits: 0,
    promptTokens: 0,
    generationTokens: 0,
    requestSuccess: 0,
    preemptions: 0,
  };
}

/** A counter absent from the exposition reads as 0: the llm-d simulator creates its series on the first request. */
function value(c: number | null): number {
  return c ?? 0;
}

/** Did this pod restart between the snapshots, although it kept its name? */
function restartedBetween(b: PodSnapshot, a: PodSnapshot): boolean {
  if (b.uid && a.uid && b.uid !== a.uid) return true;
  if (b.startTime && a.startTime && b.startTime !== a.startTime) return true;
  // prometheus_client's `_created` is the process start of the counter: a new value is a new process.
  if (b.createdAt !== undefined && a.createdAt !== undefined && Math.abs(b.createdAt - a.createdAt) > 1e-3)
    return true;
  // A counter that went down was reset, whatever the metadata says (Prometheus' increase() rule).
  return FIELDS.some(
    (f) =>
      a.counters[f] !== null &&
      b.counters[f] !== null &&
      (a.counters[f] as number) < (b.counters[f] as number),
  );
}

function startedAfter(pod: PodSnapshot, takenAt: string): boolean | undefined {
  const before = Date.parse(takenAt);
  // Kubernetes timestamps are whole seconds: a pod started in the snapshot's own second reads as
  // starting before it. Absent from the snapshot, it started after it.
  if (pod.startTime) return Date.parse(pod.startTime) > before - 1000;
  if (pod.createdAt !== undefined) return pod.createdAt * 1000 > before;
  return undefined;
}

export function deltaByPod(before: Snapshot, after: Snapshot): DeltaResult {
  const warnings: string[] = [];
  if (before.model !== after.model)
    warnings.push(`the snapshots are of different models: ${before.model} before, ${after.model} after`);
  const beforeByName = new Map(before.pods.map((p) => [p.name, p]));
  const afterNames = new Set(after.pods.map((p) => p.name));
  const pods: PodDelta[] = [];

  for (const a of after.pods) {
    const b = beforeByName.get(a.name);
    const delta: PodDelta = {
      name: a.name,
      ready: a.ready && !a.error,
      counters: zeros(),
      restarted: false,
      gone: false,
    };
    if (a.error) {
      delta.error = a.error;
      warnings.push(
        `pod ${a.name} could not be read after the run (${a.error}): its traffic is missing from the hit rate`,
      );
      pods.push(delta);
      continue;
    }
    let base: PodSnapshot | undefined = b;
    if (b?.error) {
      delta.error = b.error;
      warnings.push(
        `pod ${a.name} could not be read before the run (${b.error}): its counters are counted from zero`,
      );
      base = undefined;
    } else if (b && restartedBetween(b, a)) {
      delta.restarted = true;
      base = undefined;
    } else if (!b) {
      const after = startedAfter(a, before.takenAt);
      if (after === true) delta.restarted = true;
      else
        warnings.push(
          `pod ${a.name} is not in the before-snapshot${after === false ? ' although it started before it' : ''}: its whole counters are counted`,
        );
    }
    for (const f of FIELDS) {
      // Never negative: a reset counter contributes its after-value, as Prometheus' increase() treats it.
      const d = value(a.counters[f]) - (base ? value(base.counters[f]) : 0);
      delta.counters[f] = d >= 0 ? d : value(a.counters[f]);
    }
    if (delta.restarted)
      warnings.push(
        `pod ${a.name} restarted between the snapshots (its counters were reset): only what it counted since the restart is in the hit rate, what it served before is lost`,
      );
    pods.push(delta);
  }

  for (const b of before.pods) {
    if (afterNames.has(b.name)) continue;
    pods.push({ name: b.name, ready: false, counters: zeros(), restarted: false, gone: true });
    warnings.push(
      `pod ${b.name} is gone from the after-snapshot (deleted or no longer matching): its traffic since the first snapshot is lost`,
    );
  }

  const preempted = pods.reduce((s, p) => s + p.counters.preemptions, 0);
  if (preempted > 0) {
    // vLLM 0.10 looks a preempted request up again and counts its queries and hits twice (PR #25787, after v0.10.2).
    warnings.push(
      `${preempted} preemption${preempted === 1 ? '' : 's'} during the run: vLLM up to 0.10.2 counts a preempted request's prefix-cache queries again, which inflates the hit rate (give the pods more KV memory or less load)`,
    );
  }
  return { pods, warnings };
}
