// kubectl ≥ 1.32's imperative creates (`kubectl create serviceaccount|secret|configmap|role|rolebinding`)
// send Kubernetes protobuf, as `auth can-i` does (protobuf.ts), and never fall back to JSON. This decodes
// those five kinds into the JSON objects the API stores, field numbers from k8s.io/api generated.proto
// (core/v1: ObjectMeta, ServiceAccount, Secret, ConfigMap; rbac/v1: Role, RoleBinding). Pure.
import { PROTOBUF_MAGIC, readFields } from './protobuf.ts';

type Fields = ReturnType<typeof readFields>;

const all = (f: Fields, n: number): Buffer[] =>
  (f.get(n) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v));
const msg = (f: Fields, n: number): Fields => readFields(all(f, n)[0] ?? Buffer.alloc(0));
const str = (f: Fields, n: number): string | undefined => all(f, n)[0]?.toString('utf8');
const strs = (f: Fields, n: number): string[] => all(f, n).map((b) => b.toString('utf8'));
const bool = (f: Fields, n: number): boolean | undefined => {
  const v = f.get(n)?.[0];
  return typeof v === 'bigint' ? v !== 0n : undefined;
};

/** A protobuf map<string, V>: repeated entries {1: key, 2: value}. */
function map(f: Fields, n: number, value: (b: Buffer) => string): Record<string, string> | undefined {
  const entries = all(f, n).map(readFields);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((e) => [str(e, 1) ?? '', value(all(e, 2)[0] ?? Buffer.alloc(0))]));
}
const utf8 = (b: Buffer): string => b.toString('utf8');
const base64 = (b: Buffer): string => b.toString('base64');

/** Only what a client may set; empty strings (gogo writes them) are left out. */
function objectMeta(f: Fields): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const [n, key] of [
    [1, 'name'],
    [2, 'generateName'],
    [3, 'namespace'],
  ] as const) {
    const v = str(f, n);
    if (v) meta[key] = v;
  }
  const labels = map(f, 11, utf8);
  const annotations = map(f, 12, utf8);
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  return meta;
}

function withOptional(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== '') obj[key] = value;
}

function policyRule(f: Fields): Record<string, unknown> {
  const rule: Record<string, unknown> = { verbs: strs(f, 1) };
  for (const [n, key] of [
    [2, 'apiGroups'],
    [3, 'resources'],
    [4, 'resourceNames'],
    [5, 'nonResourceURLs'],
  ] as const) {
    const v = strs(f, n);
    if (v.length) rule[key] = v;
  }
  return rule;
}

function subject(f: Fields): Record<string, unknown> {
  const s: Record<string, unknown> = { kind: str(f, 1) ?? '', name: str(f, 3) ?? '' };
  withOptional(s, 'apiGroup', str(f, 2));
  withOptional(s, 'namespace', str(f, 4));
  return s;
}

const DECODERS: Record<string, (f: Fields) => Record<string, unknown>> = {
  ServiceAccount: (f) => {
    const o: Record<string, unknown> = {};
    withOptional(o, 'automountServiceAccountToken', bool(f, 4));
    return o;
  },
  ConfigMap: (f) => {
    const o: Record<string, unknown> = {};
    withOptional(o, 'data', map(f, 2, utf8));
    withOptional(o, 'binaryData', map(f, 3, base64));
    withOptional(o, 'immutable', bool(f, 4));
    return o;
  },
  Secret: (f) => {
    const o: Record<string, unknown> = {};
    withOptional(o, 'data', map(f, 2, base64));
    withOptional(o, 'type', str(f, 3));
    withOptional(o, 'stringData', map(f, 4, utf8));
    withOptional(o, 'immutable', bool(f, 5));
    return o;
  },
  Role: (f) => ({ rules: all(f, 2).map((b) => policyRule(readFields(b))) }),
  RoleBinding: (f) => {
    const ref = msg(f, 3);
    return {
      subjects: all(f, 2).map((b) => subject(readFields(b))),
      roleRef: { apiGroup: str(ref, 1) ?? '', kind: str(ref, 2) ?? '', name: str(ref, 3) ?? '' },
    };
  },
};

export const isProtobuf = (contentType: string): boolean =>
  contentType.split(';')[0]!.trim() === 'application/vnd.kubernetes.protobuf';

/**
 * The JSON object of a protobuf request body (`k8s\0` + runtime.Unknown{typeMeta, raw}), or undefined
 * for a kind not decoded here (the caller answers 415, as for any unknown format).
 */
export function decodeObject(body: Buffer): Record<string, unknown> | undefined {
  if (!body.subarray(0, 4).equals(PROTOBUF_MAGIC)) return undefined;
  const unknown = readFields(body.subarray(4));
  const typeMeta = msg(unknown, 1);
  const apiVersion = str(typeMeta, 1) ?? '';
  const kind = str(typeMeta, 2) ?? '';
  const decode = DECODERS[kind];
  if (!decode) return undefined;
  const raw = msg(unknown, 2);
  return { apiVersion, kind, metadata: objectMeta(msg(raw, 1)), ...decode(raw) };
}
