// The embedded stack the Tekton integration tests run Pipelines against: TLS, a Host-checking gateway,
// and RBAC exactly as `kubectl apply -k .` installs rbac/, with a kubeconfig for the kv-cache-bench
// ServiceAccount that the steps use.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceAccountUser } from '../../src/sim/kube-api/rbac.ts';
import { writeKubeconfig } from '../../src/sim/kube-api/kubeconfig.ts';
import { startStack, type StackHandle, type StackOptions } from '../../src/sim/stack.ts';
import { loadCatalog, type Catalog } from '../../src/tekton/index.ts';
import { ROOT } from '../unit/tekton/catalog-files.ts';

export interface TektonStack {
  stack: StackHandle;
  catalog: Catalog;
  /** a temporary directory, removed by close() */
  dir: string;
  /** kubeconfig of the kv-cache-bench ServiceAccount (bearer token, the stack's namespace) */
  saKubeconfig: string;
  close(): Promise<void>;
}

export async function startTektonStack(
  dirPrefix: string,
  routing: Pick<StackOptions, 'policy' | 'baselinePolicy'> = {},
): Promise<TektonStack> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const stack = await startStack({
    pods: 3,
    ...routing,
    latency: 'zero',
    readyDelayMs: 200,
    host: 'llm-d.demo.local',
    tls: true,
  });
  const rbacYaml = execFileSync('kubectl', ['kustomize', join(ROOT, 'rbac')], { encoding: 'utf8' });
  stack.rbac?.load(rbacYaml.replace(/^(metadata:\n)/gm, `$1  namespace: ${stack.namespace}\n`));
  const token = randomBytes(24).toString('base64url');
  stack.rbac?.addToken(token, serviceAccountUser(stack.namespace, 'kv-cache-bench'));
  const saKubeconfig = join(dir, 'sa-kubeconfig');
  await writeKubeconfig(saKubeconfig, stack.kubernetesUrl, token, { namespace: stack.namespace });
  return {
    stack,
    catalog: loadCatalog(ROOT),
    dir,
    saKubeconfig,
    close: async () => {
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
