// kubectl 1.32+'s protobuf bodies for `kubectl create serviceaccount|secret|configmap|role|rolebinding`,
// decoded into the JSON objects the embedded API stores (src/sim/kube-api/protobuf-objects.ts).
import { decodeObject, isProtobuf } from '../../../../src/sim/kube-api/protobuf-objects.ts';
import { PROTOBUF_MAGIC } from '../../../../src/sim/kube-api/protobuf.ts';

// A minimal writer of length-delimited fields (all these messages need) and varints.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};
const f = (n: number, v: Buffer | string): Buffer => {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([varint((n << 3) | 2), varint(b.length), b]);
};
const flag = (n: number, v: boolean): Buffer => Buffer.concat([varint(n << 3), varint(v ? 1 : 0)]);
const m = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const entry = (n: number, k: string, v: Buffer | string): Buffer => f(n, m(f(1, k), f(2, v)));
const meta = (name: string): Buffer => m(f(1, name), f(3, 'llm-d'), entry(11, 'app', 'x'), f(6, ''));
const body = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  m(
    PROTOBUF_MAGIC,
    f(1, m(f(1, apiVersion), f(2, kind))),
    f(2, raw),
    f(3, ''),
    f(4, 'application/vnd.kubernetes.protobuf'),
  );

const METADATA = { namespace: 'llm-d', labels: { app: 'x' } };

describe('protobuf request bodies of kubectl create', () => {
  it.each([
    [
      'ServiceAccount',
      body('v1', 'ServiceAccount', m(f(1, meta('no-rights')), flag(4, false))),
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'no-rights', ...METADATA },
        automountServiceAccountToken: false,
      },
    ],
    [
      'Secret',
      body('v1', 'Secret', m(f(1, meta('key')), entry(2, 'api-key', Buffer.from('s3cret')), f(3, 'Opaque'))),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'key', ...METADATA },
        data: { 'api-key': 'czNjcmV0' },
        type: 'Opaque',
      },
    ],
    [
      'ConfigMap',
      body('v1', 'ConfigMap', m(f(1, meta('cm')), entry(2, 'a', 'b'), entry(3, 'bin', Buffer.from([0, 1])))),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', ...METADATA },
        data: { a: 'b' },
        binaryData: { bin: 'AAE=' },
      },
    ],
    [
      'Role',
      body(
        'rbac.authorization.k8s.io/v1',
        'Role',
        m(f(1, meta('r')), f(2, m(f(1, 'get'), f(1, 'list'), f(2, ''), f(3, 'pods')))),
      ),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r', ...METADATA },
        rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
      },
    ],
    [
      'RoleBinding',
      body(
        'rbac.authorization.k8s.io/v1',
        'RoleBinding',
        m(
          f(1, meta('rb')),
          f(2, m(f(1, 'ServiceAccount'), f(2, ''), f(3, 'no-rights'), f(4, 'llm-d'))),
          f(3, m(f(1, 'rbac.authorization.k8s.io'), f(2, 'Role'), f(3, 'r'))),
        ),
      ),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'rb', ...METADATA },
        subjects: [{ kind: 'ServiceAccount', name: 'no-rights', namespace: 'llm-d' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      },
    ],
  ])('decodes a %s', (_kind, raw, expected) => {
    expect(decodeObject(raw)).toEqual(expected);
  });

  it.each([
    ['a kind it does not decode', body('apps/v1', 'Deployment', f(1, meta('d')))],
    ['JSON', Buffer.from('{"kind":"Secret"}')],
  ])('leaves %s to the caller (415)', (_what, raw) => {
    expect(decodeObject(raw)).toBeUndefined();
  });

  it.each([
    ['application/vnd.kubernetes.protobuf', true],
    ['application/vnd.kubernetes.protobuf; charset=utf-8', true],
    ['application/json', false],
  ])('%s is protobuf: %s', (type, yes) => {
    expect(isProtobuf(type)).toBe(yes);
  });
});
