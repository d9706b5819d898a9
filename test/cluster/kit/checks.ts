// The kit's prerequisites, judged from what kubectl and the gateway answered. Pure: each function takes
// the answer and returns a verdict whose text says exactly what is missing and what to do.

/** What one kubectl (or any) command gave back; `error` when it could not start at all. */
export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
  error?: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** not run (a dry run does not start a probe pod) */
  skipped?: boolean;
}

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';
const why = (r: Exec) => r.error ?? (firstLine(r.stderr) || `exit ${r.code}`);

export function kubectlCheck(r: Exec, kubectl: string): Check {
  if (r.error)
    return {
      name: 'kubectl',
      ok: false,
      detail: `cannot run ${kubectl}: ${r.error} (install kubectl, or pass --kubectl PATH)`,
    };
  const version = /"gitVersion":\s*"([^"]+)"/.exec(r.stdout)?.[1];
  return r.code === 0
    ? { name: 'kubectl', ok: true, detail: `client ${version ?? 'found'}` }
    : { name: 'kubectl', ok: false, detail: `${kubectl} version failed: ${why(r)}` };
}

export function apiServerCheck(r: Exec): Check {
  if (r.code !== 0)
    return {
      name: 'API server',
      ok: false,
      detail: `unreachable: ${why(r)} (check the kubeconfig, --kubeconfig or --context)`,
    };
  const version = /"gitVersion":\s*"([^"]+)"/.exec(r.stdout)?.[1] ?? 'unknown version';
  return { name: 'API server', ok: true, detail: `Kubernetes ${version}` };
}

export const TEKTON_RESOURCES = ['tasks', 'pipelines', 'pipelineruns', 'taskruns'] as const;

/** Tekton Pipelines ≥ 1.0 serves tekton.dev/v1 Tasks, Pipelines, PipelineRuns and TaskRuns (its CRDs). */
export function tektonCheck(r: Exec): Check {
  const name = 'Tekton Pipelines';
  if (r.code !== 0) {
    return /NotFound|could not find the requested resource|404/i.test(`${r.stderr}${r.stdout}`)
      ? {
          name,
          ok: false,
          detail:
            'not installed: the API server does not serve tekton.dev/v1 (no pipelines.tekton.dev CRD). ' +
            'Install Tekton Pipelines 1.0 or newer (OpenShift: an OpenShift Pipelines release that ships it)',
        }
      : { name, ok: false, detail: `cannot read API discovery for tekton.dev/v1: ${why(r)}` };
  }
  let served: string[] = [];
  try {
    served = ((JSON.parse(r.stdout) as { resources?: { name: string }[] }).resources ?? []).map(
      (x) => x.name,
    );
  } catch {
    return { name, ok: false, detail: `tekton.dev/v1 discovery is not JSON: ${firstLine(r.stdout)}` };
  }
  const missing = TEKTON_RESOURCES.filter((x) => !served.includes(x));
  return missing.length === 0
    ? { name, ok: true, detail: `tekton.dev/v1 serves ${TEKTON_RESOURCES.join(', ')}` }
    : {
        name,
        ok: false,
        detail: `tekton.dev/v1 does not serve ${missing.join(', ')}: the catalog needs Tekton Pipelines 1.0 or newer`,
      };
}

export function namespaceCheck(r: Exec, namespace: string): Check {
  const name = `namespace ${namespace}`;
  if (r.code === 0) return { name, ok: true, detail: 'exists' };
  return /NotFound|not found/i.test(r.stderr)
    ? { name, ok: false, detail: `not found: create it, or pass --namespace where the decode pods run` }
    : { name, ok: false, detail: `cannot read it: ${why(r)}` };
}

interface PodList {
  items?: {
    metadata?: { name?: string; deletionTimestamp?: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

export function podsCheck(r: Exec, namespace: string, selector: string): Check {
  const name = 'decode pods';
  if (r.code !== 0) return { name, ok: false, detail: `cannot list pods in ${namespace}: ${why(r)}` };
  const items = ((JSON.parse(r.stdout) as PodList).items ?? []).filter((p) => !p.metadata?.deletionTimestamp);
  const ready = items.filter((p) =>
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (items.length === 0)
    return {
      name,
      ok: false,
      detail: `no pod matches ${selector} in namespace ${namespace} (check --selector / --namespace; deploy/vllm-decode-deployment.yaml sets that label)`,
    };
  if (ready.length === 0)
    return {
      name,
      ok: false,
      detail: `${items.length} pods match ${selector} but none is Ready: wait for vLLM to load`,
    };
  return { name, ok: true, detail: `${ready.length} of ${items.length} matching ${selector} are Ready` };
}

/** What the kit creates, and what cleanup deletes. */
export const NEEDED_PERMISSIONS: readonly (readonly [verb: string, resource: string])[] = [
  ['create', 'tasks.tekton.dev'],
  ['create', 'pipelines.tekton.dev'],
  ['create', 'pipelineruns.tekton.dev'],
  ['delete', 'pipelineruns.tekton.dev'],
  ['create', 'serviceaccounts'],
  ['create', 'roles.rbac.authorization.k8s.io'],
  ['create', 'rolebindings.rbac.authorization.k8s.io'],
];

export function permissionsCheck(
  answers: readonly { verb: string; resource: string; r: Exec }[],
  namespace: string,
): Check {
  const name = 'permissions';
  const denied = answers.filter((a) => a.r.stdout.trim() !== 'yes').map((a) => `${a.verb} ${a.resource}`);
  return denied.length === 0
    ? {
        name,
        ok: true,
        detail: `may ${answers.map((a) => `${a.verb} ${a.resource.split('.')[0]}`).join(', ')} in ${namespace}`,
      }
    : {
        name,
        ok: false,
        detail: `kubectl auth can-i -n ${namespace} says no to: ${denied.join(', ')} (ask for the namespace's admin or edit role)`,
      };
}

/** What a GET of <gateway>/v1/models gave, from here or from a probe pod. */
export type ProbeResult = { status: number; body: string } | { error: string };

export function gatewayCheck(p: ProbeResult, url: string, host: string, model: string, where: string): Check {
  const name = `gateway ${url}`;
  if ('error' in p)
    return { name, ok: false, detail: `no answer ${where}: ${p.error} (check --gateway-url)` };
  if (p.status === 404)
    return {
      name,
      ok: false,
      detail: `answered 404 ${where} for Host ${host}: no route (check --host-header against the HTTPRoute's hostnames)`,
    };
  if (p.status === 401 || p.status === 403)
    return {
      name,
      ok: true,
      detail: `answered ${p.status} ${where}: it wants an API key; the Tasks send the one in the Secret named by the api-key-secret param`,
    };
  if (p.status >= 500)
    return {
      name,
      ok: false,
      detail: `answered ${p.status} ${where}: is there a Ready pod behind the gateway?`,
    };
  if (p.status !== 200) return { name, ok: false, detail: `answered ${p.status} ${where}, not 200` };
  let models: string[] = [];
  try {
    models = ((JSON.parse(p.body) as { data?: { id?: string }[] }).data ?? []).map((m) => String(m.id));
  } catch {
    return { name, ok: false, detail: `answered 200 ${where} but not with an OpenAI model list` };
  }
  return models.includes(model)
    ? { name, ok: true, detail: `answers ${where} and serves ${model}` }
    : { name, ok: false, detail: `serves ${models.join(', ') || 'no model'}, not ${model} (pass --model)` };
}

/** A URL only the cluster's DNS resolves: a Service name, or *.svc / *.cluster.local. */
export function isInClusterUrl(url: string): boolean {
  const host = new URL(url).hostname;
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':')) return false;
  return !host.includes('.') || /\.svc(\.|$)/.test(host) || host.endsWith('.cluster.local');
}
