// REST handlers for the stored resources: list (plain or Table, label and field selectors), get, watch,
// delete (pods), patch (deployments: rollout restart, scale), pods/log, and for the kinds kept as sent
// (objects.ts) create, update, patch and delete. Each either returns a reply or throws ApiError; watch
// and log streams write themselves.
import type { ServerResponse } from 'node:http';
import type { SimCluster } from './cluster.ts';
import { resourceInfo, type ResourceInfo } from './discovery.ts';
import { createStored, deleteStored, patchStored, replaceStored } from './objects.ts';
import { applyPatch, PatchError } from './patch.ts';
import { podFields } from './pod-object.ts';
import { servePodLog } from './pod-logs.ts';
import type { ResourceRequest } from './request-info.ts';
import {
  checkFields,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selectors.ts';
import {
  badRequest,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
  unsupportedMediaType,
} from './status.ts';
import type { KubeObject } from './store.ts';
import { toTable, wantsTable } from './table.ts';
import { serveWatch } from './watch.ts';
import { handleScale } from './scale.ts';

export interface HandlerContext {
  cluster: SimCluster;
  now: () => number;
  random: () => number;
  uuid: () => string;
  /** fault injection: end every watch after this many ms */
  watchLifetimeMs?: () => number | undefined;
}

export interface HandlerRequest {
  info: ResourceRequest;
  query: URLSearchParams;
  accept: string;
  contentType: string;
  body: Buffer;
}

export interface Reply {
  code: number;
  body: unknown;
}

function fieldsOf(r: ResourceInfo, obj: KubeObject): Record<string, string> {
  if (r.resource === 'pods') return podFields(obj);
  const fields: Record<string, string> = {
    'metadata.name': obj.metadata.name,
    'metadata.namespace': obj.metadata.namespace ?? '',
  };
  if (r.resource === 'namespaces')
    fields['status.phase'] = String((obj.status as { phase?: string } | undefined)?.phase ?? '');
  return fields;
}

/** The selectors of a list or watch as one predicate; a malformed selector is a 400. */
function matcher(r: ResourceInfo, req: HandlerRequest): (obj: KubeObject) => boolean {
  try {
    const labels = parseLabelSelector(req.query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(req.query.get('fieldSelector') ?? '');
    checkFields(fields, r.fields);
    const { namespace, name } = req.info;
    return (obj) =>
      (!r.namespaced || !namespace || obj.metadata.namespace === namespace) &&
      (!name || obj.metadata.name === name) &&
      matchesLabels(labels, obj.metadata.labels) &&
      matchesFields(fields, fieldsOf(r, obj));
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

/** Items of a list carry no kind/apiVersion, as the apiserver serializes them. */
function listItem(obj: KubeObject): Record<string, unknown> {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = obj;
  return rest;
}

function parseJson(req: HandlerRequest): unknown {
  if (req.body.length === 0) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
}

const dryRun = (req: HandlerRequest, body?: { dryRun?: string[] }): boolean =>
  req.query.getAll('dryRun').includes('All') || !!body?.dryRun?.includes('All');

/** The client's timeoutSeconds (0 = none), shortened by an injected watch lifetime. */
function watchTimeoutSeconds(asked: number, faultMs: number | undefined): number {
  if (faultMs === undefined) return asked;
  const fault = faultMs / 1000;
  return asked > 0 ? Math.min(asked, fault) : fault;
}

export async function handleResource(
  ctx: HandlerContext,
  req: HandlerRequest,
  res: ServerResponse,
  onWatchClose: () => void,
): Promise<Reply | 'streaming'> {
  const { info } = req;
  const r = resourceInfo(info.group, info.version, info.resource);
  if (
    !r ||
    (r.namespaced && !info.namespace && info.name) ||
    (!r.namespaced && r.resource !== 'namespaces' && info.namespace)
  )
    throw pathNotFound();
  if (info.subresource === 'scale' && r.resource === 'deployments') {
    return handleScale(ctx.cluster, info, req.contentType, req.body);
  }
  if (info.subresource === 'log' && r.resource === 'pods' && info.verb === 'get')
    return servePodLog(ctx.cluster, info.namespace, info.name, req.query, res);
  if (info.subresource) throw pathNotFound();
  const store = ctx.cluster.store;
  const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  // No namespace in the path (/api/v1/pods, `kubectl get pods -A`) means every namespace.
  const ns = r.namespaced && info.namespace ? info.namespace : undefined;

  switch (info.verb) {
    case 'list': {
      const items = store.list(r.resource, ns).filter(matcher(r, req));
      const rv = String(store.resourceVersion);
      if (wantsTable(req.accept)) return { code: 200, body: toTable(r.resource, items, rv, ctx.now()) };
      return {
        code: 200,
        body: {
          kind: `${r.kind}List`,
          apiVersion,
          metadata: { resourceVersion: rv },
          items: items.map(listItem),
        },
      };
    }
    case 'watch': {
      const table = wantsTable(req.accept);
      serveWatch(res, {
        store,
        resource: r.resource,
        matches: matcher(r, req),
        resourceVersion: req.query.get('resourceVersion') ?? '',
        timeoutSeconds: watchTimeoutSeconds(
          Number(req.query.get('timeoutSeconds') ?? 0) || 0,
          ctx.watchLifetimeMs?.(),
        ),
        encode: (obj, first) =>
          table ? toTable(r.resource, [obj], obj.metadata.resourceVersion, ctx.now(), first) : obj,
        onClose: onWatchClose,
      });
      return 'streaming';
    }
    case 'get': {
      const obj = store.get(r.resource, ns, info.name);
      if (!obj) throw notFound(r.resource, r.group, info.name);
      if (wantsTable(req.accept))
        return { code: 200, body: toTable(r.resource, [obj], obj.metadata.resourceVersion, ctx.now()) };
      return { code: 200, body: obj };
    }
    case 'delete':
      return r.stored ? deleteStored(ctx, req, r) : deleteObject(ctx, req, r);
    case 'patch':
      return r.stored ? patchStored(ctx, req, r) : patchObject(ctx, req, r);
    case 'create':
      if (!r.stored || info.name) throw methodNotAllowed();
      return createStored(ctx, req, r);
    case 'update':
      if (!r.stored) throw methodNotAllowed();
      return replaceStored(ctx, req, r);
    default:
      throw methodNotAllowed();
  }
}

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

async function deleteObject(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): Promise<Reply> {
  const opts = (parseJson(req) ?? {}) as DeleteOptions;
  const q = req.query.get('gracePeriodSeconds');
  const grace = q !== null ? Number(q) : opts.gracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0))
    throw badRequest(`gracePeriodSeconds must be a non-negative integer, got ${String(grace)}`);
  const { name, namespace } = req.info;
  const store = ctx.cluster.store;
  if (r.resource === 'pods') {
    if (namespace !== ctx.cluster.namespace) throw notFound('pods', '', name);
    if (dryRun(req, opts)) {
      const obj = store.get('pods', namespace, name);
      if (!obj) throw notFound('pods', '', name);
      return { code: 200, body: obj };
    }
    const pod = await ctx.cluster.deletePod(name, { gracePeriodSeconds: grace, ...opts.preconditions });
    return { code: 200, body: pod };
  }
  throw methodNotAllowed();
}

function patchObject(ctx: HandlerContext, req: HandlerRequest, r: ResourceInfo): Reply {
  if (r.resource !== 'deployments') throw methodNotAllowed();
  const { name, namespace } = req.info;
  const current = ctx.cluster.store.get('deployments', namespace, name);
  if (!current) throw notFound(r.resource, r.group, name);
  let next: KubeObject;
  try {
    next = applyPatch(req.contentType, current, parseJson(req) ?? {}) as KubeObject;
  } catch (err) {
    if (err instanceof PatchError)
      throw err.unsupported ? unsupportedMediaType(req.contentType) : badRequest(err.message);
    throw err;
  }
  if (next?.metadata?.name !== name || next.kind !== current.kind || next.apiVersion !== current.apiVersion) {
    throw invalid(r.resource, r.group, name, 'metadata.name, kind and apiVersion may not change');
  }
  if (dryRun(req)) return { code: 200, body: next };
  return { code: 200, body: ctx.cluster.updateDeployment(name, next) };
}
