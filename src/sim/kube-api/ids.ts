// Names the way Kubernetes makes them, so pod names look real and a replacement is visibly new.
// A clock-free, randomness-as-parameter module (STYLE.md: pure core).

/** k8s.io/apimachinery/pkg/util/rand: the alphabet without vowels and confusable characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** utilrand.String(n): the 5-character suffix of a ReplicaSet's pod names (`<rs>-x7k2p`). */
export function randomSuffix(random: () => number, length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++)
    out += ALPHANUMS[Math.floor(random() * ALPHANUMS.length) % ALPHANUMS.length];
  return out;
}

/** utilrand.SafeEncodeString: each character mapped into the alphabet (used for pod-template-hash). */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[(ch.codePointAt(0) ?? 0) % ALPHANUMS.length];
  return out;
}

/** 32-bit FNV-1a, the hash the Deployment controller uses for pod templates (controller.ComputeHash). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with sorted keys, so equal templates hash equally whatever the key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * pod-template-hash: controller.ComputeHash hashes the template (plus collisionCount) with FNV-32a and
 * rand.SafeEncodeString(fmt.Sprint(hash)) turns the decimal into the label value (pkg/controller/controller_utils.go).
 * The bytes hashed differ from Go's (it hashes a spew dump), the shape of the result does not.
 */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  return safeEncode(String(fnv32a(stableJson(template) + (collisionCount ? String(collisionCount) : ''))));
}
