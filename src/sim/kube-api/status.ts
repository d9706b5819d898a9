// metav1.Status bodies exactly as the apiserver writes them: kubectl prints
// `Error from server (<reason>): <message>` only from a body with kind Status (research §8), and client-node
// users read `JSON.parse(e.body).reason`. Wording follows k8s.io/apimachinery/pkg/api/errors/errors.go.

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A failed request with its Status body; handlers throw it, the server writes it. */
export class ApiError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message);
    this.name = 'ApiError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  // Key order as the apiserver writes it: …, reason, details, code.
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details,
    code,
  };
  if (!details) delete status.details;
  return new ApiError(status);
}

/** `pods` or `deployments.apps`: schema.GroupResource.String(). */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

function detailsOf(resource: string, group: string, name?: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (group) d.group = group;
  d.kind = resource;
  return d;
}

export function notFound(resource: string, group: string, name: string): ApiError {
  return failure(
    404,
    'NotFound',
    `${qualifiedResource(resource, group)} "${name}" not found`,
    detailsOf(resource, group, name),
  );
}

/** The 404 for a path that names no resource at all (a plain NewNotFound with empty details). */
export function pathNotFound(): ApiError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return failure(
    409,
    'AlreadyExists',
    `${qualifiedResource(resource, group)} "${name}" already exists`,
    detailsOf(resource, group, name),
  );
}

export function conflict(resource: string, group: string, name: string, why: string): ApiError {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`,
    detailsOf(resource, group, name),
  );
}

/** errors.NewForbidden: `pods "x" is forbidden: <why>`, or `pods is forbidden: <why>` without a name. */
export function forbidden(resource: string, group: string, name: string, why: string): ApiError {
  const qr = qualifiedResource(resource, group);
  const message = name ? `${qr} "${name}" is forbidden: ${why}` : `${qr} is forbidden: ${why}`;
  return failure(403, 'Forbidden', message, detailsOf(resource, group, name));
}

/** A non-resource path (e.g. /metrics) refused: `forbidden: User "u" cannot get path "/metrics"`. */
export function forbiddenPath(why: string): ApiError {
  return failure(403, 'Forbidden', `forbidden: ${why}`, {});
}

/** The apiserver's 401 body carries no metadata and no details (research §1.2). */
export function unauthorized(): ApiError {
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  });
}

export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiError {
  return failure(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

export function unsupportedMediaType(contentType: string): ApiError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json (got ${contentType || 'none'})`,
  );
}

/** 422 Invalid, as field validation reports it. */
export function invalid(resource: string, group: string, name: string, why: string): ApiError {
  return failure(
    422,
    'Invalid',
    `${qualifiedResource(resource, group)} "${name}" is invalid: ${why}`,
    detailsOf(resource, group, name),
  );
}

export function expired(message: string): ApiError {
  return failure(410, 'Expired', message);
}

/** The proxy's answer when the pod's port refuses or is not there (research §7.1). */
export function serviceUnavailable(message: string): ApiError {
  return failure(503, 'ServiceUnavailable', message);
}

export function internalError(message: string): ApiError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, {});
}

/** An injected fault (failNextRequests): the reason the apiserver uses for each code. */
export function injectedFailure(code: number): ApiError {
  const reasons: Record<number, string> = {
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return failure(
    code,
    reasons[code] ?? 'InternalError',
    `injected failure (HTTP ${code}) from the embedded API server`,
    {},
  );
}

/** DELETE answered for a resource that is gone at once: the Success Status client-node and kubectl accept. */
export function successStatus(resource: string, group: string, name: string, uid: string): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...detailsOf(resource, group, name), uid },
    code: 200,
  };
}
