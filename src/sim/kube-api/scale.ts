// deployments/NAME/scale (autoscaling/v1 Scale): what `kubectl scale deploy/X --replicas=N` reads and
// patches. The replica count goes through the same Deployment update as any patch, so the controller
// scales the pods as it would for spec.replicas.
import type { SimCluster } from './cluster.ts';
import { deploymentSpec } from './deployment.ts';
import { applyPatch, PatchError } from './patch.ts';
import type { ResourceRequest } from './request-info.ts';
import { formatMatchLabels } from './selectors.ts';
import { badRequest, invalid, methodNotAllowed, notFound, unsupportedMediaType } from './status.ts';
import type { KubeObject } from './store.ts';

export function scaleOf(d: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = d.metadata;
  const status = d.status as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: deploymentSpec(d).replicas },
    status: {
      replicas: status.replicas ?? 0,
      selector: formatMatchLabels(deploymentSpec(d).selector.matchLabels),
    },
  };
}

export function handleScale(
  cluster: SimCluster,
  info: ResourceRequest,
  contentType: string,
  body: Buffer,
): { code: number; body: unknown } {
  const d = cluster.store.get('deployments', info.namespace, info.name);
  if (!d) throw notFound('deployments', 'apps', info.name);
  if (info.verb === 'get') return { code: 200, body: scaleOf(d) };
  if (info.verb !== 'patch' && info.verb !== 'update') throw methodNotAllowed();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
  let next: KubeObject;
  try {
    next = (info.verb === 'patch' ? applyPatch(contentType, scaleOf(d), parsed) : parsed) as KubeObject;
  } catch (err) {
    if (err instanceof PatchError)
      throw err.unsupported ? unsupportedMediaType(contentType) : badRequest(err.message);
    throw err;
  }
  const replicas = (next?.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number')
    throw invalid('deployments', 'apps', info.name, 'spec.replicas: Required value');
  const updated = structuredClone(d);
  deploymentSpec(updated).replicas = replicas;
  return { code: 200, body: scaleOf(cluster.updateDeployment(info.name, updated)) };
}
