import { describeKubeError, forbiddenLine } from '../../../src/kube/client.ts';
import { withRetry } from '../../../src/kube/retry.ts';
import { TargetError } from '../../../src/errors.ts';

const need = { verb: 'watch', resource: 'pods', namespace: 'llm-d' };

describe('forbiddenLine', () => {
  it.each([
    [
      'pods "p" is forbidden: User "system:serviceaccount:llm-d:x" cannot delete resource "pods" in API group "" in the namespace "llm-d"',
      'forbidden: needs verb "delete" on resource "pods" in namespace llm-d (grant it in rbac/role.yaml)',
    ],
    [
      'deployments.apps "d" is forbidden: User "u" cannot patch resource "deployments" in API group "apps" in the namespace "llm-d"',
      'forbidden: needs verb "patch" on resource "deployments" in API group "apps" in namespace llm-d (grant it in rbac/role.yaml)',
    ],
    [
      'pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope',
      'forbidden: needs verb "list" on resource "pods" cluster-wide (grant it in rbac/role.yaml)',
    ],
    // A watch's 403 carries no Status body: what the call needed names it.
    [
      'Forbidden',
      'forbidden: needs verb "watch" on resource "pods" in namespace llm-d (grant it in rbac/role.yaml)',
    ],
  ])('%j → %j', (message, line) => {
    expect(forbiddenLine(message, need)).toBe(line);
  });
});

describe('describeKubeError', () => {
  it.each([
    [
      { code: 500, body: '{"message":"etcd leader changed"}' },
      'x: etcd leader changed (HTTP 500)',
      500,
      true,
    ],
    [{ code: 429, body: '{"message":"too many requests"}' }, 'x: too many requests (HTTP 429)', 429, true],
    [
      { code: 404, body: '{"message":"pods \\"p\\" not found"}' },
      'x: pods "p" not found (HTTP 404)',
      404,
      false,
    ],
    [{ statusCode: 403, message: 'Forbidden' }, `x: ${forbiddenLine('Forbidden', need)}`, 403, false],
    [
      {
        message: 'fetch failed',
        cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6443' },
      },
      'x: ECONNREFUSED fetch failed (connect ECONNREFUSED 127.0.0.1:6443)',
      undefined,
      true,
    ],
  ])('%j', (err, message, status, transient) => {
    const e = describeKubeError(err, 'x', need);
    expect([e.message, e.status, e.transient]).toEqual([message, status, transient]);
  });
});

describe('withRetry', () => {
  it('retries transient failures with growing waits, then returns', async () => {
    let calls = 0;
    const waits: number[] = [];
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw new TargetError('busy', { status: 503, transient: true });
        return 'ok';
      },
      { deadline: Date.now() + 5000, now: Date.now, firstWaitMs: 5, onRetry: (_e, w) => waits.push(w) },
    );
    expect([value, calls, waits]).toEqual(['ok', 3, [5, 10]]);
  });

  it('gives a refusal back at once', async () => {
    let calls = 0;
    const refused = new TargetError('forbidden', { status: 403 });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw refused;
        },
        { deadline: Date.now() + 5000, now: Date.now },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('stops at the deadline with the last failure', async () => {
    const started = Date.now();
    await expect(
      withRetry(
        async () => {
          throw new TargetError('still 500', { status: 500, transient: true });
        },
        { deadline: Date.now() + 100, now: Date.now, firstWaitMs: 20 },
      ),
    ).rejects.toThrow('still 500');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
