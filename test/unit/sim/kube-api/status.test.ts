import { forbidden, notFound, unauthorized } from '../../../../src/sim/kube-api/status.ts';
import { forbiddenReason, serviceAccountUser } from '../../../../src/sim/kube-api/rbac.ts';

describe('Status bodies', () => {
  it('writes the 404 for a missing pod exactly as the apiserver does', () => {
    expect(JSON.stringify(notFound('pods', '', 'x').status)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}',
    );
  });

  it('qualifies a resource of a named group', () => {
    const s = notFound('deployments', 'apps', 'nope').status;
    expect(s.message).toBe('deployments.apps "nope" not found');
    expect(s.details).toEqual({ name: 'nope', group: 'apps', kind: 'deployments' });
  });

  it.each([
    [
      'x',
      'delete',
      'llm-d',
      'pods "x" is forbidden: User "system:serviceaccount:llm-d:sim" cannot delete resource "pods" in API group "" in the namespace "llm-d"',
    ],
    [
      '',
      'list',
      'llm-d',
      'pods is forbidden: User "system:serviceaccount:llm-d:sim" cannot list resource "pods" in API group "" in the namespace "llm-d"',
    ],
    [
      '',
      'list',
      '',
      'pods is forbidden: User "system:serviceaccount:llm-d:sim" cannot list resource "pods" in API group "" at the cluster scope',
    ],
  ])(
    'words the 403 for name %p, verb %s, namespace %p as Kubernetes does',
    (name, verb, namespace, message) => {
      const attrs = {
        user: serviceAccountUser('llm-d', 'sim'),
        verb,
        resourceRequest: true,
        apiGroup: '',
        resource: 'pods',
        subresource: '',
        name,
        namespace,
        path: '',
      };
      const s = forbidden('pods', '', name, forbiddenReason(attrs)).status;
      expect(s.message).toBe(message);
      expect(s).toMatchObject({ reason: 'Forbidden', code: 403, status: 'Failure' });
    },
  );

  it('writes the 401 without details', () => {
    expect(unauthorized().status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});
