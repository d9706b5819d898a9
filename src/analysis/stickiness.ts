// Stickiness: do conversations stay on the pod that holds their history? (DESIGN "Semantics": Stickiness). Pure.
import type { PodReport, Report, StickinessGrade } from '../types.ts';

/** Cut-offs shared by both grading paths (DESIGN). */
export const GRADE_CUTOFFS: readonly [number, StickinessGrade][] = [
  [0.95, 'EXCELLENT'],
  [0.85, 'GOOD'],
  [0.7, 'FAIR'],
];

/** A hot spot: the busiest pod took more than this share with ≥ 2 Ready pods and more sessions than pods. */
export const HOT_SPOT_SHARE = 0.9;

export function gradeOf(score: number): StickinessGrade {
  for (const [cut, grade] of GRADE_CUTOFFS) if (score >= cut) return grade;
  return 'POOR';
}

/**
 * Splits a session slot's requests into conversations and counts those served by one pod only. A slot that
 * used its turns starts a new conversation (DESIGN "Session pool"): turns restart, and the new conversation
 * shares only the system prompt, so moving to another pod is no stickiness failure. Requests of one slot run
 * one after another, so ordering by start time and cutting where the turn does not grow finds them.
 * `visits` is flat — [startMs, turn, podId, startMs, turn, podId, …] — so a million requests cost 24 MB.
 */
export function countConsistentConversations(visits: readonly number[]): {
  conversations: number;
  consistent: number;
} {
  const n = Math.floor(visits.length / 3);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const at = (i: number, k: number): number => visits[i * 3 + k] as number;
  order.sort((a, b) => at(a, 0) - at(b, 0) || at(a, 1) - at(b, 1));
  let conversations = 0;
  let consistent = 0;
  let pod = -1;
  let sticky = true;
  let lastTurn = Infinity;
  for (const i of order) {
    const turn = at(i, 1);
    if (turn <= lastTurn) {
      if (conversations > 0 && sticky) consistent++;
      conversations++;
      pod = at(i, 2);
      sticky = true;
    } else if (at(i, 2) !== pod) {
      sticky = false;
    }
    lastTurn = turn;
  }
  if (conversations > 0 && sticky) consistent++;
  return { conversations, consistent };
}

/**
 * Normalised Shannon entropy of the pods' shares: 1 = evenly spread, 0 = all on one pod. With one pod the
 * spread cannot be anything else, so it is as even as it can be: 1 (not 0/0). Gone pods do not count.
 */
export function balanceOf(shares: readonly number[]): number | null {
  const total = shares.reduce((s, x) => s + x, 0);
  if (shares.length === 0 || total <= 0) return null;
  if (shares.length === 1) return 1;
  let h = 0;
  for (const s of shares) {
    const p = s / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / Math.log(shares.length);
}

export interface StickinessInput {
  pods: readonly PodReport[];
  readyPods: number;
  /** Distinct sessions of the measured loop; undefined without records. */
  sessions?: number;
  sessionConsistency?: number;
  deltaHitRate: number | null;
  upperBound: number | null;
}

export function assessStickiness(input: StickinessInput): {
  stickiness: Report['stickiness'];
  warnings: string[];
} {
  const warnings: string[] = [];
  const live = input.pods.filter((p) => !p.gone);
  const total = live.reduce((s, p) => s + p.queries, 0);
  const top = live.reduce<PodReport | undefined>(
    (best, p) => (!best || p.queries > best.queries ? p : best),
    undefined,
  );
  const topPodShare = top && total > 0 ? top.queries / total : null;
  const balance = balanceOf(live.map((p) => p.queries));

  let grade: StickinessGrade;
  if (input.sessionConsistency !== undefined) {
    grade = gradeOf(input.sessionConsistency);
  } else if (input.deltaHitRate === null) {
    grade = 'POOR';
    warnings.push('no prefix-cache queries between the snapshots: stickiness cannot be judged');
  } else {
    // Without the serving pod per request, how close the router came to the best possible hit rate.
    const bound = input.upperBound && input.upperBound > 0 ? input.upperBound : 1;
    if (!input.upperBound)
      warnings.push('no upper bound (no request records): stickiness graded on the delta hit rate alone');
    grade = gradeOf(Math.min(1, input.deltaHitRate / bound));
  }

  const hotSpot =
    input.readyPods >= 2 &&
    input.sessions !== undefined &&
    input.sessions > input.readyPods &&
    topPodShare !== null &&
    topPodShare > HOT_SPOT_SHARE;
  if (hotSpot && top && topPodShare !== null) {
    warnings.push(
      `hot spot: pod ${top.name} took ${(topPodShare * 100).toFixed(1)} % of the queries while ${input.readyPods} pods were Ready and ${input.sessions} sessions ran; ` +
        'the router sends everything to one pod (ClientIP affinity behind a gateway does this, and so does a prefix scorer when every conversation shares a system prompt and nothing queues), so the grade is capped at FAIR',
    );
    if (grade === 'EXCELLENT' || grade === 'GOOD') grade = 'FAIR';
  }
  const sc = input.sessionConsistency;
  const stickiness: Report['stickiness'] = {
    grade,
    ...(sc !== undefined ? { sessionConsistency: sc } : {}),
    topPodShare,
    balance,
    hotSpot,
  };
  return { stickiness, warnings };
}
