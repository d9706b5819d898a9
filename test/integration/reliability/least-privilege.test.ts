// Issue #7, least privilege enforced: the embedded Kubernetes API (HTTPS, bearer tokens, RBAC) is given the
// Role and RoleBinding this repository ships (rbac/*.yaml, placed in llm-d as `kubectl apply -n llm-d -k
// rbac/` would), and a token for the ServiceAccount they bind. With exactly that Role the CLI's restart and
// scrapes work; with one rule taken away each fails at once, exit 1, one line naming the verb and resource.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { serviceAccountUser, writeKubeconfig } from '../../../src/sim/kube-api/index.ts';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { Snapshot } from '../../../src/types.ts';
import { runCli } from '../load/cli-io.ts';

const ROOT = join(import.meta.dirname, '../../..');
const NS = 'llm-d';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** rbac/<file> as objects, namespaced into llm-d like a kustomization's `namespace:`. */
function shipped(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(ROOT, 'rbac', file), 'utf8')).map((d) => {
    const doc = d.toJS() as Doc;
    doc.metadata.namespace ??= NS;
    return doc;
  });
}

let stack: StackHandle;
let dir: string;
let variants = 0;

/**
 * Loads the shipped Role and RoleBinding for a ServiceAccount of its own (`name`), after `edit` took
 * something away, and returns a kubeconfig holding that account's token.
 */
async function account(name: string, edit: (rules: Rule[]) => Rule[] = (r) => r): Promise<string> {
  const [role] = shipped('role.yaml');
  const [binding] = shipped('rolebinding.yaml');
  const [sa] = shipped('serviceaccount.yaml');
  expect([role?.kind, binding?.kind, sa?.kind]).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
  const roleName = name === sa!.metadata.name ? role!.metadata.name : `${role!.metadata.name}-${name}`;
  const docs = [
    { ...role!, metadata: { ...role!.metadata, name: roleName }, rules: edit(structuredClone(role!.rules!)) },
    {
      ...binding!,
      metadata: { ...binding!.metadata, name: roleName },
      roleRef: { ...binding!.roleRef!, name: roleName },
      subjects: binding!.subjects!.map((s) => ({ ...s, name })),
    },
  ];
  stack.rbac!.load(docs.map((d) => stringify(d)).join('---\n'));
  const token = `token-${name}-${++variants}`;
  stack.rbac!.addToken(token, serviceAccountUser(NS, name));
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  await writeKubeconfig(kubeconfig, stack.kubernetesUrl, token, { namespace: NS });
  return kubeconfig;
}

const without = (verb: string, resource: string) => (rules: Rule[]) =>
  rules.map((r) => (r.resources.includes(resource) ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r));

beforeAll(async () => {
  stack = await startStack({ pods: 2, tls: true, latency: 'zero', tokenizer: 'approx', readyDelayMs: 200 });
  dir = mkdtempSync(join(tmpdir(), 'kvb-rbac-'));
}, 60_000);
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('exactly the shipped Role (rbac/role.yaml) for the shipped ServiceAccount', () => {
  let kubeconfig: string;
  beforeAll(async () => {
    kubeconfig = await account('kv-cache-bench');
  });

  it('restarts the pods by deleting them', async () => {
    const run = await runCli(['restart-pods', '--kubeconfig', kubeconfig, '--timeout', '30s']);
    expect(run.stderr).toMatch(/prefix-cache counters at zero/);
    expect(run.code).toBe(0);
  });

  it('restarts the pods by rolling their Deployment', async () => {
    const run = await runCli([
      'restart-pods',
      '--kubeconfig',
      kubeconfig,
      '--mode',
      'rollout',
      '--timeout',
      '30s',
    ]);
    expect(run.stderr).toMatch(/prefix-cache counters at zero/);
    expect(run.code).toBe(0);
  });

  it.each(['pod-ip', 'api-proxy'])('scrapes every pod --via %s', async (via) => {
    const out = join(dir, `snap-${via}.json`);
    const run = await runCli(['scrape-metrics', '--kubeconfig', kubeconfig, '--via', via, '--out', out]);
    expect(run.code).toBe(0);
    const snap = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snap.pods).toHaveLength(2);
    expect(snap.pods.every((p) => p.error === undefined && p.counters.prefixCacheQueries === 0)).toBe(true);
  });
});

describe('the shipped Role with one rule taken away', () => {
  const grant = '\\(grant it in rbac/role\\.yaml\\)';
  it.each<[string, (r: Rule[]) => Rule[], string[], RegExp]>([
    [
      'delete on pods',
      without('delete', 'pods'),
      ['restart-pods', '--timeout', '20s'],
      new RegExp(
        `cannot delete pod llm-d/\\S+: forbidden: needs verb "delete" on resource "pods" in namespace llm-d ${grant}$`,
      ),
    ],
    [
      'watch on pods',
      without('watch', 'pods'),
      ['restart-pods', '--timeout', '20s'],
      new RegExp(`forbidden: needs verb "watch" on resource "pods" in namespace llm-d ${grant}$`),
    ],
    [
      'list on pods',
      without('list', 'pods'),
      ['scrape-metrics', '--out', 'x.json'],
      new RegExp(
        `cannot list pods in namespace llm-d: forbidden: needs verb "list" on resource "pods" in namespace llm-d ${grant}$`,
      ),
    ],
    [
      'get on pods/proxy',
      without('get', 'pods/proxy'),
      ['scrape-metrics', '--via', 'api-proxy', '--out', 'x.json'],
      new RegExp(
        `through the API proxy: forbidden: needs verb "get" on resource "pods/proxy" in namespace llm-d ${grant}$`,
      ),
    ],
    [
      'patch on deployments',
      without('patch', 'deployments'),
      ['restart-pods', '--mode', 'rollout', '--timeout', '20s'],
      new RegExp(
        `cannot restart deployment/\\S+: forbidden: needs verb "patch" on resource "deployments" in API group "apps" in namespace llm-d ${grant}$`,
      ),
    ],
  ])('without %s: exit 1, one line naming what to grant', async (rule, edit, argv, message) => {
    const name = `bench-${rule.replace(/\W+/g, '-')}`;
    const kubeconfig = await account(name, edit);
    const args = argv.map((a) => (a === 'x.json' ? join(dir, `${name}.json`) : a));
    const started = Date.now();
    const run = await runCli([...args, '--kubeconfig', kubeconfig]);
    // A missing permission is final: no waiting for --timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(1);
    const last = run.stderr.trim().split('\n').at(-1) ?? '';
    expect(last).toMatch(new RegExp(`^kv-cache-bench ${argv[0]}: `));
    expect(last).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a token the API server does not know with one line', async () => {
    const kubeconfig = join(dir, 'stranger.kubeconfig');
    await writeKubeconfig(kubeconfig, stack.kubernetesUrl, 'not-a-known-token', { namespace: NS });
    const run = await runCli([
      'scrape-metrics',
      '--kubeconfig',
      kubeconfig,
      '--out',
      join(dir, 'stranger.json'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'kv-cache-bench scrape-metrics: cannot list pods in namespace llm-d: unauthorized: the API server does not accept these credentials (check the token in --kubeconfig or the ServiceAccount)',
    ]);
  });
});
