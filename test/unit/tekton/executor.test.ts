// The local executor on small inline Pipelines whose steps are `node -e` one-liners.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  catalogFrom,
  parseDocuments,
  pipelineRunFor,
  runPipelineRun,
  type Catalog,
  type RunPipelineOptions,
} from '../../../src/tekton/index.ts';

const TASKS = `
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: echo}
spec:
  params:
    - {name: word}
    - {name: list, type: array, default: []}
  results:
    - {name: said}
  steps:
    - name: say
      image: node:24
      command: [node, -e, "require('fs').writeFileSync(process.argv[1], process.argv.slice(2).join(' '))"]
      args: ["$(results.said.path)", "$(params.word)", "$(params.list[*])"]
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: append}
spec:
  params:
    - {name: word}
    - {name: delay-ms, default: "0"}
  workspaces:
    - {name: log}
  steps:
    - name: append
      image: node:24
      command: [node, -e, "setTimeout(() => require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n'), Number(process.argv[3]))"]
      args: ["$(workspaces.log.path)/order.txt", "$(params.word)", "$(params.delay-ms)"]
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: fail}
spec:
  steps:
    - {name: fail, image: node:24, command: [node, -e, "process.exit(3)"]}
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: sleep}
spec:
  steps:
    - {name: sleep, image: node:24, command: [node, -e, "setTimeout(() => {}, 20000)"]}
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: tolerant}
spec:
  results:
    - {name: after}
  steps:
    - {name: breaks, image: node:24, onError: continue, command: [node, -e, "process.exit(2)"]}
    - name: goes-on
      image: node:24
      command: [node, -e, "require('fs').writeFileSync(process.argv[1], 'ran')", "$(results.after.path)"]
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: big-result}
spec:
  params:
    - {name: bytes}
  results:
    - {name: blob}
  steps:
    - name: write
      image: node:24
      command: [node, -e, "require('fs').writeFileSync(process.argv[1], 'x'.repeat(Number(process.argv[2])))", "$(results.blob.path)", "$(params.bytes)"]
    - {name: never, image: node:24, command: [node, -e, "0"]}
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: whoami}
spec:
  results:
    - {name: kubeconfig}
  steps:
    - name: read
      image: node:24
      command: [node, -e, "require('fs').writeFileSync(process.argv[1], process.env.KUBECONFIG ?? 'unset')", "$(results.kubeconfig.path)"]
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: secret-env}
spec:
  params:
    - {name: secret}
    - {name: optional, default: "true"}
  results:
    - {name: key}
  steps:
    - name: read
      image: node:24
      command: [node, -e, "require('fs').writeFileSync(process.argv[1], process.env.API_KEY ?? 'unset')", "$(results.key.path)"]
      env:
        - name: API_KEY
          valueFrom:
            secretKeyRef: {name: "$(params.secret)", key: api-key, optional: true}
`;

function pipeline(name: string, spec: string): string {
  return `apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: ${name}}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
}

const PIPELINES = [
  pipeline(
    'pass-results',
    `params:
  - {name: greeting, default: hello}
  - {name: extra, type: array, default: [big, world]}
results:
  - {name: final, value: "$(tasks.second.results.said)"}
tasks:
  - name: second
    taskRef: {name: echo}
    params:
      - {name: word, value: "$(tasks.first.results.said) again in $(context.pipelineRun.name)"}
  - name: first
    taskRef: {name: echo}
    params:
      - {name: word, value: "$(params.greeting)"}
      - {name: list, value: ["$(params.extra[*])"]}`,
  ),
  pipeline(
    'ordering',
    `workspaces:
  - {name: shared}
tasks:
  - {name: slow, taskRef: {name: append}, params: [{name: word, value: slow}, {name: delay-ms, value: "400"}], workspaces: [{name: log, workspace: shared}]}
  - {name: after-slow, runAfter: [slow], taskRef: {name: append}, params: [{name: word, value: after-slow}], workspaces: [{name: log, workspace: shared}]}
  - {name: quick, taskRef: {name: append}, params: [{name: word, value: quick}], workspaces: [{name: log, workspace: shared}]}`,
  ),
  pipeline(
    'conditional',
    `params:
  - {name: mode, default: fast}
tasks:
  - name: when-fast
    taskRef: {name: echo}
    params: [{name: word, value: fast}]
    when: [{input: "$(params.mode)", operator: in, values: [fast]}]
  - name: unless-fast
    taskRef: {name: echo}
    params: [{name: word, value: slow}]
    when: [{input: "$(params.mode)", operator: notin, values: [fast, quick]}]
  - name: reads-skipped
    taskRef: {name: echo}
    params: [{name: word, value: "$(tasks.unless-fast.results.said)"}]`,
  ),
  pipeline(
    'failing',
    `results:
  - {name: status, value: "$(finally.report.results.said)"}
tasks:
  - {name: good, taskRef: {name: echo}, params: [{name: word, value: ok}]}
  - {name: bad, runAfter: [good], taskRef: {name: fail}}
  - {name: after-bad, runAfter: [bad], taskRef: {name: echo}, params: [{name: word, value: never}]}
finally:
  - name: report
    taskRef: {name: echo}
    params: [{name: word, value: "$(tasks.status)/$(tasks.bad.status)/$(tasks.good.status)/$(tasks.after-bad.status)"}]`,
  ),
  pipeline(
    'fan',
    `params:
  - {name: words, type: array, default: [x, y]}
results:
  - {name: all, type: array, value: "$(tasks.m.results.said[*])"}
tasks:
  - name: m
    taskRef: {name: echo}
    matrix:
      params:
        - {name: word, value: ["$(params.words[*])"]}
      include:
        - {name: extra, params: [{name: word, value: z}]}
  - name: after
    runAfter: [m]
    taskRef: {name: echo}
    params: [{name: word, value: "$(tasks.m.matrix.length) runs"}]`,
  ),
  pipeline('tolerant', `tasks:\n  - {name: t, taskRef: {name: tolerant}}`),
  pipeline(
    'flaky',
    `tasks:
  - name: inline
    retries: 2
    taskSpec:
      results:
        - {name: attempt}
      steps:
        - name: fail-first
          image: node:24
          command: [node, -e, "require('fs').writeFileSync(process.argv[1], process.argv[2]); process.exit(process.argv[2] === '0' ? 1 : 0)"]
          args: ["$(results.attempt.path)", "$(context.task.retry-count)"]
  - name: referenced
    taskRef: {name: echo}
    params: [{name: word, value: "$(context.task.retry-count)"}]`,
  ),
  pipeline(
    'big',
    `params:\n  - {name: bytes}\nresults:\n  - {name: blob, value: "$(tasks.b.results.blob)"}\ntasks:\n  - {name: b, taskRef: {name: big-result}, params: [{name: bytes, value: "$(params.bytes)"}]}`,
  ),
  pipeline(
    'secret',
    `params:\n  - {name: secret}\ntasks:\n  - {name: s, taskRef: {name: secret-env}, params: [{name: secret, value: "$(params.secret)"}]}`,
  ),
  pipeline('whoami', `tasks:\n  - {name: w, taskRef: {name: whoami}}`),
  pipeline(
    'slow',
    `tasks:\n  - {name: s, taskRef: {name: sleep}}\nfinally:\n  - {name: f, taskRef: {name: echo}, params: [{name: word, value: x}]}`,
  ),
  pipeline(
    'missing-result',
    `tasks:\n  - {name: a, taskRef: {name: tolerant}}\n  - {name: b, taskRef: {name: echo}, params: [{name: word, value: "$(tasks.a.results.nothing)"}]}`,
  ),
];

let catalog: Catalog;
let dir: string;

beforeAll(() => {
  catalog = catalogFrom(parseDocuments(TASKS + '---\n' + PIPELINES.join('---\n'), 'inline'));
  dir = mkdtempSync(join(tmpdir(), 'tekton-exec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(name: string, params: Record<string, string> = {}, extra: Partial<RunPipelineOptions> = {}) {
  return runPipelineRun({
    catalog,
    pipelineRun: pipelineRunFor(name, params),
    dir: mkdtempSync(join(dir, `${name}-`)),
    random: () => 0.5,
    ...extra,
  });
}

describe('local Tekton executor', () => {
  it('passes params, whole arrays and results between tasks, ordered by result references', async () => {
    const pr = await run('pass-results');
    expect(pr.condition).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(pr.name).toBe('pass-results-run-rrrrr');
    expect(pr.taskRuns.first?.name).toBe('pass-results-run-rrrrr-first');
    expect(pr.taskRuns.first?.results).toEqual([{ name: 'said', value: 'hello big world' }]);
    expect(pr.results).toEqual([{ name: 'final', value: 'hello big world again in pass-results-run-rrrrr' }]);
    expect(pr.taskRuns.first?.steps[0]?.command.slice(3)).toEqual([
      '/tekton/results/said',
      'hello',
      'big',
      'world',
    ]);
  });

  it('runs independent tasks at once and a runAfter task only after its parent, sharing a claim workspace', async () => {
    const ws = mkdtempSync(join(dir, 'claim-'));
    const pr = await run('ordering', {}, { workspaces: [{ name: 'shared', hostPath: ws }] });
    expect(pr.condition.status).toBe('True');
    expect(readFileSync(join(ws, 'order.txt'), 'utf8').trim().split('\n')).toEqual([
      'quick',
      'slow',
      'after-slow',
    ]);
  });

  it('gives each TaskRun its own emptyDir, as pods do', async () => {
    const pr = await run('ordering', {}, { workspaces: [{ name: 'shared', emptyDir: {} }] });
    expect(pr.condition.status).toBe('True');
    const local = (t: string) => pr.taskRuns[t]?.steps[0]?.localCommand[3] ?? '';
    expect(new Set([local('slow'), local('quick'), local('after-slow')]).size).toBe(3);
    expect(readFileSync(local('quick'), 'utf8')).toBe('quick\n');
  });

  it("skips tasks whose when is false, and a task reading a skipped task's result; the run ends Completed", async () => {
    const pr = await run('conditional');
    expect(pr.condition).toMatchObject({ status: 'True', reason: 'Completed' });
    expect(Object.keys(pr.taskRuns)).toEqual(['when-fast']);
    expect(pr.skippedTasks).toEqual([
      { name: 'unless-fast', reason: 'When Expressions evaluated to false' },
      { name: 'reads-skipped', reason: 'Results were missing' },
    ]);
  });

  it('stops starting tasks after a failure and runs finally with $(tasks.status)', async () => {
    const pr = await run('failing');
    expect(pr.condition).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 1',
    });
    expect(pr.taskRuns.bad?.condition).toMatchObject({
      reason: 'Failed',
      message: '"step-fail" exited with code 3',
    });
    expect(pr.skippedTasks).toEqual([{ name: 'after-bad', reason: 'PipelineRun was stopping' }]);
    expect(pr.results).toEqual([{ name: 'status', value: 'Failed/Failed/Succeeded/None' }]);
  });

  it('fans a matrixed task out into one TaskRun per combination and gathers its results into arrays', async () => {
    const pr = await run('fan');
    expect(pr.condition).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(Object.entries(pr.taskRuns).map(([k, tr]) => [k, tr.name])).toEqual([
      ['m/0', 'fan-run-rrrrr-m-0'],
      ['m/1', 'fan-run-rrrrr-m-1'],
      ['m/2', 'fan-run-rrrrr-m-2'],
      ['after', 'fan-run-rrrrr-after'],
    ]);
    expect(pr.taskRuns.after?.results).toEqual([{ name: 'said', value: '3 runs' }]);
    expect(pr.results).toEqual([{ name: 'all', value: ['x', 'y', 'z'] }]);
  });

  it('retries a failed TaskRun, substituting retry-count only for an inline taskSpec', async () => {
    const pr = await run('flaky');
    expect(pr.condition).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect([pr.taskRuns.inline?.retriesStatus, pr.taskRuns.inline?.results]).toEqual([
      1,
      [{ name: 'attempt', value: '1' }],
    ]);
    expect(pr.taskRuns.referenced?.results).toEqual([{ name: 'said', value: '$(context.task.retry-count)' }]);
  });

  it('keeps going after a step with onError: continue and records its exit code', async () => {
    const pr = await run('tolerant');
    const tr = pr.taskRuns.t;
    expect(tr?.condition).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(tr?.steps.map((s) => [s.name, s.exitCode, s.terminationReason])).toEqual([
      ['breaks', 2, 'Error'],
      ['goes-on', 0, 'Completed'],
    ]);
    expect(tr?.results).toEqual([{ name: 'after', value: 'ran' }]);
  });

  it.each([
    [3900, 'True'],
    [4096, 'False'],
  ])('a %d-byte result %s: the termination message holds at most 4096 bytes', async (bytes, ok) => {
    const pr = await run('big', { bytes: String(bytes) });
    const tr = pr.taskRuns.b;
    expect(tr?.condition.status).toBe(ok);
    if (ok === 'False') {
      expect(tr?.condition.message).toContain('Termination message is above max allowed size 4096');
      expect(tr?.steps.map((s) => s.terminationReason)).toEqual(['Error', 'Skipped']);
      expect(pr.results).toEqual([]);
    } else {
      expect(pr.results[0]?.value).toHaveLength(bytes);
    }
  });

  it.each([
    [{ 'api-key': { 'api-key': 'sekret' } }, 'sekret'],
    [{}, 'unset'],
  ])('reads env from a Secret, leaving an optional missing one unset', async (secrets, value) => {
    const pr = await run('secret', { secret: 'api-key' }, { secrets });
    expect(pr.taskRuns.s?.results).toEqual([{ name: 'key', value }]);
  });

  it("gives steps the credentials of the run's ServiceAccount, and fails a run naming an unknown one", async () => {
    const pipelineRun = pipelineRunFor('whoami');
    pipelineRun.spec.taskRunTemplate = { serviceAccountName: 'kv-cache-bench' };
    const serviceAccounts = { 'kv-cache-bench': { env: { KUBECONFIG: '/sa/kubeconfig' } } };
    const ok = await runPipelineRun({
      catalog,
      pipelineRun,
      serviceAccounts,
      dir: mkdtempSync(join(dir, 'sa-')),
    });
    expect(ok.taskRuns.w?.results).toEqual([{ name: 'kubeconfig', value: '/sa/kubeconfig' }]);
    const missing = await runPipelineRun({
      catalog,
      pipelineRun: pipelineRunFor('whoami'),
      serviceAccounts,
      dir: mkdtempSync(join(dir, 'sa-')),
    });
    expect(missing.taskRuns.w?.condition).toMatchObject({
      status: 'False',
      reason: 'PodCreationFailed',
      message: 'serviceaccounts "default" not found',
    });
    expect(missing.condition).toMatchObject({ status: 'False', reason: 'Failed' });
  });

  it('fails the run when a pipeline param without default is missing, or the pipeline does not exist', async () => {
    expect((await run('secret')).condition).toMatchObject({ status: 'False', reason: 'ParameterMissing' });
    expect((await run('nope')).condition).toMatchObject({ status: 'False', reason: 'CouldntGetPipeline' });
  });

  it('fails the run when a successful task never writes a result another task reads', async () => {
    const pr = await run('missing-result');
    expect(pr.condition).toMatchObject({ status: 'False', reason: 'InvalidTaskResultReference' });
  });

  it('cancels running tasks and skips finally when timeouts.pipeline passes', async () => {
    const pipelineRun = pipelineRunFor('slow');
    pipelineRun.spec.timeouts = { pipeline: '1s' };
    const started = Date.now();
    const pr = await runPipelineRun({ catalog, pipelineRun, dir: mkdtempSync(join(dir, 'slow-')) });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pr.condition).toMatchObject({ status: 'False', reason: 'PipelineRunTimeout' });
    expect(pr.taskRuns.s?.condition.reason).toBe('TaskRunCancelled');
    expect(pr.skippedTasks).toEqual([{ name: 'f', reason: 'PipelineRun timeout has been reached' }]);
  });

  it('reports the exact commands of a dry run without running anything', async () => {
    const pr = await run('pass-results', { greeting: 'hi' }, { dryRun: true });
    expect(pr.condition).toMatchObject({ status: 'Unknown', reason: 'DryRun' });
    const first = pr.taskRuns.first?.steps[0];
    expect(first?.command.slice(0, 2)).toEqual(['node', '-e']);
    expect(first?.command.slice(3)).toEqual(['/tekton/results/said', 'hi', 'big', 'world']);
    expect(first?.localCommand[0]).toBe(process.execPath);
    expect(pr.taskRuns.second?.steps[0]?.command[4]).toBe(
      '$(tasks.first.results.said) again in pass-results-run-rrrrr',
    );
  });
});
