// Create, update (PUT), patch and delete of the resources kept as sent (discovery.ts `stored`): what
// `kubectl apply -k .` installs (ServiceAccount, Role, RoleBinding, Task, Pipeline, …) and Tekton's runs.
// Server-owned metadata is set here as the apiserver's generic registry does
// (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go): uid, creationTimestamp,
// generation (bumped when anything but metadata and status changes), resourceVersion (the store's).
// Kinds with a status subresource ignore `status` on create, update and patch. Deleting an object
// deletes its dependents too (the garbage collector's Background propagation, by ownerReferences).
import { randomSuffix } from './ids.ts';
import { applyPatch, PatchError } from './patch.ts';
import { decodeObject, isProtobuf } from './protobuf-objects.ts';
import { rfc3339 } from './pod-object.ts';
import { RESOURCES, type ResourceInfo } from './discovery.ts';
import type { HandlerContext, HandlerRequest, Reply } from './resources.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  successStatus,
  unsupportedMediaType,
} from './status.ts';
import type { KubeObject, ObjectMeta, ObjectStore, ResourceName } from './store.ts';

/** metadata the server owns: whatever a client sends there is replaced. */
const SERVER_META = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'] as const;

/** validation.IsDNS1123Subdomain: what every stored kind here requires of metadata.name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const apiVersionOf = (r: ResourceInfo): string => (r.group ? `${r.group}/${r.version}` : r.version);

const dryRun = (req: HandlerRequest): boolean => req.query.getAll('dryRun').includes('All');

function bodyOf(req: HandlerRequest, r: ResourceInfo): KubeObject {
  let body: unknown;
  if (isProtobuf(req.contentType)) {
    try {
      body = decodeObject(req.body);
    } catch (err) {
      throw badRequest(`the body of the request could not be decoded as protobuf: ${(err as Error).message}`);
    }
    if (!body) throw unsupportedMediaType(req.contentType);
  } else if (!/json/.test(req.contentType)) throw unsupportedMediaType(req.contentType);
  else
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch (err) {
      throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
    }
  const obj = body as Partial<KubeObject> | null;
  if (!obj || typeof obj !== 'object' || obj.kind !== r.kind || obj.apiVersion !== apiVersionOf(r))
    throw badRequest(`the body must be a ${apiVersionOf(r)} ${r.kind}`);
  return { ...obj, metadata: { ...(obj.metadata ?? {}) } } as KubeObject;
}

/** Everything but metadata and status: a change here is a new generation. */
function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

/** What the type's strategy does on create: Secret.stringData folds into data, Services get a ClusterIP. */
function prepareForCreate(r: ResourceInfo, obj: KubeObject, ctx: HandlerContext): void {
  if (r.statusSubresource) delete obj.status;
  if (r.resource === 'secrets') {
    const { stringData, ...rest } = obj as KubeObject & { stringData?: Record<string, string> };
    const data = { ...((rest.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(stringData ?? {})) data[k] = Buffer.from(v).toString('base64');
    for (const k of Object.keys(obj)) delete obj[k];
    Object.assign(obj, rest, { type: rest.type ?? 'Opaque', data });
  }
  if (r.resource === 'services') {
    const spec = (obj.spec ?? {}) as { clusterIP?: string; type?: string };
    spec.type ??= 'ClusterIP';
    if (!spec.clusterIP && spec.type !== 'ExternalName') spec.clusterIP = clusterIp(ctx.random);
    obj.spec = spec;
  }
}

/** A ClusterIP from the default service CIDR 10.96.0.0/12 (kube-apiserver --service-cluster-ip-range). */
export function clusterIp(random: () => number): string {
  const n = 1 + Math.floor(random() * (16 * 65536 - 2));
  return `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

export function createStored(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): Reply {
  const store = ctx.cluster.store;
  const body = bodyOf(req, r);
  const ns = r.namespaced ? req.info.namespace : undefined;
  const meta = body.metadata;
  if (ns !== undefined && meta.namespace && meta.namespace !== ns)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (ns !== undefined && !store.get('namespaces', undefined, ns)) throw notFound('namespaces', '', ns);
  let name = meta.name;
  if (!name && meta.generateName) {
    do name = `${meta.generateName}${randomSuffix(ctx.random)}`;
    while (store.get(r.resource, ns, name));
  }
  if (!name)
    throw invalid(r.resource, r.group, '', 'metadata.name: Required value: name or generateName is required');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    throw invalid(
      r.resource,
      r.group,
      name,
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  if (store.get(r.resource, ns, name)) throw alreadyExists(r.resource, r.group, name);
  for (const k of SERVER_META) delete meta[k];
  const obj: KubeObject = {
    ...body,
    metadata: {
      ...meta,
      name,
      ...(ns !== undefined ? { namespace: ns } : {}),
      uid: ctx.uuid(),
      resourceVersion: '',
      generation: 1,
      creationTimestamp: rfc3339(ctx.now()),
    },
  };
  prepareForCreate(r, obj, ctx);
  if (dryRun(req)) return { code: 201, body: obj };
  return { code: 201, body: store.create(r.resource, obj) };
}

/** Stores `next` as the new version of `current`, keeping what the client may not change. */
function storeUpdate(
  ctx: HandlerContext,
  req: HandlerRequest,
  r: ResourceInfo,
  current: KubeObject,
  next: KubeObject,
): Reply {
  const { name } = req.info;
  if (next?.metadata?.name !== name || next.kind !== current.kind || next.apiVersion !== current.apiVersion)
    throw invalid(r.resource, r.group, name, 'metadata.name, kind and apiVersion may not change');
  const rv = next.metadata.resourceVersion;
  if (rv && rv !== current.metadata.resourceVersion)
    throw conflict(
      r.resource,
      r.group,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  const merged: KubeObject = structuredClone(next);
  for (const k of SERVER_META) {
    if (current.metadata[k] === undefined) delete merged.metadata[k];
    else (merged.metadata as Record<string, unknown>)[k] = current.metadata[k];
  }
  merged.metadata.namespace = current.metadata.namespace;
  if (r.statusSubresource) {
    if (current.status === undefined) delete merged.status;
    else merged.status = current.status;
  }
  if (specPart(merged) !== specPart(current))
    merged.metadata.generation = (current.metadata.generation ?? 1) + 1;
  if (dryRun(req)) return { code: 200, body: merged };
  const stored = ctx.cluster.store.update(r.resource, current.metadata.namespace, name, (draft) => {
    for (const k of Object.keys(draft)) delete draft[k];
    Object.assign(draft, structuredClone(merged));
  });
  return { code: 200, body: stored };
}

function currentOf(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): KubeObject {
  const ns = r.namespaced ? req.info.namespace : undefined;
  const current = ctx.cluster.store.get(r.resource, ns, req.info.name);
  if (!current) throw notFound(r.resource, r.group, req.info.name);
  return current;
}

export function replaceStored(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): Reply {
  const current = currentOf(ctx, req, r);
  return storeUpdate(ctx, req, r, current, bodyOf(req, r));
}

export function patchStored(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): Reply {
  const current = currentOf(ctx, req, r);
  let patch: unknown;
  try {
    patch = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
  let next: KubeObject;
  try {
    next = applyPatch(req.contentType, current, patch) as KubeObject;
  } catch (err) {
    if (err instanceof PatchError)
      throw err.unsupported ? unsupportedMediaType(req.contentType) : badRequest(err.message);
    throw err;
  }
  return storeUpdate(ctx, req, r, current, next);
}

export function deleteStored(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): Reply {
  const current = currentOf(ctx, req, r);
  if (dryRun(req)) return { code: 200, body: current };
  removeWithDependents(ctx.cluster.store, r.resource, current);
  return {
    code: 200,
    body: successStatus(r.resource, r.group, current.metadata.name, current.metadata.uid),
  };
}

/** Resources whose objects can have an owner that is deleted through this API. */
const DEPENDENT_RESOURCES: readonly ResourceName[] = [
  'pods',
  ...RESOURCES.filter((x) => x.stored).map((x) => x.resource),
];

/** Removes an object and, as the garbage collector does in the background, everything it owns. */
export function removeWithDependents(store: ObjectStore, resource: ResourceName, obj: KubeObject): void {
  const meta: ObjectMeta = obj.metadata;
  store.remove(resource, meta.namespace, meta.name);
  for (const dep of DEPENDENT_RESOURCES) {
    for (const child of store.list(dep, meta.namespace)) {
      if (child.metadata.ownerReferences?.some((o) => o.uid === meta.uid))
        removeWithDependents(store, dep, child);
    }
  }
}
