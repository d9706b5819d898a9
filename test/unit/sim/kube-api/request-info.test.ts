import { requestInfo, splitProxyName } from '../../../../src/sim/kube-api/request-info.ts';

const q = (s = '') => new URLSearchParams(s);

describe('request info', () => {
  it.each([
    [
      'GET',
      '/api/v1/namespaces/llm-d/pods',
      '',
      { verb: 'list', group: '', namespace: 'llm-d', resource: 'pods', name: '' },
    ],
    ['GET', '/api/v1/namespaces/llm-d/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/llm-d/pods/p1', '', { verb: 'watch', resource: 'pods', name: 'p1' }],
    ['GET', '/api/v1/pods', '', { verb: 'list', namespace: '', resource: 'pods' }],
    ['DELETE', '/api/v1/namespaces/llm-d/pods/p1', '', { verb: 'delete', name: 'p1' }],
    ['DELETE', '/api/v1/namespaces/llm-d/pods', '', { verb: 'deletecollection' }],
    [
      'GET',
      '/api/v1/namespaces/llm-d',
      '',
      { verb: 'get', resource: 'namespaces', name: 'llm-d', namespace: 'llm-d' },
    ],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/llm-d/deployments/d',
      '',
      { verb: 'patch', group: 'apps', resource: 'deployments', name: 'd' },
    ],
    [
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      '',
      { verb: 'create', group: 'authorization.k8s.io', namespace: '' },
    ],
    [
      'GET',
      '/api/v1/namespaces/llm-d/pods/p1%3A8000/proxy/v1%2Fmodels',
      '',
      { verb: 'get', name: 'p1:8000', subresource: 'proxy', subpath: 'v1/models' },
    ],
    [
      'GET',
      '/api/v1/namespaces/llm-d/pods/p1:8000/proxy/metrics',
      '',
      { name: 'p1:8000', subresource: 'proxy', subpath: 'metrics' },
    ],
  ])('%s %s?%s', (method, path, query, expected) => {
    expect(requestInfo(method, path, q(query))).toMatchObject({ kind: 'resource', ...expected });
  });

  it.each(['/version', '/api', '/apis', '/api/v1', '/apis/apps/v1', '/openapi/v3/apis/apps/v1', '/metrics'])(
    '%s is a non-resource request',
    (path) => {
      expect(requestInfo('GET', path, q())).toEqual({ kind: 'nonresource', verb: 'get', path });
    },
  );

  it.each([
    ['p1', { pod: 'p1', port: '', scheme: '' }],
    ['p1:8000', { pod: 'p1', port: '8000', scheme: '' }],
    ['https:p1:8443', { pod: 'p1', port: '8443', scheme: 'https' }],
  ])('splits the proxy name %s', (name, expected) => {
    expect(splitProxyName(name)).toEqual(expected);
  });
});
