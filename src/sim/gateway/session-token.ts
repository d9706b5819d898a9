// llm-d's `session-affinity-scorer` (llm-d-inference-scheduler v0.3.x pkg/plugins/scorer/session_affinity.go;
// research/vllm-llmd-semantics.md §4.2): the response carries `x-session-token` = standard base64 of
// `<namespace>/<podName>`; a request that sends it back scores 1.0 on that pod, 0 elsewhere, so it goes
// there while the pod is Ready. Without a (valid) token the other scorers decide: queue 2 + kv 2 with
// the max-score picker's random tie-break. (Later releases moved the token into an `llm-d-session` cookie;
// DESIGN.md keeps the header, which is what the reference demo's llm-d version used.)
import type { GatewayEndpoint } from '../contracts.ts';
import { pickByLoad } from './scorers.ts';
import { endpointKey, type RequestInfo, type Router } from './router.ts';

export const SESSION_TOKEN_HEADER = 'x-session-token';

export function encodeSessionToken(namespace: string, podName: string): string {
  return Buffer.from(`${namespace}/${podName}`, 'utf8').toString('base64');
}

/** `namespace/pod` from a token, or undefined when it is not base64 of something shaped like that. */
export function decodeSessionToken(token: string): string | undefined {
  const trimmed = token.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  return /^[^/\s]+\/[^/\s]+$/.test(decoded) ? decoded : undefined;
}

export class SessionTokenRouter implements Router {
  readonly needsPrompt = false;
  private readonly rand: () => number;
  /** The token string is the same for every request to a pod: encode once per pod. */
  private readonly tokens = new Map<string, string>();

  constructor(rand: () => number) {
    this.rand = rand;
  }

  pick(req: RequestInfo, endpoints: readonly GatewayEndpoint[]): GatewayEndpoint {
    if (req.sessionToken) {
      const target = decodeSessionToken(req.sessionToken);
      const sticky = target === undefined ? undefined : endpoints.find((ep) => endpointKey(ep) === target);
      if (sticky) return sticky;
    }
    return pickByLoad(endpoints, this.rand);
  }

  responseHeaders(_req: RequestInfo, chosen: GatewayEndpoint): Record<string, string> {
    const key = endpointKey(chosen);
    let token = this.tokens.get(key);
    if (token === undefined) {
      token = encodeSessionToken(chosen.namespace, chosen.name);
      this.tokens.set(key, token);
    }
    return { [SESSION_TOKEN_HEADER]: token };
  }
}
