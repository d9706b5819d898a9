// The object store behind the embedded API server: every object of every resource, one global
// resourceVersion counter (as etcd's revision), and a bounded event history so a watch that resumes from
// an older resourceVersion gets the changes it missed (client-go's reflector re-watches from the last RV
// it saw without re-listing: research §6.1). Stored objects are never mutated in place: update() clones,
// so the history keeps each version as it was.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type ResourceName =
  | 'pods'
  | 'deployments'
  | 'replicasets'
  | 'statefulsets'
  | 'namespaces'
  // Stored as sent (objects.ts): what `kubectl apply -k .` of the catalog creates, and Tekton's objects.
  | 'serviceaccounts'
  | 'configmaps'
  | 'secrets'
  | 'services'
  | 'roles'
  | 'rolebindings'
  | 'clusterroles'
  | 'clusterrolebindings'
  | 'tasks'
  | 'pipelines'
  | 'pipelineruns'
  | 'taskruns';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: ResourceName;
  rv: number;
  object: KubeObject;
  /** the version before a MODIFIED, so a filtered watch can turn it into ADDED/DELETED */
  previous?: KubeObject;
}

export interface StoreSubscriber {
  onEvent(e: StoreEvent): void;
  /** the watch is cut (dropWatches fault, or shutdown) */
  onDrop(): void;
}

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class ObjectStore {
  private rv = 0;
  private readonly objects = new Map<ResourceName, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  /** events at or below this RV were dropped from the history */
  private compactedRv = 0;
  private readonly subscribers = new Set<StoreSubscriber>();
  /** in-process controllers (RBAC, Tekton): unlike watches, never cut by dropSubscribers */
  private readonly observers = new Set<(e: StoreEvent) => void>();
  private readonly historyLimit: number;

  constructor(historyLimit = 5000) {
    this.historyLimit = historyLimit;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private bucket(resource: ResourceName): Map<string, KubeObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(resource).get(keyOf(namespace, name));
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace then name (as etcd keys list). */
  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const all = [...this.bucket(resource).values()].filter(
      (o) => namespace === undefined || o.metadata.namespace === namespace,
    );
    return all.sort((a, b) => {
      const ka = keyOf(a.metadata.namespace, a.metadata.name);
      const kb = keyOf(b.metadata.namespace, b.metadata.name);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  create(resource: ResourceName, obj: KubeObject): KubeObject {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.bucket(resource).set(keyOf(stored.metadata.namespace, stored.metadata.name), stored);
    this.emit({ type: 'ADDED', resource, rv: this.rv, object: stored });
    return stored;
  }

  /** Applies `mutate` to a copy and stores it as the next version; undefined when the object is gone. */
  update(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    mutate: (draft: KubeObject) => void,
  ): KubeObject | undefined {
    const previous = this.get(resource, namespace, name);
    if (!previous) return undefined;
    const next = structuredClone(previous);
    mutate(next);
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(resource).set(keyOf(namespace, name), next);
    this.emit({ type: 'MODIFIED', resource, rv: this.rv, object: next, previous });
    return next;
  }

  /** Removes the object; the DELETED event carries its last state with a new resourceVersion. */
  remove(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const previous = this.get(resource, namespace, name);
    if (!previous) return undefined;
    const last = structuredClone(previous);
    last.metadata.resourceVersion = String(++this.rv);
    this.bucket(resource).delete(keyOf(namespace, name));
    this.emit({ type: 'DELETED', resource, rv: this.rv, object: last, previous });
    return last;
  }

  /** Events after `rv`, or 'expired' when some of them have left the history (answer: 410 Expired). */
  eventsSince(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    return this.history.filter((e) => e.rv > rv);
  }

  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  subscribe(s: StoreSubscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** An in-process controller's view of every change; dropSubscribers (a watch fault) leaves it alone. */
  observe(fn: (e: StoreEvent) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /** Cuts every open watch (fault injection, shutdown); clients re-watch from their last RV. */
  dropSubscribers(): number {
    const all = [...this.subscribers];
    this.subscribers.clear();
    for (const s of all) s.onDrop();
    return all.length;
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = dropped[dropped.length - 1]!.rv;
    }
    for (const s of [...this.subscribers]) s.onEvent(e);
    for (const fn of [...this.observers]) fn(e);
  }
}
