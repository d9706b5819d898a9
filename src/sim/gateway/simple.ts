// The two policies without state about requests: what a plain Service or Envoy cluster does.
import type { GatewayEndpoint } from '../contracts.ts';
import { randomIndex } from './prng.ts';
import type { RequestInfo, Router } from './router.ts';

/** Envoy's ROUND_ROBIN: a rotating counter over the current Ready set. */
export class RoundRobinRouter implements Router {
  readonly needsPrompt = false;
  private next = 0;

  pick(_req: RequestInfo, endpoints: readonly GatewayEndpoint[]): GatewayEndpoint {
    const i = this.next % endpoints.length;
    this.next = (i + 1) % endpoints.length;
    return endpoints[i] as GatewayEndpoint;
  }
}

/** Uniform random from the seed (kube-proxy's iptables probabilities without affinity). */
export class RandomRouter implements Router {
  readonly needsPrompt = false;
  private readonly rand: () => number;
  constructor(rand: () => number) {
    this.rand = rand;
  }

  pick(_req: RequestInfo, endpoints: readonly GatewayEndpoint[]): GatewayEndpoint {
    return endpoints[randomIndex(this.rand, endpoints.length)] as GatewayEndpoint;
  }
}
