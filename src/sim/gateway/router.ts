// One interface for every routing policy (the EPP's filter → scorers → picker chain, or kube-proxy's
// Service load balancing): pick an endpoint for a request, then optionally add response headers (the
// EPP's PostResponse / ResponseReceived plugin hook). Each policy lives in its own module.
import type { GatewayEndpoint, RoutingPolicy } from '../contracts.ts';
import { ClientIpRouter } from './client-ip.ts';
import { PrefixAwareRouter } from './prefix-aware.ts';
import { RandomRouter, RoundRobinRouter } from './simple.ts';
import { SessionTokenRouter } from './session-token.ts';
import { mulberry32 } from '../../hash.ts';

/** What a policy may look at: the gateway fills `prompt`/`model` only for routers with `needsPrompt`. */
export interface RequestInfo {
  method: string;
  path: string;
  /** req.socket.remoteAddress */
  clientAddress: string;
  /** request header x-session-token, if sent */
  sessionToken?: string;
  /** body.model */
  model?: string;
  /** the GIE "prompt" of the body (see prompt.ts); '' when there is none */
  prompt?: string;
}

export interface Router {
  /** true when pick() needs RequestInfo.prompt/model (the gateway then parses the JSON body). */
  readonly needsPrompt: boolean;
  /** `endpoints` is the current Ready set, never empty. */
  pick(req: RequestInfo, endpoints: readonly GatewayEndpoint[]): GatewayEndpoint;
  /** Headers to add to the response of a request served by `chosen`. */
  responseHeaders?(req: RequestInfo, chosen: GatewayEndpoint): Record<string, string> | undefined;
}

export interface RouterOptions {
  seed: number;
  /** ms clock (ClientIP affinity timeout) */
  now: () => number;
}

export function createRouter(policy: RoutingPolicy, opts: RouterOptions): Router {
  const rand = mulberry32(opts.seed);
  switch (policy) {
    case 'round-robin':
      return new RoundRobinRouter();
    case 'random':
      return new RandomRouter(rand);
    case 'client-ip':
      return new ClientIpRouter(rand, opts.now);
    case 'session-token':
      return new SessionTokenRouter(rand);
    case 'prefix-aware':
      return new PrefixAwareRouter(rand);
  }
}

/** `namespace/name`, the EPP's ServerID / NamespacedName string. */
export function endpointKey(ep: GatewayEndpoint): string {
  return `${ep.namespace}/${ep.name}`;
}
