// Which pod served a request. llm-d's session-affinity scorer answers with `x-session-token` =
// standard base64 of "<namespace>/<pod>" (llm-d-inference-scheduler
// pkg/epp/.../scorer/sessionaffinity/session_affinity.go); a gateway may instead name the pod in a header
// of its own (--served-by-header).

export const SESSION_TOKEN_HEADER = 'x-session-token';

/** The pod name in a session token, or undefined when it is not base64 of "namespace/pod". */
export function podFromSessionToken(token: string): string | undefined {
  const trimmed = token.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  const slash = decoded.lastIndexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) return undefined;
  const pod = decoded.slice(slash + 1);
  // Kubernetes pod names are DNS subdomains: anything else means it was not a pod token.
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(pod) ? pod : undefined;
}

/** First value of a header from undici's header object (names are lower-case there). */
export function headerValue(
  headers: Record<string, string | string[] | undefined> | undefined,
  name: string,
): string | undefined {
  const value = headers?.[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
