// POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: `kubectl auth can-i` (protobuf from 1.32 on,
// JSON before) and client-node's createSelfSubjectAccessReview. Answered in JSON, 201, with the verdict of
// the same RBAC the server enforces (everything allowed when the server runs without authentication).
import { decodeSelfSubjectAccessReview, PROTOBUF_MAGIC, type AccessReviewSpec } from './protobuf.ts';
import { nonResourceAttributes, type Rbac, type UserInfo } from './rbac.ts';
import { badRequest } from './status.ts';

export function parseAccessReview(contentType: string, body: Buffer): AccessReviewSpec {
  if (/protobuf/.test(contentType) || body.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    try {
      return decodeSelfSubjectAccessReview(body);
    } catch (err) {
      throw badRequest(
        `the protobuf body of the SelfSubjectAccessReview could not be decoded: ${(err as Error).message}`,
      );
    }
  }
  let parsed: { kind?: string; spec?: AccessReviewSpec };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
  if (parsed.kind && parsed.kind !== 'SelfSubjectAccessReview')
    throw badRequest(`expected a SelfSubjectAccessReview, got ${parsed.kind}`);
  return parsed.spec ?? {};
}

export function reviewAccess(
  spec: AccessReviewSpec,
  user: UserInfo,
  rbac: Rbac | undefined,
): Record<string, unknown> {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (!ra && !nra)
    throw badRequest(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  let verdict = { allowed: true, reason: '' };
  if (rbac) {
    verdict = rbac.authorize(
      ra
        ? {
            user,
            verb: ra.verb ?? '',
            resourceRequest: true,
            apiGroup: ra.group ?? '',
            resource: ra.resource ?? '',
            subresource: ra.subresource ?? '',
            name: ra.name ?? '',
            namespace: ra.namespace ?? '',
            path: '',
          }
        : nonResourceAttributes(user, nra!.verb ?? '', nra!.path ?? ''),
    );
  }
  const status: Record<string, unknown> = { allowed: verdict.allowed };
  if (verdict.reason) status.reason = verdict.reason;
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: ra ? { resourceAttributes: ra } : { nonResourceAttributes: nra },
    status,
  };
}
