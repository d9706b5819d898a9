// kubectl ≥ 1.32 sends `auth can-i`'s SelfSubjectAccessReview as Kubernetes protobuf and will not fall back
// to JSON on a 415 (research §7.2). Its Accept allows a JSON answer, so only the request needs decoding:
// the `k8s\0` envelope (runtime.Unknown), then SelfSubjectAccessReview's spec, from
// staging/src/k8s.io/api/authorization/v1/generated.proto. Pure; a malformed body throws.

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Fields = Map<number, (Buffer | bigint)[]>;

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated protobuf varint');
    const byte = buf[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new Error('protobuf varint too long');
  }
}

/** One message's fields by number: length-delimited ones as bytes, varints as bigint (fixed widths skipped). */
export function readFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = readVarint(buf, pos);
    pos = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: Buffer | bigint;
    if (wire === 0) [value, pos] = readVarint(buf, pos);
    else if (wire === 2) {
      const [len, start] = readVarint(buf, pos);
      const end = start + Number(len);
      if (end > buf.length) throw new Error('truncated protobuf field');
      value = buf.subarray(start, end);
      pos = end;
    } else if (wire === 1) {
      pos += 8;
      continue;
    } else if (wire === 5) {
      pos += 4;
      continue;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

function bytes(fields: Fields, n: number): Buffer | undefined {
  const v = fields.get(n)?.[0];
  return Buffer.isBuffer(v) ? v : undefined;
}

function str(fields: Fields, n: number): string {
  return bytes(fields, n)?.toString('utf8') ?? '';
}

export interface AccessReviewSpec {
  resourceAttributes?: {
    namespace: string;
    verb: string;
    group: string;
    version: string;
    resource: string;
    subresource: string;
    name: string;
  };
  nonResourceAttributes?: { path: string; verb: string };
}

/** The spec of a protobuf-encoded SelfSubjectAccessReview request body. */
export function decodeSelfSubjectAccessReview(body: Buffer): AccessReviewSpec {
  if (!body.subarray(0, 4).equals(PROTOBUF_MAGIC))
    throw new Error('not a Kubernetes protobuf body (missing k8s\\0 prefix)');
  const unknown = readFields(body.subarray(4));
  const typeMeta = readFields(bytes(unknown, 1) ?? Buffer.alloc(0));
  const kind = str(typeMeta, 2);
  if (kind && kind !== 'SelfSubjectAccessReview')
    throw new Error(`expected a SelfSubjectAccessReview, got ${kind}`);
  const review = readFields(bytes(unknown, 2) ?? Buffer.alloc(0));
  const spec = readFields(bytes(review, 2) ?? Buffer.alloc(0));
  const out: AccessReviewSpec = {};
  const ra = bytes(spec, 1);
  if (ra) {
    const f = readFields(ra);
    out.resourceAttributes = {
      namespace: str(f, 1),
      verb: str(f, 2),
      group: str(f, 3),
      version: str(f, 4),
      resource: str(f, 5),
      subresource: str(f, 6),
      name: str(f, 7),
    };
  }
  const nra = bytes(spec, 2);
  if (nra) {
    const f = readFields(nra);
    out.nonResourceAttributes = { path: str(f, 1), verb: str(f, 2) };
  }
  return out;
}

// --- encoding, for tests that play kubectl ------------------------------------------------------------

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

function field(n: number, value: Buffer | string): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([varint((n << 3) | 2), varint(b.length), b]);
}

/** Encodes a review the way kubectl 1.32 does (empty strings included, as gogo-protobuf writes them). */
export function encodeSelfSubjectAccessReview(spec: AccessReviewSpec): Buffer {
  const parts: Buffer[] = [];
  if (spec.resourceAttributes) {
    const a = spec.resourceAttributes;
    parts.push(
      field(
        1,
        Buffer.concat(
          [a.namespace, a.verb, a.group, a.version, a.resource, a.subresource, a.name].map((s, i) =>
            field(i + 1, s),
          ),
        ),
      ),
    );
  }
  if (spec.nonResourceAttributes) {
    const a = spec.nonResourceAttributes;
    parts.push(field(2, Buffer.concat([field(1, a.path), field(2, a.verb)])));
  }
  const review = Buffer.concat([
    field(1, Buffer.alloc(0)),
    field(2, Buffer.concat(parts)),
    field(3, Buffer.alloc(0)),
  ]);
  const typeMeta = Buffer.concat([field(1, 'authorization.k8s.io/v1'), field(2, 'SelfSubjectAccessReview')]);
  return Buffer.concat([PROTOBUF_MAGIC, field(1, typeMeta), field(2, review), field(3, ''), field(4, '')]);
}
