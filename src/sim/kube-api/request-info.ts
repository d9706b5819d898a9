// What a request is about, the way the apiserver's RequestInfoFactory reads a URL
// (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): resource or non-resource, API group,
// version, namespace, resource, name, subresource, and the authorization verb. Pure.

export interface ResourceRequest {
  kind: 'resource';
  verb: string;
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** what follows the subresource (pods/NAME/proxy/<subpath>), percent-decoded */
  subpath: string;
  path: string;
}

export interface NonResourceRequest {
  kind: 'nonresource';
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  GET: 'get',
  HEAD: 'get',
  DELETE: 'delete',
};

/**
 * Segments are percent-decoded one by one: client-node sends `pods/NAME%3A8000/proxy/v1%2Fmodels` and the
 * apiserver accepts that as well as kubectl's unescaped colon (research §9.4).
 */
export function requestInfo(method: string, rawPath: string, query: URLSearchParams): RequestInfo {
  const path = rawPath.split('?')[0] ?? '/';
  const httpVerb = METHOD_VERBS[method.toUpperCase()] ?? method.toLowerCase();
  const nonResource: NonResourceRequest = { kind: 'nonresource', verb: httpVerb, path };
  let parts: string[];
  try {
    parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  } catch {
    return nonResource;
  }
  let group = '';
  let version: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    version = parts[1]!;
    parts = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    parts = parts.slice(3);
  } else return nonResource;

  let verb = httpVerb;
  // The deprecated /watch/ prefix: /api/v1/watch/namespaces/NS/pods
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    if (parts[0] === 'watch') verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    // /api/v1/namespaces/NS is the Namespace object itself; longer paths are resources inside it.
    if (parts.length > 2) parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...rest] = parts;
  if (verb === 'get' && !name) verb = ['true', '1'].includes(query.get('watch') ?? '') ? 'watch' : 'list';
  else if (verb === 'delete' && !name) verb = 'deletecollection';
  return {
    kind: 'resource',
    verb,
    group,
    version,
    namespace,
    resource,
    name,
    subresource,
    subpath: rest.join('/'),
    path,
  };
}

/** `pods/NAME:PORT/proxy`: the pod name and the port (a number or a port name), as the apiserver splits it. */
export function splitProxyName(name: string): { pod: string; port: string; scheme: string } {
  const parts = name.split(':');
  if (parts.length === 3) return { scheme: parts[0]!, pod: parts[1]!, port: parts[2]! };
  if (parts.length === 2) return { scheme: '', pod: parts[0]!, port: parts[1]! };
  return { scheme: '', pod: name, port: '' };
}
