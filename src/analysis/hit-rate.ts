// Hit rates: the measured one from vLLM's counters, the bound the workload allows, the one usage reports. Pure.
import type { PodReport, Snapshot } from '../types.ts';
import type { PodDelta } from './deltas.ts';

export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/**
 * Σpods Δhits / Σpods Δqueries: sums first, never an average of per-pod ratios (research note §1.5, vLLM
 * docs/design/metrics.md "Prefix Cache metrics"). Both counters count tokens.
 */
export function deltaHitRate(pods: readonly PodDelta[]): {
  hits: number;
  queries: number;
  rate: number | null;
} {
  let hits = 0;
  let queries = 0;
  for (const p of pods) {
    hits += p.counters.prefixCacheHits;
    queries += p.counters.prefixCacheQueries;
  }
  return { hits, queries, rate: ratio(hits, queries) };
}

/** Lifetime hit rate of the pods as the after-snapshot shows them (what the reference demo calls "overall"). */
export function overallHitRate(after: Snapshot): number | null {
  let hits = 0;
  let queries = 0;
  for (const p of after.pods) {
    hits += p.counters.prefixCacheHits ?? 0;
    queries += p.counters.prefixCacheQueries ?? 0;
  }
  return ratio(hits, queries);
}

/** Each pod's own delta hit rate and its share of the delta queries. */
export function podReports(pods: readonly PodDelta[]): PodReport[] {
  const total = deltaHitRate(pods).queries;
  return pods.map((p) => {
    const r: PodReport = {
      name: p.name,
      queries: p.counters.prefixCacheQueries,
      hits: p.counters.prefixCacheHits,
      hitRate: ratio(p.counters.prefixCacheHits, p.counters.prefixCacheQueries),
      share: ratio(p.counters.prefixCacheQueries, total),
      restarted: p.restarted,
    };
    if (p.gone) r.gone = true;
    return r;
  });
}

export interface TokenSums {
  /** Σ promptTokens over measured successful requests. */
  promptTokens: number;
  /** Σ prefixReusableTokens over the same requests. */
  reusableTokens: number;
  /** Σ cachedTokens and Σ promptTokens over those of them whose usage reported cached tokens. */
  cachedTokens: number;
  promptTokensWithUsage: number;
  requestsWithUsage: number;
}

/**
 * Upper bound (DESIGN "Semantics"): what a perfect router with an unlimited cache could reach. The load
 * generator records each prompt's reusable prefix (16-token blocks, capped at ⌊(N−1)/16⌋·16 as vLLM v0.10
 * caps hits at N−1: kv_cache_manager.py get_computed_blocks); the bound is their sum over the prompt tokens.
 */
export function upperBound(sums: TokenSums): number | null {
  return ratio(sums.reusableTokens, sums.promptTokens);
}

/** Σ usage.prompt_tokens_details.cached_tokens / Σ prompt tokens; undefined when no response carried it. */
export function usageHitRate(sums: TokenSums): number | null | undefined {
  if (sums.requestsWithUsage === 0) return undefined;
  return ratio(sums.cachedTokens, sums.promptTokensWithUsage);
}
