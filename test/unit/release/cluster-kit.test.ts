// The pure parts of the cluster kit (test/cluster/kit): its flags, the plan it builds from the shipped
// PipelineRuns, and how it judges what kubectl and the gateway answered. The kit itself runs against
// the embedded stack in test/integration/cluster-kit.
import {
  gatewayCheck,
  isInClusterUrl,
  namespaceCheck,
  permissionsCheck,
  podsCheck,
  tektonCheck,
  type Exec,
} from '../../cluster/kit/checks.ts';
import { KitUsage, parseKitArgs } from '../../cluster/kit/options.ts';
import { buildPlan, fillPipelineRun, RUN_LABEL, shellLine } from '../../cluster/kit/plan.ts';
import { parsePodProbe, podProbeArgs, POD_PROBE_SCRIPT } from '../../cluster/kit/probe.ts';
import { passed, resultLine, runState } from '../../cluster/kit/status.ts';
import type { PipelineRun } from '../../../src/tekton/types.ts';

const ok = (stdout: string): Exec => ({ code: 0, stdout, stderr: '' });
const fail = (stderr: string, code = 1): Exec => ({ code, stdout: '', stderr });

describe('the kit flags', () => {
  it('defaults to the reference setup: llm-d, the decode label, the in-cluster gateway, all three runs', () => {
    expect(parseKitArgs([], {})).toEqual({
      namespace: 'llm-d',
      selector: 'llm-d.ai/role=decode',
      gatewayUrl: 'http://llm-d-gateway-istio.llm-d.svc.cluster.local',
      hostHeader: 'llm-d.demo.local',
      model: 'meta-llama/Llama-3.2-3B-Instruct',
      kubectl: 'kubectl',
      runs: ['restart', 'hit', 'ramp'],
      pollMs: 10_000,
      gatewayCheck: 'auto',
      keep: false,
      dryRun: false,
      help: false,
    });
  });

  it('reads --flag value and --flag=value, the last repeat wins, KUBECTL sets the binary', () => {
    const o = parseKitArgs(
      [
        '--namespace',
        'a',
        '--namespace=b',
        '--runs=hit,ramp',
        '--timeout',
        '1h30m',
        '--dry-run',
        '--gateway-url',
        'http://x:8080/',
      ],
      { KUBECTL: '/opt/oc' },
    );
    expect(o).toMatchObject({
      namespace: 'b',
      runs: ['hit', 'ramp'],
      timeoutMs: 5_400_000,
      dryRun: true,
      kubectl: '/opt/oc',
      gatewayUrl: 'http://x:8080',
    });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['restart'], 'unexpected argument "restart"'],
    [['--runs', 'restart,warm'], 'unknown run "warm"'],
    [['--timeout', 'soon'], '--timeout soon: not a duration'],
    [['--gateway-url', 'http://gw/v1'], 'without /v1'],
    [['--gateway-check', 'maybe'], 'choose auto, local, pod or none'],
    [['--namespace'], '--namespace needs a value'],
    [['--dry-run=yes'], '--dry-run takes no value'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseKitArgs(argv, {})).toThrow(KitUsage);
    expect(() => parseKitArgs(argv, {})).toThrow(message);
  });
});

const hit: PipelineRun = {
  apiVersion: 'tekton.dev/v1',
  kind: 'PipelineRun',
  metadata: { generateName: 'cache-hit-run-' },
  spec: {
    pipelineRef: { name: 'kv-cache-ramp' },
    params: [
      { name: 'namespace', value: 'llm-d' },
      { name: 'stages', value: '4x24' },
    ],
    timeouts: { pipeline: '30m' },
  },
};

describe('the plan', () => {
  it('fills in only the params the Pipeline declares, keeps the others, and labels the run', () => {
    const filled = fillPipelineRun(
      hit,
      { namespace: 'prod', 'gateway-url': 'http://gw', selector: 'a=b' },
      new Set(['namespace', 'gateway-url', 'stages']),
      'kit-1',
    );
    expect(filled.metadata.labels).toEqual({ [RUN_LABEL]: 'kit-1' });
    expect(filled.spec.params).toEqual([
      { name: 'namespace', value: 'prod' },
      { name: 'stages', value: '4x24' },
      { name: 'gateway-url', value: 'http://gw' },
    ]);
    expect(hit.spec.params?.[0]?.value).toBe('llm-d');
  });

  const options = parseKitArgs(
    ['--namespace', 'bench', '--image', 'registry.example/kv-cache-bench:1.0.0@sha256:' + 'a'.repeat(64)],
    {},
  );
  const plan = buildPlan({
    options,
    root: '/repo',
    catalogResources: ['tasks', 'pipelines', 'rbac'],
    workDir: '/tmp/kit',
    runId: 'kit-1',
    runDocs: {
      restart: { ...hit, spec: { ...hit.spec, pipelineRef: { name: 'kv-cache-pod-restart' } } },
      hit,
      ramp: hit,
    },
    pipelineParams: new Map([
      ['kv-cache-ramp', new Set(['namespace', 'image', 'host-header'])],
      ['kv-cache-pod-restart', new Set(['namespace'])],
    ]),
  });

  it('installs the root catalog into the namespace through a kustomization with relative paths', () => {
    expect(plan.kustomization).toBe(
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: bench\nresources:\n' +
        '  - ../../../repo/tasks\n  - ../../../repo/pipelines\n  - ../../../repo/rbac\n',
    );
    expect(plan.kubectl.apply).toEqual(['apply', '-n', 'bench', '-f', '/tmp/kit/catalog.yaml']);
  });

  it('waits for each run its own timeout plus five minutes, and passes --image to the Pipelines that take it', () => {
    expect(plan.runs.map((r) => [r.name, r.timeoutMs])).toEqual([
      ['restart', 35 * 60_000],
      ['hit', 35 * 60_000],
      ['ramp', 35 * 60_000],
    ]);
    expect(plan.runs[1]?.doc.spec.params?.map((p) => p.name)).toEqual([
      'namespace',
      'stages',
      'host-header',
      'image',
    ]);
    expect(plan.runs[0]?.doc.spec.params?.map((p) => p.name)).toEqual(['namespace', 'stages']);
  });

  it('cleans up by its label and by the list of objects it created', () => {
    expect(plan.kubectl.deleteRuns).toEqual([
      'delete',
      '-n',
      'bench',
      'pipelineruns',
      '-l',
      `${RUN_LABEL}=kit-1`,
      '--ignore-not-found',
    ]);
    expect(plan.kubectl.deleteCatalog).toEqual([
      'delete',
      '-n',
      'bench',
      '-f',
      '/tmp/kit/created.yaml',
      '--ignore-not-found',
    ]);
  });

  it.each([
    [['kubectl', 'get', 'pods'], 'kubectl get pods'],
    [['kubectl', '-l', 'a=b,c'], 'kubectl -l a=b,c'],
    [['x', "it's", '$(params.x)', 'a b', ''], `x 'it'\\''s' '$(params.x)' 'a b' ''`],
  ])('prints %j as %s', (argv, line) => {
    expect(shellLine(argv)).toBe(line);
  });
});

describe('the prerequisite checks', () => {
  it.each([
    [
      fail('Error from server (NotFound): the server could not find the requested resource'),
      false,
      'not installed: the API server does not serve tekton.dev/v1',
    ],
    [
      ok(JSON.stringify({ resources: [{ name: 'tasks' }, { name: 'pipelines' }] })),
      false,
      'does not serve pipelineruns, taskruns',
    ],
    [
      ok(
        JSON.stringify({
          resources: ['tasks', 'pipelines', 'pipelineruns', 'taskruns', 'customruns'].map((name) => ({
            name,
          })),
        }),
      ),
      true,
      'serves tasks, pipelines, pipelineruns, taskruns',
    ],
    [fail('Unable to connect to the server: dial tcp: i/o timeout'), false, 'cannot read API discovery'],
  ])('Tekton: %j → %s', (r, good, detail) => {
    const c = tektonCheck(r);
    expect([c.ok, c.detail]).toEqual([good, expect.stringContaining(detail)]);
  });

  const pod = (name: string, ready: boolean) => ({
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  it.each([
    [[], false, 'no pod matches app=x in namespace ns (check --selector / --namespace'],
    [[pod('a', false)], false, '1 pods match app=x but none is Ready'],
    [[pod('a', true), pod('b', false)], true, '1 of 2 matching app=x are Ready'],
  ])('decode pods %#', (items, good, detail) => {
    const c = podsCheck(ok(JSON.stringify({ items })), 'ns', 'app=x');
    expect([c.ok, c.detail]).toEqual([good, expect.stringContaining(detail)]);
  });

  it('a missing namespace and a denied permission are named', () => {
    expect(
      namespaceCheck(fail('Error from server (NotFound): namespaces "x" not found'), 'x').detail,
    ).toContain('not found: create it');
    const c = permissionsCheck(
      [
        { verb: 'create', resource: 'tasks.tekton.dev', r: ok('yes\n') },
        {
          verb: 'create',
          resource: 'roles.rbac.authorization.k8s.io',
          r: { code: 1, stdout: 'no\n', stderr: '' },
        },
      ],
      'ns',
    );
    expect([c.ok, c.detail]).toEqual([
      false,
      "kubectl auth can-i -n ns says no to: create roles.rbac.authorization.k8s.io (ask for the namespace's admin or edit role)",
    ]);
  });

  const models = JSON.stringify({ data: [{ id: 'meta-llama/Llama-3.2-3B-Instruct' }] });
  it.each([
    [{ status: 200, body: models }, true, 'answers from here and serves meta-llama/Llama-3.2-3B-Instruct'],
    [
      { status: 200, body: JSON.stringify({ data: [{ id: 'other' }] }) },
      false,
      'serves other, not meta-llama/Llama-3.2-3B-Instruct (pass --model)',
    ],
    [{ status: 404, body: '' }, false, 'answered 404 from here for Host h: no route (check --host-header'],
    [{ status: 401, body: '' }, true, 'it wants an API key'],
    [{ status: 503, body: '' }, false, 'is there a Ready pod behind the gateway?'],
    [{ status: 200, body: '<html>' }, false, 'not with an OpenAI model list'],
    [
      { error: 'connect ECONNREFUSED 127.0.0.1:1' },
      false,
      'no answer from here: connect ECONNREFUSED 127.0.0.1:1 (check --gateway-url)',
    ],
  ])('gateway %j', (probe, good, detail) => {
    const c = gatewayCheck(probe, 'http://gw', 'h', 'meta-llama/Llama-3.2-3B-Instruct', 'from here');
    expect([c.ok, c.detail]).toEqual([good, expect.stringContaining(detail)]);
  });

  it.each([
    ['http://llm-d-gateway-istio.llm-d.svc.cluster.local', true],
    ['http://gw.llm-d.svc:8080', true],
    ['http://gateway', true],
    ['http://127.0.0.1:8080', false],
    ['http://localhost:8080', false],
    ['https://gw.apps.example.com', false],
    ['http://[::1]:80', false],
  ])('%s is in-cluster only: %s', (url, inCluster) => {
    expect(isInClusterUrl(url)).toBe(inCluster);
  });
});

describe('the probe pod', () => {
  it('passes the URL and host as arguments, restricted and out of the mesh', () => {
    const args = podProbeArgs({
      namespace: 'ns',
      podName: 'p',
      image: 'img:1',
      gatewayUrl: 'http://gw',
      hostHeader: 'h',
      runLabel: `${RUN_LABEL}=k`,
    });
    expect(args.slice(-5)).toEqual(['node', '-e', POD_PROBE_SCRIPT, 'http://gw', 'h']);
    expect(POD_PROBE_SCRIPT).not.toContain('http://gw');
    expect(args).toContain(`--labels=sidecar.istio.io/inject=false,${RUN_LABEL}=k`);
    const overrides = JSON.parse(args.find((a) => a.startsWith('--overrides='))?.slice(12) ?? '{}') as {
      spec: { containers: { name: string; securityContext: unknown }[] };
    };
    expect(overrides.spec.containers[0]).toMatchObject({
      name: 'p',
      securityContext: { allowPrivilegeEscalation: false },
    });
  });

  it.each([
    ['HTTP 200 {"data":[]}\n', { status: 200, body: '{"data":[]}' }],
    ['pod "p" deleted\nHTTP 404 \n', { status: 404, body: '' }],
    ['ERROR getaddrinfo ENOTFOUND gw\n', { error: 'getaddrinfo ENOTFOUND gw (from a pod in the namespace)' }],
    ['', { error: 'the probe pod did not report: error: ImagePullBackOff' }],
  ])('reads %j', (stdout, expected) => {
    expect(parsePodProbe(stdout, 'error: ImagePullBackOff\n', 1)).toEqual(expected);
  });
});

describe('a run status', () => {
  const status = (s: string, reason: string, results?: Record<string, string>) =>
    JSON.stringify({
      status: {
        conditions: [{ type: 'Succeeded', status: s, reason, message: 'm' }],
        ...(results ? { results: Object.entries(results).map(([name, value]) => ({ name, value })) } : {}),
      },
    });

  it.each([
    [status('Unknown', 'Running'), false, false],
    [status('True', 'Succeeded', { verdict: 'PASS', 'hit-rate': '0.93' }), true, true],
    [status('True', 'Succeeded'), true, true],
    [status('True', 'Succeeded', { verdict: 'FAIL' }), true, false],
    [status('False', 'Failed', { verdict: 'FAIL' }), true, false],
    [JSON.stringify({}), false, false],
  ])('%s: done %s, pass %s', (json, done, pass) => {
    const s = runState(json);
    expect([s.done, passed(s)]).toEqual([done, pass]);
  });

  it('reports the figures, or the reason it failed', () => {
    expect(
      resultLine(
        'hit',
        'cache-hit-run-x',
        runState(
          status('True', 'Succeeded', {
            'hit-rate': '0.8',
            stickiness: 'GOOD',
            verdict: 'PASS',
            summary: '{}',
          }),
        ),
      ),
    ).toBe('hit      PASS  cache-hit-run-x  hit-rate=0.8 stickiness=GOOD verdict=PASS');
    expect(resultLine('restart', 'r', runState(status('False', 'Failed')))).toBe(
      'restart  FAIL  r  Failed  (Failed: m)',
    );
    expect(resultLine('ramp', '-', undefined)).toBe('ramp     not run');
  });
});
