// test/cluster/run.sh, the end-to-end kit for a real cluster, pointed at the embedded stack (Tekton
// controller on): the dry run prints the whole plan and changes nothing; the prerequisite checks name
// what is missing, including a cluster without Tekton (a loopback proxy in front of the stack's API that
// hides tekton.dev from discovery); and a real run installs the catalog, runs the PipelineRuns through
// kubectl, reports, and deletes only what it created.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { writeKubeconfig } from '../../../src/sim/kube-api/kubeconfig.ts';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import type { PipelineRun } from '../../../src/tekton/types.ts';
import { ROOT } from '../../unit/tekton/catalog-files.ts';

const RUN_SH = join(ROOT, 'test/cluster/run.sh');
let stack: StackHandle;
let dir: string;
let env: NodeJS.ProcessEnv;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** run.sh as a user runs it; async, so the in-process stack keeps answering. */
function kit(args: string[], kubeconfig = stack.kubeconfigPath): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn('bash', [RUN_SH, '--kubeconfig', kubeconfig, ...args], { env, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', stack.kubeconfigPath, ...args], { env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

/** A cluster without Tekton: the stack's API with tekton.dev gone from discovery. */
async function withoutTekton(upstream: string): Promise<Server> {
  const notFound = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: 'the server could not find the requested resource',
    reason: 'NotFound',
    code: 404,
  });
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (/^\/apis\/tekton\.dev(?:[/?]|$)/.test(path)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(notFound);
      return;
    }
    const lists = req.method === 'GET' && /^\/apis\/?(?:\?|$)/.test(path);
    const headers = { ...req.headers, host: new URL(upstream).host, 'accept-encoding': 'identity' };
    const up = request(new URL(path, upstream), { method: req.method, headers }, (ur) => {
      if (!lists) {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        return;
      }
      let body = '';
      ur.setEncoding('utf8').on('data', (d: string) => (body += d));
      ur.on('end', () => {
        // APIGroupList (groups) and the aggregated APIGroupDiscoveryList (items).
        const doc = JSON.parse(body) as {
          groups?: { name: string }[];
          items?: { metadata?: { name?: string } }[];
        };
        if (doc.groups) doc.groups = doc.groups.filter((g) => g.name !== 'tekton.dev');
        if (doc.items) doc.items = doc.items.filter((g) => g.metadata?.name !== 'tekton.dev');
        const out = JSON.stringify(doc);
        res
          .writeHead(ur.statusCode ?? 200, { ...ur.headers, 'content-length': Buffer.byteLength(out) })
          .end(out);
      });
    });
    up.on('error', (e) => res.writeHead(502).end(e.message));
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** The text after `--- <path>` in the plan, up to the next `--- /` marker. */
function objectSection(stdout: string, path: string): string {
  const start = stdout.indexOf(`--- ${path}\n`);
  if (start < 0) throw new Error(`no ${path} in the plan`);
  const body = stdout.slice(start + path.length + 5);
  const end = body.search(/^--- \//m);
  return end < 0 ? body : body.slice(0, end);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cluster-kit-'));
  // The gcloud kubectl dispatcher caches discovery by address: a fresh cache for these stacks.
  env = { ...process.env, KUBECONFIG: undefined, KUBECACHEDIR: join(dir, 'kube-cache') };
  stack = await startStack({
    pods: 2,
    latency: 'zero',
    readyDelayMs: 100,
    tekton: true,
    host: 'llm-d.demo.local',
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('run.sh --dry-run against the embedded stack', () => {
  let r: Result;
  const work = () => join(dir, 'dry');
  beforeAll(async () => {
    r = await kit(['--dry-run', '--work-dir', work()]);
  }, 60_000);

  it('passes every prerequisite it can check without starting anything, and exits 0', () => {
    expect([r.code, r.stderr]).toEqual([0, '']);
    for (const line of [
      'ok    Tekton Pipelines: tekton.dev/v1 serves tasks, pipelines, pipelineruns, taskruns',
      'ok    namespace llm-d: exists',
      'ok    decode pods: 2 of 2 matching llm-d.ai/role=decode are Ready',
      'ok    permissions: may create tasks',
      // The default gateway URL resolves in the cluster only: probed from a pod, which a dry run does not start.
      'skip  gateway http://llm-d-gateway-istio.llm-d.svc.cluster.local: in-cluster URL, not checked in a dry run',
    ])
      expect(r.stdout).toContain(line);
  });

  it('prints every command: install, create and wait for restart, hit and ramp, clean up', () => {
    const k = `kubectl --kubeconfig=${stack.kubeconfigPath}`;
    const w = work();
    for (const line of [
      `$ ${k} kustomize ${w}/catalog > ${w}/catalog.yaml`,
      `$ ${k} apply -n llm-d -f ${w}/catalog.yaml`,
      `$ ${k} create -n llm-d -f ${w}/restart.yaml -o name`,
      `$ ${k} create -n llm-d -f ${w}/hit.yaml -o name`,
      `$ ${k} create -n llm-d -f ${w}/ramp.yaml -o name`,
      `$ ${k} delete -n llm-d -f ${w}/created.yaml --ignore-not-found`,
    ])
      expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(
      /delete -n llm-d pipelineruns -l kv-cache-bench\/kit-run=kit-[a-z0-9-]+ --ignore-not-found/,
    );
    expect(r.stdout).toMatch(/--overrides=.*--command -- node -e/);
  });

  it('prints every object: the whole catalog `kubectl apply -k .` installs, and the three PipelineRuns', () => {
    const ids = (yaml: string) =>
      parseAllDocuments(yaml)
        .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } })
        .map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace ?? ''}`)
        .sort();
    const catalog = execFileSync('kubectl', ['kustomize', ROOT], { encoding: 'utf8' });
    expect(ids(objectSection(r.stdout, join(work(), 'catalog.yaml')))).toEqual(ids(catalog));
    const runs = ['restart', 'hit', 'ramp'].map(
      (n) => parse(objectSection(r.stdout, join(work(), `${n}.yaml`))) as PipelineRun,
    );
    expect(runs.map((pr) => pr.spec.pipelineRef?.name)).toEqual([
      'kv-cache-pod-restart',
      'kv-cache-ramp',
      'kv-cache-ramp',
    ]);
    const hit = Object.fromEntries((runs[1]?.spec.params ?? []).map((p) => [p.name, p.value]));
    expect(hit).toMatchObject({
      namespace: 'llm-d',
      'gateway-url': 'http://llm-d-gateway-istio.llm-d.svc.cluster.local',
      'host-header': 'llm-d.demo.local',
      stages: '4x24',
    });
    for (const pr of runs) expect(Object.keys(pr.metadata.labels ?? {})).toEqual(['kv-cache-bench/kit-run']);
  });

  it('changes nothing in the cluster', async () => {
    expect(await kubectl('get', 'tasks,pipelines,pipelineruns', '-n', 'llm-d', '-o', 'name')).toBe('');
    expect(await kubectl('get', 'serviceaccounts', '-n', 'llm-d', '-o', 'name')).not.toContain(
      'kv-cache-bench',
    );
  });
});

describe('the prerequisite checks name what is missing', () => {
  it('a selector that matches nothing, a Host the gateway has no route for, a model it does not serve', async () => {
    const r = await kit([
      '--dry-run',
      '--work-dir',
      join(dir, 'bad'),
      '--selector',
      'app=nope',
      '--gateway-url',
      stack.gatewayUrl,
      '--host-header',
      'wrong.example',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prerequisites missing (2):');
    expect(r.stderr).toContain(
      'decode pods: no pod matches app=nope in namespace llm-d (check --selector / --namespace',
    );
    expect(r.stderr).toContain(
      `gateway ${stack.gatewayUrl}: answered 404 from here for Host wrong.example: no route (check --host-header`,
    );
    const model = await kit([
      '--dry-run',
      '--work-dir',
      join(dir, 'model'),
      '--gateway-url',
      stack.gatewayUrl,
      '--model',
      'nope',
    ]);
    expect(model.code).toBe(2);
    expect(model.stderr).toContain(
      `gateway ${stack.gatewayUrl}: serves meta-llama/Llama-3.2-3B-Instruct, not nope (pass --model)`,
    );
  }, 60_000);

  it('a gateway that answers from here passes', async () => {
    const r = await kit(['--dry-run', '--work-dir', join(dir, 'gw'), '--gateway-url', stack.gatewayUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `ok    gateway ${stack.gatewayUrl}: answers from here and serves meta-llama/Llama-3.2-3B-Instruct`,
    );
  }, 60_000);

  it('no kubectl: exit 2 before anything else', async () => {
    const r = await kit(['--kubectl', join(dir, 'no-such-kubectl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `prerequisites missing (1):\n  kubectl: cannot run ${join(dir, 'no-such-kubectl')}: not found (install kubectl, or pass --kubectl PATH)\n`,
    );
  });

  it('bad flags: exit 2 with one line', async () => {
    expect(await kit(['--runs', 'warmup'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'run.sh: --runs: unknown run "warmup" (choose from restart, hit, ramp)\n',
    });
  });

  describe('a cluster without Tekton', () => {
    let proxy: Server;
    let kubeconfig: string;
    beforeAll(async () => {
      proxy = await withoutTekton(stack.kubernetesUrl);
      kubeconfig = join(dir, 'no-tekton', 'kubeconfig');
      const { port } = proxy.address() as AddressInfo;
      await writeKubeconfig(kubeconfig, `http://127.0.0.1:${port}`, undefined, { namespace: 'llm-d' });
    });
    afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

    const message =
      'Tekton Pipelines: not installed: the API server does not serve tekton.dev/v1 (no pipelines.tekton.dev CRD). ' +
      'Install Tekton Pipelines 1.0 or newer (OpenShift: an OpenShift Pipelines release that ships it)';

    it('--dry-run still prints the plan, says Tekton is missing and exits 2', async () => {
      const r = await kit(['--dry-run', '--work-dir', join(dir, 'no-tekton', 'dry')], kubeconfig);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain(`FAIL  ${message}`);
      expect(r.stdout).toContain('plan (namespace llm-d');
      expect(r.stderr).toBe(`prerequisites missing (1):\n  ${message}\n`);
    }, 60_000);

    it('a real run stops at the checks: exit 2 and nothing installed', async () => {
      const r = await kit(['--gateway-check', 'none'], kubeconfig);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).not.toContain('install:');
      expect(await kubectl('get', 'tasks,pipelines,pipelineruns', '-n', 'llm-d', '-o', 'name')).toBe('');
    }, 60_000);
  });
});

describe('run.sh against the embedded stack, for real', () => {
  let r: Result;
  beforeAll(async () => {
    // Installed beforehand, as a user's earlier `kubectl apply -k .` would have: the kit must keep it.
    await kubectl('apply', '-n', 'llm-d', '-k', join(ROOT, 'rbac'));
    r = await kit(['--runs', 'restart,hit', '--gateway-check', 'none', '--poll-interval', '1s']);
  }, 240_000);

  it('installs the catalog, keeping what was there', () => {
    expect(r.stdout).toMatch(/install:\n {2}\d+ new, 3 already there \(kept at the end\)\n/);
    expect(r.stdout).toContain('task.tekton.dev/kv-cache-restart-pods created');
  });

  it('restarts, then measures through the gateway, and reports each run', () => {
    const lines = r.stdout.split('\n');
    const restart = lines.find((l) => l.startsWith('  restart '));
    const hit = lines.find((l) => l.startsWith('  hit '));
    expect(restart).toMatch(/^ {2}restart {2}PASS {2}cache-pod-restart-run-\w+ {2}Succeeded$/);
    expect(hit).toMatch(
      /^ {2}hit {6}(PASS|FAIL) {2}cache-hit-run-\w+ {2}hit-rate=0\.\d+ stickiness=\w+ verdict=(PASS|FAIL)/,
    );
    // Exit 0 exactly when every run passed its gates (the hit test's min-hit-rate is 0.75).
    const pass = hit?.includes('verdict=PASS') === true;
    expect([
      r.code,
      r.stdout
        .trimEnd()
        .split('\n')
        .find((l) => /^(PASS|FAIL)$/.test(l)),
    ]).toEqual([pass ? 0 : 1, pass ? 'PASS' : 'FAIL']);
  });

  it('cleans up the runs and the catalog objects it created, nothing else', async () => {
    expect(r.stdout).toContain('clean up:\n');
    expect(await kubectl('get', 'tasks,pipelines,pipelineruns', '-n', 'llm-d', '-o', 'name')).toBe('');
    expect(
      await kubectl(
        'get',
        'serviceaccount/kv-cache-bench',
        'role/kv-cache-bench',
        '-n',
        'llm-d',
        '-o',
        'name',
      ),
    ).toBe('serviceaccount/kv-cache-bench\nrole.rbac.authorization.k8s.io/kv-cache-bench\n');
  });
});
