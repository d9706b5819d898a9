// Tekton result files (DESIGN "Data between steps"): small strings with no trailing newline. Tekton caps
// all results of a TaskRun at 4096 bytes in the termination message, so each stays well under 1 KB. Pure.
import type { Report } from '../types.ts';

export type ResultName = 'hit-rate' | 'stickiness' | 'verdict' | 'summary';

export const MAX_RESULT_BYTES = 1024;

function round(x: number | null | undefined, digits = 4): number | null {
  return x === null || x === undefined ? null : Number(x.toFixed(digits));
}

/** The compact summary: the figures a Dashboard column or a `when` expression needs, nothing per pod. */
export function summaryOf(report: Report): Record<string, unknown> {
  return {
    // Run ids are generated short; a user-given one is cut so the summary stays small.
    runId: report.runId.length > 80 ? `${report.runId.slice(0, 79)}…` : report.runId,
    verdict: report.verdict,
    hitRate: round(report.hitRate.delta),
    upperBound: round(report.hitRate.upperBound),
    overall: round(report.hitRate.overall),
    stickiness: report.stickiness.grade,
    hotSpot: report.stickiness.hotSpot,
    topPodShare: round(report.stickiness.topPodShare),
    pods: report.pods.filter((p) => !p.gone).length,
    requests: report.requests.total,
    errors: report.requests.errors,
    ttftMsP50: round(report.latency.ttftMs.p50, 1),
    ttftMsP99: round(report.latency.ttftMs.p99, 1),
    failedGates: report.gates.filter((g) => !g.ok).map((g) => g.name),
    warnings: report.warnings.length,
    ...(report.baseline
      ? {
          baseline: {
            policy: report.baseline.policy.slice(0, 80),
            hitRate: round(report.baseline.hitRate),
            ttftMsP50: round(report.baseline.ttftMs.p50, 1),
          },
        }
      : {}),
  };
}

export function tektonResults(report: Report): Record<ResultName, string> {
  return {
    'hit-rate': report.hitRate.delta === null ? 'n/a' : report.hitRate.delta.toFixed(4),
    stickiness: report.stickiness.grade,
    verdict: report.verdict,
    summary: JSON.stringify(summaryOf(report)),
  };
}
