import {
  decodeSelfSubjectAccessReview,
  encodeSelfSubjectAccessReview,
  readFields,
} from '../../../../src/sim/kube-api/protobuf.ts';

describe('SelfSubjectAccessReview protobuf', () => {
  it('decodes the resource attributes kubectl auth can-i sends', () => {
    const ra = {
      namespace: 'llm-d',
      verb: 'delete',
      group: '',
      version: '',
      resource: 'pods',
      subresource: '',
      name: '',
    };
    expect(decodeSelfSubjectAccessReview(encodeSelfSubjectAccessReview({ resourceAttributes: ra }))).toEqual({
      resourceAttributes: ra,
    });
  });

  it('decodes non-resource attributes', () => {
    const body = encodeSelfSubjectAccessReview({ nonResourceAttributes: { path: '/metrics', verb: 'get' } });
    expect(decodeSelfSubjectAccessReview(body)).toEqual({
      nonResourceAttributes: { path: '/metrics', verb: 'get' },
    });
  });

  it('refuses a body without the k8s magic prefix', () => {
    expect(() => decodeSelfSubjectAccessReview(Buffer.from('{"kind":"SelfSubjectAccessReview"}'))).toThrow(
      'k8s',
    );
  });

  it('reads multi-byte varints and skips fixed-width fields', () => {
    // field 1 varint 300 (0xac 0x02), field 2 fixed32, field 3 string "ok"
    const fields = readFields(Buffer.from([0x08, 0xac, 0x02, 0x15, 1, 2, 3, 4, 0x1a, 0x02, 0x6f, 0x6b]));
    expect(fields.get(1)).toEqual([300n]);
    expect(fields.has(2)).toBe(false);
    expect(fields.get(3)?.[0]?.toString()).toBe('ok');
  });

  it('fails on a truncated field instead of reading past the end', () => {
    expect(() => readFields(Buffer.from([0x0a, 0x05, 0x61]))).toThrow('truncated');
  });
});
