// One pass of the Deployment + ReplicaSet controllers over the store, level-triggered: whatever happened
// (a pod deleted, a pod Ready, the template patched), the pass works out what to create, what to delete and
// which statuses to write. Rolling update as pkg/controller/deployment/rolling.go does it: scale the new
// ReplicaSet up while the total stays ≤ replicas + maxSurge, scale old ones down while at least
// replicas − maxUnavailable stay available (25 %/25 %, so 3 replicas roll one pod at a time).
import {
  activePods,
  countPods,
  deploymentSpec,
  deploymentStatus,
  maxSurge,
  maxUnavailable,
  newReplicaSet,
  replicaSetStatus,
  REVISION_ANNOTATION,
  templateHashOf,
} from './deployment.ts';
import { isPodReady } from './pod-object.ts';
import type { KubeObject, ObjectStore } from './store.ts';

export interface ControllerHooks {
  store: ObjectStore;
  now: number;
  uuid: () => string;
  /** pods of this ReplicaSet whose server is still starting (not in the store yet) */
  creating(rsName: string): number;
  startPod(rs: KubeObject): void;
  terminatePod(name: string): void;
}

const ownedBy = (owner: KubeObject) => (o: KubeObject) =>
  o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid) ?? false;
const revisionOf = (rs: KubeObject): number => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);

/** controller.ActivePods order for scale-down: not Ready first, then the newest (pkg/controller/controller_utils.go). */
function deletionOrder(pods: readonly KubeObject[]): KubeObject[] {
  return [...pods].sort((a, b) => {
    const ra = isPodReady(a) ? 1 : 0;
    const rb = isPodReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    if (a.metadata.creationTimestamp !== b.metadata.creationTimestamp)
      return a.metadata.creationTimestamp > b.metadata.creationTimestamp ? -1 : 1;
    return a.metadata.name < b.metadata.name ? -1 : 1;
  });
}

/** Finds or creates the ReplicaSet of the current template and keeps revision annotations in step. */
function syncRevision(h: ControllerHooks, d: KubeObject, owned: KubeObject[]): KubeObject {
  const ns = d.metadata.namespace;
  const hash = templateHashOf(d);
  const maxRevision = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
  let newRs = owned.find((rs) => rs.metadata.name === `${d.metadata.name}-${hash}`);
  if (!newRs) {
    newRs = h.store.create(
      'replicasets',
      newReplicaSet({ deployment: d, hash, uid: h.uuid(), revision: maxRevision + 1, nowMs: h.now }),
    );
    owned.push(newRs);
  } else if (revisionOf(newRs) < maxRevision) {
    // An older template is current again (rollout undo): its ReplicaSet becomes the newest revision.
    newRs = h.store.update('replicasets', ns, newRs.metadata.name, (rs) => {
      rs.metadata.annotations = {
        ...rs.metadata.annotations,
        [REVISION_ANNOTATION]: String(maxRevision + 1),
      };
    })!;
  }
  const revision = String(revisionOf(newRs));
  if (d.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
    h.store.update('deployments', ns, d.metadata.name, (x) => {
      x.metadata.annotations = { ...x.metadata.annotations, [REVISION_ANNOTATION]: revision };
    });
  }
  return newRs;
}

export function reconcileDeployment(h: ControllerHooks, namespace: string, name: string): void {
  const d = h.store.get('deployments', namespace, name);
  if (!d) return;
  const spec = deploymentSpec(d);
  const owned = h.store.list('replicasets', namespace).filter(ownedBy(d));
  const newRs = syncRevision(h, d, owned);
  const oldRss = owned.filter((rs) => rs.metadata.uid !== newRs.metadata.uid);

  const pods = h.store.list('pods', namespace);
  const newPods = activePods(pods.filter(ownedBy(newRs)));
  let newActive = newPods.length + h.creating(newRs.metadata.name);
  const newReady = newPods.filter(isPodReady).length;
  const oldActive = oldRss.flatMap((rs) => activePods(pods.filter(ownedBy(rs))));

  // Scale the new ReplicaSet up, within replicas + maxSurge while old pods remain.
  const room =
    oldActive.length > 0 ? spec.replicas + maxSurge(spec.replicas) - newActive - oldActive.length : Infinity;
  const toCreate = Math.max(0, Math.min(spec.replicas - newActive, room));
  for (let i = 0; i < toCreate; i++) h.startPod(newRs);
  newActive += toCreate;

  // Scale old ReplicaSets down, keeping replicas − maxUnavailable available (rolling.go reconcileOldReplicaSets).
  if (oldActive.length > 0) {
    const minAvailable = spec.replicas - maxUnavailable(spec.replicas);
    let available = newReady + oldActive.filter(isPodReady).length;
    let budget = newActive + oldActive.length - minAvailable - (newActive - newReady);
    for (const pod of deletionOrder(oldActive)) {
      if (budget <= 0) break;
      if (isPodReady(pod)) {
        if (available - 1 < minAvailable) break;
        available--;
      }
      h.terminatePod(pod.metadata.name);
      budget--;
    }
  }

  // Scale the new ReplicaSet down when spec.replicas went down (pods still starting are left to finish).
  const excess = Math.min(newActive - spec.replicas, newPods.length);
  for (const pod of deletionOrder(newPods).slice(0, Math.max(0, excess))) {
    h.terminatePod(pod.metadata.name);
    newActive--;
  }

  writeStatuses(h, d, newRs, owned, newActive);
}

function writeStatuses(
  h: ControllerHooks,
  d: KubeObject,
  newRs: KubeObject,
  owned: KubeObject[],
  newDesired: number,
): void {
  const ns = d.metadata.namespace;
  const pods = h.store.list('pods', ns);
  const mine: KubeObject[] = [];
  for (const rs of owned) {
    const rsPods = pods.filter(ownedBy(rs));
    mine.push(...rsPods);
    const current = h.store.get('replicasets', ns, rs.metadata.name)!;
    const desired = rs.metadata.uid === newRs.metadata.uid ? newDesired : activePods(rsPods).length;
    const status = replicaSetStatus(current, rsPods);
    const specNow = current.spec as { replicas: number };
    if (specNow.replicas === desired && JSON.stringify(current.status) === JSON.stringify(status)) continue;
    h.store.update('replicasets', ns, rs.metadata.name, (x) => {
      if ((x.spec as { replicas: number }).replicas !== desired)
        x.metadata.generation = (x.metadata.generation ?? 1) + 1;
      (x.spec as { replicas: number }).replicas = desired;
      x.status = { ...status, observedGeneration: x.metadata.generation ?? 1 };
    });
  }
  const current = h.store.get('deployments', ns, d.metadata.name)!;
  const counts = countPods(pods.filter(ownedBy(newRs)), mine);
  const status = deploymentStatus(current, newRs.metadata.name, counts, h.now);
  if (JSON.stringify(current.status) !== JSON.stringify(status)) {
    h.store.update('deployments', ns, d.metadata.name, (x) => {
      x.status = status;
    });
  }
}
