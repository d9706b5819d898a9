// The kit's prerequisites, asked of the cluster kubectl points at: kubectl itself, the API server,
// Tekton, the namespace, Ready decode pods, the permissions the kit needs, and the gateway. Read-only,
// except the probe pod for an in-cluster gateway URL, which a dry run does not start.
import {
  apiServerCheck,
  gatewayCheck,
  isInClusterUrl,
  kubectlCheck,
  namespaceCheck,
  NEEDED_PERMISSIONS,
  permissionsCheck,
  podsCheck,
  tektonCheck,
  type Check,
} from './checks.ts';
import type { Runner } from './kubectl.ts';
import type { KitOptions } from './options.ts';
import { RUN_LABEL, shellLine, type KitPlan } from './plan.ts';
import { parsePodProbe, podProbeArgs, probeFromHere } from './probe.ts';

export async function prerequisites(
  o: KitOptions,
  kubectl: Runner,
  plan: KitPlan,
  image: string,
): Promise<Check[]> {
  const version = await kubectl.run(['version', '--client', '-o', 'json']);
  const client = kubectlCheck(version, o.kubectl);
  if (!client.ok) return [client];
  const api = apiServerCheck(await kubectl.run(['get', '--raw', '/version']));
  if (!api.ok) return [client, api];
  const ns = o.namespace;
  const inCluster = o.gatewayCheck === 'pod' || (o.gatewayCheck === 'auto' && isInClusterUrl(o.gatewayUrl));
  const podName = `kv-cache-bench-probe-${plan.runId.slice(-10)}`;
  const probeArgs = podProbeArgs({
    namespace: ns,
    podName,
    image,
    gatewayUrl: o.gatewayUrl,
    hostHeader: o.hostHeader,
    runLabel: `${RUN_LABEL}=${plan.runId}`,
  });
  const gateway = async (): Promise<Check> => {
    const name = `gateway ${o.gatewayUrl}`;
    if (o.gatewayCheck === 'none')
      return { name, ok: true, skipped: true, detail: 'not checked (--gateway-check none)' };
    if (!inCluster)
      return gatewayCheck(
        await probeFromHere(o.gatewayUrl, o.hostHeader),
        o.gatewayUrl,
        o.hostHeader,
        o.model,
        'from here',
      );
    if (o.dryRun)
      return {
        name,
        ok: true,
        skipped: true,
        detail: `in-cluster URL, not checked in a dry run (it starts a pod): $ ${shellLine([...kubectl.prefix, ...probeArgs])}`,
      };
    const r = await kubectl.run(probeArgs, { timeoutMs: 240_000 });
    const probe = parsePodProbe(r.stdout, r.stderr, r.code);
    // A pod that never reported says nothing about the gateway: most often the image cannot be pulled.
    const result =
      'error' in probe && !/^ERROR /m.test(r.stdout)
        ? { error: `${probe.error}; can ${ns} pull ${image}? (--image)` }
        : probe;
    return gatewayCheck(result, o.gatewayUrl, o.hostHeader, o.model, `from a pod in ${ns}`);
  };
  const [tekton, namespace, pods, permissions, gw] = await Promise.all([
    kubectl.run(['get', '--raw', '/apis/tekton.dev/v1']).then(tektonCheck),
    kubectl.run(['get', 'namespace', ns, '-o', 'name']).then((r) => namespaceCheck(r, ns)),
    kubectl
      .run(['get', 'pods', '-n', ns, '-l', o.selector, '-o', 'json'])
      .then((r) => podsCheck(r, ns, o.selector)),
    Promise.all(
      NEEDED_PERMISSIONS.map(async ([verb, resource]) => ({
        verb,
        resource,
        r: await kubectl.run(['auth', 'can-i', verb, resource, '-n', ns]),
      })),
    ).then((a) => permissionsCheck(a, ns)),
    gateway(),
  ]);
  return [client, api, tekton, namespace, pods, permissions, gw];
}

export function printChecks(out: (s: string) => void, checks: Check[]): void {
  out('prerequisites:\n');
  for (const c of checks)
    out(`  ${(c.skipped ? 'skip' : c.ok ? 'ok' : 'FAIL').padEnd(5)} ${c.name}: ${c.detail}\n`);
}
