import {
  Rbac,
  RbacError,
  ruleAllows,
  serviceAccountUser,
  type PolicyRule,
  type RequestAttributes,
} from '../../../../src/sim/kube-api/rbac.ts';

const user = serviceAccountUser('llm-d', 'bench');
const attrs = (over: Partial<RequestAttributes>): RequestAttributes => ({
  user,
  verb: 'get',
  resourceRequest: true,
  apiGroup: '',
  resource: 'pods',
  subresource: '',
  name: 'p1',
  namespace: 'llm-d',
  path: '',
  ...over,
});

describe('RBAC rules', () => {
  const podsRead: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] };
  it.each<[string, PolicyRule, Partial<RequestAttributes>, boolean]>([
    ['a listed verb', podsRead, { verb: 'list', name: '' }, true],
    ['an unlisted verb', podsRead, { verb: 'delete' }, false],
    ['another API group', podsRead, { apiGroup: 'apps', resource: 'pods' }, false],
    ['a subresource not named', podsRead, { subresource: 'proxy' }, false],
    [
      'pods/proxy named',
      { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
      { subresource: 'proxy' },
      true,
    ],
    ['*/proxy', { apiGroups: [''], resources: ['*/proxy'], verbs: ['get'] }, { subresource: 'proxy' }, true],
    [
      '* resources and verbs',
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { apiGroup: 'apps', resource: 'deployments', verb: 'patch' },
      true,
    ],
    ['a resourceName that matches', { ...podsRead, resourceNames: ['p1'] }, {}, true],
    [
      'a resourceName on a list (no name)',
      { ...podsRead, resourceNames: ['p1'] },
      { verb: 'list', name: '' },
      false,
    ],
    [
      'a nonResourceURL prefix',
      { verbs: ['get'], nonResourceURLs: ['/api/*'] },
      { resourceRequest: false, path: '/api/v1' },
      true,
    ],
    ['a nonResourceURL on a resource request', { verbs: ['get'], nonResourceURLs: ['*'] }, {}, false],
  ])('%s → %s', (_what, rule, over, expected) => {
    expect(ruleAllows(rule, attrs(over))).toBe(expected);
  });
});

describe('Rbac', () => {
  const ROLE_YAML = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: llm-d}
rules:
- apiGroups: [""]
  resources: [pods, pods/proxy]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bench-reads-pods, namespace: llm-d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- kind: ServiceAccount
  name: bench
`;

  it('authorizes through a RoleBinding only in its own namespace', () => {
    const rbac = new Rbac();
    rbac.load(ROLE_YAML);
    expect(rbac.authorize(attrs({ verb: 'list', name: '' })).allowed).toBe(true);
    expect(rbac.authorize(attrs({ namespace: 'other' })).allowed).toBe(false);
    expect(rbac.authorize(attrs({ verb: 'delete' })).allowed).toBe(false);
    expect(rbac.authorize(attrs({ subresource: 'proxy' })).reason).toBe(
      'RBAC: allowed by RoleBinding "bench-reads-pods/llm-d" of Role "pod-reader" to ServiceAccount "bench/llm-d"',
    );
  });

  it('lets every authenticated user discover the API and review its own access', () => {
    const rbac = new Rbac();
    expect(rbac.authorize(attrs({ resourceRequest: false, path: '/apis/apps/v1' })).allowed).toBe(true);
    expect(rbac.authorize(attrs({ resourceRequest: false, path: '/metrics' })).allowed).toBe(false);
    const ssar = attrs({
      verb: 'create',
      apiGroup: 'authorization.k8s.io',
      resource: 'selfsubjectaccessreviews',
      name: '',
      namespace: '',
    });
    expect(rbac.authorize(ssar).allowed).toBe(true);
  });

  it('grants a token a ServiceAccount identity and rules', () => {
    const rbac = new Rbac();
    const u = rbac.grant('t0k', 'llm-d:bench', [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }]);
    expect(rbac.authenticate('Bearer t0k')).toEqual(u);
    expect(u.username).toBe('system:serviceaccount:llm-d:bench');
    expect(rbac.authorize(attrs({ verb: 'delete' })).allowed).toBe(true);
    expect(rbac.authenticate('Bearer other')).toBeUndefined();
    expect(rbac.authenticate(undefined)).toBeUndefined();
  });

  it('binds cluster-wide rules with namespace "*"', () => {
    const rbac = new Rbac();
    rbac.grant(
      't',
      'tekton:runner',
      [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'] }],
      '*',
    );
    const a = {
      ...attrs({ verb: 'patch', apiGroup: 'apps', resource: 'deployments', namespace: 'llm-d' }),
      user: serviceAccountUser('tekton', 'runner'),
    };
    expect(rbac.authorize(a).allowed).toBe(true);
  });

  it.each([
    ['kind: Role\nmetadata: {name: r}\nrules: []', 'needs metadata.namespace'],
    ['kind: ClusterRole\nmetadata: {}\n', 'without metadata.name'],
    ['kind: [', 'RBAC YAML'],
  ])('refuses bad RBAC YAML %p', (yaml, message) => {
    expect(() => new Rbac().load(yaml)).toThrow(message);
  });

  it('refuses a malformed service account name', () => {
    expect(() => new Rbac().grant('t', 'bench', [])).toThrow(RbacError);
  });
});
