// Fault injection for the embedded stack (issue #7): `sim --faults SPEC[,SPEC…]`, StackOptions.faults, and
// `stack.faults.set(…)` for tests. A spec is `name=value`; pod faults take an optional `TARGET:` first,
// where TARGET is `pod-N` (the N-th current pod by name), a pod's full name, or `*` (every pod):
//
//   gateway-503=10%            the gateway answers 503 to 10 % of OpenAI POSTs (exactly 1 in 10, evenly spread)
//   cut-stream=[T:]5%          pods drop the connection half-way through 5 % of their responses
//   stall=[T:]2s               pods hold every generation request 2 s before admitting it
//   metrics-garbage=T          the pods' /metrics answer 200 with a page that is no exposition
//   metrics-timeout=T          the pods' /metrics never answer (the scraper's deadline must end the wait)
//   kill-pod-after=[T:]10s     the container crashes 10 s after the faults are set: same pod, restarted in
//                              place with an empty cache and zeroed counters (default target pod-0)
//   delete-pod-after=[T:]10s   the pod is deleted then: its ReplicaSet replaces it (new name and uid)
//   api-500=3 | api-500=20%    the next 3 (or 20 % of) Kubernetes API resource requests answer 500
//   drop-watch-after=1s        every Kubernetes watch is cut 1 s after it starts (clients must re-watch)
//
// Parsing is pure (./fault-spec.ts; a bad spec is a UsageError naming it); FaultInjector applies the specs
// through the hooks the gateway, the pods and the API server consult. With no fault set each hook is one
// property read.
import type { GatewayFaults, VllmPodFaults } from './contracts.ts';
import { parseFaults, resolveTarget, type FaultSpec, type PodTarget } from './fault-spec.ts';

export * from './fault-spec.ts';

/** Fires on exactly ⌊n·share⌋ of n calls, evenly spread (10 % = every 10th), so tests can count. */
export class EvenShare {
  private readonly share: number;
  private acc = 0;
  constructor(share: number) {
    this.share = share;
  }
  next(): boolean {
    this.acc += this.share;
    if (this.acc < 1 - 1e-9) return false;
    this.acc -= 1;
    return true;
  }
}

/** What the injector needs of the cluster: its pods, and the two ways a pod dies. */
export interface FaultActions {
  /** current (not terminating) pods, sorted by name */
  podNames(): string[];
  killPod(name: string): Promise<void>;
  deletePod(name: string): Promise<void>;
  onError?(err: Error): void;
}

/** The API server's hooks (src/sim/kube-api/server.ts). */
export interface KubeApiFaults {
  /** status code to fail this resource request with, if any */
  failRequest(): number | undefined;
  /** cut each watch this many ms after it starts */
  watchLifetimeMs(): number | undefined;
}

interface PodRule<T> {
  pod: PodTarget;
  value: T;
}

/** Applies fault specs at run time; `set` replaces what is active and restarts the timed faults. */
export class FaultInjector {
  private specs: FaultSpec[] = [];
  private actions: FaultActions | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private gateway503: EvenShare | undefined;
  private cut: PodRule<EvenShare>[] = [];
  private stall: PodRule<number>[] = [];
  private metrics: PodRule<'garbage' | 'hang'>[] = [];
  private api500: { left: number } | EvenShare | undefined;
  private watchMs: number | undefined;

  /** The gateway's hook: one read of an undefined field when no gateway fault is set. */
  readonly gateway: GatewayFaults = {
    rejectStatus: () => (this.gateway503?.next() ? 503 : undefined),
  };

  readonly kubeApi: KubeApiFaults = {
    failRequest: () => {
      const f = this.api500;
      if (!f) return undefined;
      if (f instanceof EvenShare) return f.next() ? 500 : undefined;
      if (f.left <= 0) return undefined;
      f.left--;
      return 500;
    },
    watchLifetimeMs: () => this.watchMs,
  };

  /** Late binding: the cluster is created after the injector, whose pod hooks it hands to every pod. */
  attach(actions: FaultActions): void {
    this.actions = actions;
    this.startTimers();
  }

  get active(): readonly FaultSpec[] {
    return this.specs;
  }

  set(input: string | readonly string[] | readonly FaultSpec[]): void {
    const specs =
      typeof input === 'string' || input.every((s) => typeof s === 'string')
        ? parseFaults(input as string | string[])
        : [...(input as readonly FaultSpec[])];
    this.clearTimers();
    this.specs = specs;
    this.gateway503 = undefined;
    this.cut = [];
    this.stall = [];
    this.metrics = [];
    this.api500 = undefined;
    this.watchMs = undefined;
    for (const f of specs) {
      if (f.kind === 'gateway-503') this.gateway503 = new EvenShare(f.share);
      else if (f.kind === 'cut-stream') this.cut.push({ pod: f.pod, value: new EvenShare(f.share) });
      else if (f.kind === 'stall') this.stall.push({ pod: f.pod, value: f.ms });
      else if (f.kind === 'metrics-garbage') this.metrics.push({ pod: f.pod, value: 'garbage' });
      else if (f.kind === 'metrics-timeout') this.metrics.push({ pod: f.pod, value: 'hang' });
      else if (f.kind === 'api-500') this.api500 = 'count' in f ? { left: f.count } : new EvenShare(f.share);
      else if (f.kind === 'drop-watch-after') this.watchMs = f.ms;
    }
    this.startTimers();
  }

  clear(): void {
    this.set([]);
  }

  /** The hooks one pod consults on each request; they read the rules in force at that moment. */
  pod(name: string): VllmPodFaults {
    return {
      stallMs: () => this.match(this.stall, name),
      cutResponse: () => this.match(this.cut, name)?.next() ?? false,
      metricsFault: () => this.match(this.metrics, name),
    };
  }

  close(): void {
    this.clearTimers();
  }

  private match<T>(rules: readonly PodRule<T>[], name: string): T | undefined {
    if (rules.length === 0) return undefined;
    let names: string[] | undefined;
    for (const r of rules) {
      if (r.pod.kind === 'all') return r.value;
      if (r.pod.kind === 'name') {
        if (r.pod.name === name) return r.value;
        continue;
      }
      names ??= this.actions?.podNames() ?? [];
      if (names[r.pod.index] === name) return r.value;
    }
    return undefined;
  }

  private startTimers(): void {
    const actions = this.actions;
    if (!actions) return;
    for (const f of this.specs) {
      if (f.kind !== 'kill-pod-after' && f.kind !== 'delete-pod-after') continue;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        for (const name of resolveTarget(f.pod, actions.podNames())) {
          const act = f.kind === 'kill-pod-after' ? actions.killPod(name) : actions.deletePod(name);
          act.catch((err: unknown) => actions.onError?.(err instanceof Error ? err : new Error(String(err))));
        }
      }, f.ms);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export function createFaultInjector(specs: string | readonly string[] = []): FaultInjector {
  const injector = new FaultInjector();
  injector.set(specs);
  return injector;
}
