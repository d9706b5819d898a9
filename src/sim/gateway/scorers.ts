// The GIE EPP's load scorers and its max-score picker, as pure functions over the pods' loads.
// The real EPP scrapes each pod's /metrics every 50 ms (--refresh-metrics-interval) and scores from that
// cache; in-process we read endpoint.load() at pick time, which is the same figures without the lag.
import type { GatewayEndpoint, PodLoad } from '../contracts.ts';
import { shuffledIndices } from './prng.ts';

/**
 * GIE `queue-scorer`: (maxQ − q)/(maxQ − minQ) over vllm:num_requests_waiting; every pod scores 1.0
 * when all queues are equal (pkg/epp/scheduling/framework/plugins/scorer/queue.go).
 */
export function queueScores(loads: readonly PodLoad[]): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (const l of loads) {
    if (l.waiting < min) min = l.waiting;
    if (l.waiting > max) max = l.waiting;
  }
  return loads.map((l) => (max === min ? 1 : (max - l.waiting) / (max - min)));
}

/** GIE `kv-cache-utilization-scorer`: 1 − KVCacheUsagePercent (vllm:kv_cache_usage_perc, 0–1). */
export function kvCacheScores(loads: readonly PodLoad[]): number[] {
  return loads.map((l) => 1 - Math.min(1, Math.max(0, l.kvUsage)));
}

/** Σ weight × score per endpoint (the EPP's weighted scorer sum). */
export function weightedSum(
  parts: readonly { weight: number; scores: readonly number[] }[],
  n: number,
): number[] {
  const total = new Array<number>(n).fill(0);
  for (const { weight, scores } of parts) {
    for (let i = 0; i < n; i++) total[i] = (total[i] as number) + weight * (scores[i] as number);
  }
  return total;
}

/**
 * GIE `max-score-picker`: shuffles the candidates first "needed for random tie break when scores are
 * equal", then takes the highest score (pkg/epp/scheduling/framework/plugins/picker/max_score_picker.go).
 * Returns the index of the chosen endpoint.
 */
export function pickMaxScore(scores: readonly number[], rand: () => number): number {
  let best = -1;
  let bestScore = -Infinity;
  for (const i of shuffledIndices(rand, scores.length)) {
    const s = scores[i] as number;
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}

/** The default profile without a prefix scorer: queue-scorer 2 + kv-cache-utilization-scorer 2 (GIE v1.2+ chart). */
export function pickByLoad(endpoints: readonly GatewayEndpoint[], rand: () => number): GatewayEndpoint {
  const loads = endpoints.map((ep) => ep.load());
  const scores = weightedSum(
    [
      { weight: LOAD_WEIGHTS.queue, scores: queueScores(loads) },
      { weight: LOAD_WEIGHTS.kvCache, scores: kvCacheScores(loads) },
    ],
    endpoints.length,
  );
  return endpoints[pickMaxScore(scores, rand)] as GatewayEndpoint;
}

/**
 * GIE config/charts/inferencepool default-plugins.yaml from v1.2.0: queue 2, kv-cache-utilization 2,
 * prefix-cache 3 (v1.0–v1.1 had all three at weight 1); llm-d's inference-scheduling guide uses it.
 */
export const LOAD_WEIGHTS = { queue: 2, kvCache: 2, prefix: 3 } as const;
