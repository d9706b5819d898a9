import { fnv32a, podTemplateHash, randomSuffix, safeEncode } from '../../../../src/sim/kube-api/ids.ts';

describe('Kubernetes-style names', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('FNV-1a 32 of %p is the published vector', (input, expected) => {
    expect(fnv32a(input)).toBe(expected);
  });

  it('makes 5-character suffixes from the vowel-free alphabet', () => {
    let seed = 0;
    const random = (): number => (seed = (seed * 9301 + 49297) % 233280) / 233280;
    for (let i = 0; i < 50; i++) expect(randomSuffix(random)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('encodes digits into the alphabet as SafeEncodeString does', () => {
    // '0' is code 48, 48 % 27 = 21 -> '4'; '9' is 57, 57 % 27 = 3 -> 'f'
    expect(safeEncode('09')).toBe('4f');
  });

  it('hashes equal templates equally whatever the key order, and a changed annotation differently', () => {
    const a = {
      metadata: { labels: { app: 'x', role: 'decode' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    const b = {
      spec: { containers: [{ image: 'i', name: 'c' }] },
      metadata: { labels: { role: 'decode', app: 'x' } },
    };
    const c = {
      ...a,
      metadata: { ...a.metadata, annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } },
    };
    expect(podTemplateHash(a)).toBe(podTemplateHash(b));
    expect(podTemplateHash(a)).not.toBe(podTemplateHash(c));
    expect(podTemplateHash(a)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  });
});
