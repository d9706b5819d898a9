// GIE's default scheduling profile with the approximate prefix-cache scorer: prefix-cache-scorer (3) +
// queue-scorer (2) + kv-cache-utilization-scorer (2), max-score picker (research §4.2, §4.3).
import type { GatewayEndpoint } from '../contracts.ts';
import { PrefixIndexer } from './prefix-index.ts';
import { hashPrompt } from './prompt.ts';
import { endpointKey, type RequestInfo, type Router } from './router.ts';
import { LOAD_WEIGHTS, kvCacheScores, pickMaxScore, queueScores, weightedSum } from './scorers.ts';

/** prefix score = longest run of leading blocks the pod is believed to hold / the prompt's blocks. */
export function prefixScores(
  indexer: PrefixIndexer,
  servers: readonly string[],
  hashes: readonly number[],
): number[] {
  if (hashes.length === 0) return servers.map(() => 0);
  return servers.map((s) => indexer.matchLength(s, hashes) / hashes.length);
}

export class PrefixAwareRouter implements Router {
  readonly needsPrompt = true;
  readonly indexer: PrefixIndexer;
  private readonly rand: () => number;
  /** the endpoints array seen last: the Ready set changes rarely, so prune only when it does */
  private lastEndpoints: readonly GatewayEndpoint[] | undefined;
  private lastKeys: string[] = [];

  constructor(rand: () => number, indexer = new PrefixIndexer()) {
    this.rand = rand;
    this.indexer = indexer;
  }

  pick(req: RequestInfo, endpoints: readonly GatewayEndpoint[]): GatewayEndpoint {
    const servers = this.keysOf(endpoints);
    const hashes = hashPrompt(req.model ?? '', req.prompt ?? '');
    const loads = endpoints.map((ep) => ep.load());
    const scores = weightedSum(
      [
        { weight: LOAD_WEIGHTS.prefix, scores: prefixScores(this.indexer, servers, hashes) },
        { weight: LOAD_WEIGHTS.queue, scores: queueScores(loads) },
        { weight: LOAD_WEIGHTS.kvCache, scores: kvCacheScores(loads) },
      ],
      endpoints.length,
    );
    const i = pickMaxScore(scores, this.rand);
    // PreRequest: assume the chosen pod now holds every block of this prompt.
    this.indexer.add(servers[i] as string, hashes);
    return endpoints[i] as GatewayEndpoint;
  }

  private keysOf(endpoints: readonly GatewayEndpoint[]): string[] {
    if (endpoints === this.lastEndpoints) return this.lastKeys;
    const keys = endpoints.map(endpointKey);
    const changed = keys.length !== this.lastKeys.length || keys.some((k, i) => k !== this.lastKeys[i]);
    if (changed) this.indexer.retain(new Set(keys));
    this.lastEndpoints = endpoints;
    this.lastKeys = keys;
    return keys;
  }
}
