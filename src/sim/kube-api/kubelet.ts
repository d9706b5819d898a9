// The node agent of the embedded cluster: runs each pod's server (from `podFactory`), and moves the pod
// object through its life as the kubelet reports it — Pending → Running → Ready after the readiness delay,
// Terminating → stopped → gone on delete, crashed → restarted in place on a kill. Every change goes through
// the store; `changed()` tells the controller to look again.
import type { VllmPodHandle } from '../contracts.ts';
import { randomSuffix } from './ids.ts';
import {
  markCrashed,
  markReady,
  markRestarted,
  markRunning,
  markStopped,
  markTerminating,
  newPod,
  type PodTemplate,
} from './pod-object.ts';
import type { KubeObject, ObjectStore } from './store.ts';

export type PodFactory = (pod: { name: string; namespace: string; port?: number }) => Promise<VllmPodHandle>;

export interface KubeletOptions {
  store: ObjectStore;
  namespace: string;
  podFactory: PodFactory;
  readyDelayMs: number;
  startDelayMs: number;
  terminationDelayMs: number;
  now: () => number;
  random: () => number;
  uuid: () => string;
  /** a pod changed in a way the controller cares about */
  changed: () => void;
  report: (err: unknown) => void;
}

interface PodRuntime {
  handle?: VllmPodHandle;
  timers: Set<NodeJS.Timeout>;
  terminating: boolean;
}

/** The kubelet's restart back-off starts at 10 s; the ReplicaSet retries too. One second suits a simulator. */
const RETRY_MS = 1000;

export class Kubelet {
  private readonly o: KubeletOptions;
  private readonly runtimes = new Map<string, PodRuntime>();
  /** pod name → ReplicaSet name, while the pod's server is starting (no object yet) */
  private readonly creating = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: KubeletOptions) {
    this.o = options;
  }

  handle(name: string): VllmPodHandle | undefined {
    return this.runtimes.get(name)?.handle;
  }

  /** Pods of this ReplicaSet still starting (all ReplicaSets without an argument). */
  starting(rsName?: string): number {
    return [...this.creating.values()].filter((rs) => rsName === undefined || rs === rsName).length;
  }

  /** Creates a pod of `rs`: starts its server, then adds the object with the server's port in its spec. */
  start(rs: KubeObject): void {
    let name: string;
    do name = `${rs.metadata.name}-${randomSuffix(this.o.random)}`;
    while (
      this.o.store.get('pods', this.o.namespace, name) ||
      this.runtimes.has(name) ||
      this.creating.has(name)
    );
    this.creating.set(name, rs.metadata.name);
    void this.bringUp(name, rs);
  }

  private async bringUp(name: string, rs: KubeObject): Promise<void> {
    let handle: VllmPodHandle;
    try {
      handle = await this.o.podFactory({ name, namespace: this.o.namespace });
    } catch (err) {
      this.creating.delete(name);
      this.o.report(err);
      this.later(RETRY_MS, this.o.changed);
      return;
    }
    this.creating.delete(name);
    if (this.closed) return void (await handle.close());
    const rt: PodRuntime = { handle, timers: new Set(), terminating: false };
    this.runtimes.set(name, rt);
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: rs.metadata.name,
      uid: rs.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    const template = (rs.spec as { template: PodTemplate }).template;
    const templateHash = template.metadata.labels['pod-template-hash'] ?? '';
    const pod = newPod({
      name,
      namespace: this.o.namespace,
      uid: this.o.uuid(),
      owner,
      templateHash,
      template,
      port: handle.port,
      nowMs: this.o.now(),
    });
    this.o.store.create('pods', pod);
    this.podTimer(rt, this.o.startDelayMs, () =>
      this.update(name, (p) => markRunning(p, this.o.now(), this.containerId())),
    );
    this.podTimer(rt, this.o.readyDelayMs, () => this.becomeReady(name));
    this.o.changed();
  }

  private becomeReady(name: string): void {
    this.update(name, (p) => markReady(p, this.o.now()));
    this.o.changed();
  }

  /** Graceful delete: Terminating now, the container stops after terminationDelayMs. */
  terminate(name: string, graceSeconds: number): KubeObject | undefined {
    const rt = this.runtimes.get(name);
    if (rt?.terminating) return this.o.store.get('pods', this.o.namespace, name);
    if (rt) {
      rt.terminating = true;
      this.clearPodTimers(rt);
      this.podTimer(rt, this.o.terminationDelayMs, () => void this.finalize(name, true));
    }
    const pod = this.update(name, (p) => markTerminating(p, this.o.now(), graceSeconds));
    this.o.changed();
    return pod;
  }

  /**
   * The container exits: close its server (cache and counters gone), write the stopped status as the kubelet
   * does after a graceful stop, then remove the pod. A forced delete (grace 0) skips the status write.
   */
  async finalize(name: string, graceful: boolean): Promise<KubeObject | undefined> {
    const rt = this.runtimes.get(name);
    if (rt) {
      this.runtimes.delete(name);
      this.clearPodTimers(rt);
      try {
        await rt.handle?.close();
      } catch (err) {
        this.o.report(err);
      }
    }
    if (graceful && !this.closed) this.update(name, (p) => markStopped(p, this.o.now()));
    const last = this.o.store.remove('pods', this.o.namespace, name);
    this.o.changed();
    return last;
  }

  /** A container crash: not Ready at once, then restarted in the same pod (restartPolicy Always). */
  async crash(name: string): Promise<boolean> {
    const rt = this.runtimes.get(name);
    if (!rt || rt.terminating) return false;
    this.clearPodTimers(rt);
    const old = rt.handle;
    rt.handle = undefined;
    this.update(name, (p) => markCrashed(p, this.o.now()));
    this.o.changed();
    try {
      await old?.close();
    } catch (err) {
      this.o.report(err);
    }
    await this.restart(name, rt, old?.port);
    return true;
  }

  /** Starts the container again, on its old port if the factory can, retrying while the factory fails. */
  private async restart(name: string, rt: PodRuntime, port: number | undefined): Promise<void> {
    let handle: VllmPodHandle;
    try {
      handle = await this.o.podFactory({ name, namespace: this.o.namespace, port });
    } catch (err) {
      this.o.report(err);
      if (!this.closed && this.runtimes.get(name) === rt && !rt.terminating)
        this.podTimer(rt, RETRY_MS, () => void this.restart(name, rt, undefined));
      return;
    }
    if (this.closed || rt.terminating || this.runtimes.get(name) !== rt) return void (await handle.close());
    rt.handle = handle;
    this.update(name, (p) => markRestarted(p, this.o.now(), this.containerId(), handle.port));
    this.podTimer(rt, this.o.readyDelayMs, () => this.becomeReady(name));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const handles = [...this.runtimes.values()].flatMap((rt) => (rt.handle ? [rt.handle] : []));
    this.runtimes.clear();
    await Promise.allSettled(handles.map((h) => h.close()));
  }

  private update(name: string, mutate: (pod: KubeObject) => void): KubeObject | undefined {
    return this.o.store.update('pods', this.o.namespace, name, mutate);
  }

  private podTimer(rt: PodRuntime, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      rt.timers.delete(t);
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    rt.timers.add(t);
    this.timers.add(t);
  }

  private clearPodTimers(rt: PodRuntime): void {
    for (const t of rt.timers) {
      clearTimeout(t);
      this.timers.delete(t);
    }
    rt.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private containerId(): string {
    let hex = '';
    for (let i = 0; i < 64; i++) hex += Math.floor(this.o.random() * 16).toString(16);
    return hex;
  }
}
