// A kubeconfig for the embedded API server. `insecure-skip-tls-verify: true` even for http:// because
// client-node refuses plain http without it (research §1.4, §9.2); kubectl ignores it there. The context's
// namespace is the pods' namespace, so `kubectl get pods` needs no -n.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** the context's namespace (default llm-d) */
  namespace?: string;
  /** cluster/context/user name (default kv-cache-bench-sim) */
  name?: string;
}

export function kubeconfigYaml(serverUrl: string, token?: string, opts: KubeconfigOptions = {}): string {
  const name = opts.name ?? 'kv-cache-bench-sim';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name, context: { cluster: name, namespace: opts.namespace ?? 'llm-d', user: name } }],
    'current-context': name,
    users: [{ name, user: token ? { token } : {} }],
    preferences: {},
  };
  return stringify(config);
}

/** Writes the kubeconfig (mode 0600: it may hold a token); creates the directory if needed. */
export async function writeKubeconfig(
  path: string,
  serverUrl: string,
  token?: string,
  opts: KubeconfigOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(serverUrl, token, opts), { mode: 0o600 });
}
