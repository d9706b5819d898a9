// kube-proxy `sessionAffinity: ClientIP` (research/vllm-llmd-semantics.md §5): iptables mode marks the
// chosen endpoint with `-m recent --set` and later packets from the same source address go back to it
// (`--rcheck --seconds <timeoutSeconds> --reap`); otherwise the random per-endpoint probabilities pick.
// The table is keyed ONLY on the source IP, so behind one proxy (here: every local client is 127.0.0.1)
// all traffic lands on ONE pod for up to 3 h. That is the point of this policy: it reproduces the hot
// spot behind the reference demo's "99.91 % stickiness" (kubernetes#43958).
import type { GatewayEndpoint } from '../contracts.ts';
import { randomIndex } from './prng.ts';
import { endpointKey, type RequestInfo, type Router } from './router.ts';

/** ClientIPConfig.timeoutSeconds default: "Default value is 10800 (for 3 hours)" (k8s core/v1 API). */
export const CLIENT_IP_TIMEOUT_SECONDS = 10800;

interface Affinity {
  endpoint: string;
  lastSeenMs: number;
}

export class ClientIpRouter implements Router {
  readonly needsPrompt = false;
  private readonly table = new Map<string, Affinity>();
  private readonly rand: () => number;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(rand: () => number, now: () => number, timeoutSeconds = CLIENT_IP_TIMEOUT_SECONDS) {
    this.rand = rand;
    this.now = now;
    this.timeoutMs = timeoutSeconds * 1000;
  }

  pick(req: RequestInfo, endpoints: readonly GatewayEndpoint[]): GatewayEndpoint {
    const nowMs = this.now();
    const entry = this.table.get(req.clientAddress);
    if (entry && nowMs - entry.lastSeenMs <= this.timeoutMs) {
      // An endpoint that left the Service no longer has a KUBE-SEP chain: fall through to random.
      const sticky = endpoints.find((ep) => endpointKey(ep) === entry.endpoint);
      if (sticky) {
        entry.lastSeenMs = nowMs; // `--set` again on the endpoint chain refreshes the timer
        return sticky;
      }
    }
    const chosen = endpoints[randomIndex(this.rand, endpoints.length)] as GatewayEndpoint;
    this.table.set(req.clientAddress, { endpoint: endpointKey(chosen), lastSeenMs: nowMs });
    return chosen;
  }
}
