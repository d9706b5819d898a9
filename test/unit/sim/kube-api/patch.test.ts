import { applyPatch, jsonPatch, mergePatch, PatchError } from '../../../../src/sim/kube-api/patch.ts';

const deploy = { spec: { replicas: 3, template: { metadata: { labels: { app: 'a' } } } } };
const RESTART = {
  spec: {
    template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } },
  },
};

describe('PATCH bodies', () => {
  it.each(['application/strategic-merge-patch+json', 'application/merge-patch+json'])(
    '%s adds the restartedAt annotation and keeps the rest',
    (type) => {
      expect(applyPatch(type, deploy, RESTART)).toEqual({
        spec: {
          replicas: 3,
          template: {
            metadata: {
              labels: { app: 'a' },
              annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
            },
          },
        },
      });
    },
  );

  it('deletes a key patched to null', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null } })).toEqual({ a: 1, b: { d: 3 } });
  });

  it('does not change the target', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });

  it.each([
    [
      [{ op: 'replace', path: '/spec/replicas', value: 5 }],
      { spec: { replicas: 5, template: deploy.spec.template } },
    ],
    [
      [
        {
          op: 'add',
          path: '/spec/template/metadata/annotations',
          value: { 'kubectl.kubernetes.io~restartedAt': 'x' },
        },
      ],
      {
        spec: {
          replicas: 3,
          template: {
            metadata: { labels: { app: 'a' }, annotations: { 'kubectl.kubernetes.io~restartedAt': 'x' } },
          },
        },
      },
    ],
    [
      [{ op: 'remove', path: '/spec/template/metadata/labels/app' }],
      { spec: { replicas: 3, template: { metadata: { labels: {} } } } },
    ],
    [
      [
        { op: 'test', path: '/spec/replicas', value: 3 },
        { op: 'replace', path: '/spec/replicas', value: 1 },
      ],
      { spec: { replicas: 1, template: deploy.spec.template } },
    ],
  ])('applies JSON patch %j', (ops, expected) => {
    expect(jsonPatch(deploy, ops)).toEqual(expected);
  });

  it('decodes ~1 in a JSON pointer as a slash', () => {
    const out = jsonPatch({ a: { 'x/y': 1 } }, [{ op: 'replace', path: '/a/x~1y', value: 2 }]);
    expect(out).toEqual({ a: { 'x/y': 2 } });
  });

  it.each([
    [[{ op: 'test', path: '/spec/replicas', value: 4 }], 'testing value /spec/replicas failed'],
    [[{ op: 'replace', path: '/spec/nope', value: 4 }], 'missing'],
    [{ op: 'add' }, 'array'],
  ])('refuses the JSON patch %j', (ops, message) => {
    expect(() => jsonPatch(deploy, ops)).toThrow(message);
  });

  it('refuses strategic-merge list directives and server-side apply as unsupported', () => {
    const refuse = (type: string, body: unknown) => {
      try {
        applyPatch(type, deploy, body);
        return undefined;
      } catch (err) {
        return (err as PatchError).unsupported;
      }
    };
    expect(refuse('application/strategic-merge-patch+json', { spec: { $retainKeys: ['a'] } })).toBe(true);
    expect(refuse('application/apply-patch+yaml', {})).toBe(true);
  });
});
