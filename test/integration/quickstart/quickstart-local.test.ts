// The README's Quick Start, verbatim, with no cluster (issue #10): the two bash blocks of
// docs/QUICKSTART-LOCAL.md — `kv-cache-bench sim --tls …` in one shell, then `kubectl apply -k .` and the
// restart, hit and ramp PipelineRuns with `kubectl create -f` / `kubectl wait` in another — run as a user
// runs them (real kubectl, the built CLI). Then what they left behind is read back like on a cluster.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  kubectlWith,
  quickstartBlock,
  resultsOf,
  ROOT,
  succeeded,
  type PipelineRunJson,
  type Run,
} from './helpers.ts';

const GRADES = ['EXCELLENT', 'GOOD', 'FAIR', 'POOR'];

/** Newest mtime under a directory (the sources the built CLI must not be older than). */
function newest(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile() && e.name.endsWith('.ts'))
      max = Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs);
  return max;
}

/** The block runs `node dist/src/bin.js`: build it when the sources are newer (npm test's pretest did). */
function ensureBuilt(): void {
  const bin = join(ROOT, 'dist/src/bin.js');
  const built = statSync(bin, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built >= newest(join(ROOT, 'src'))) return;
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
  } catch {
    // Type errors still emit (no noEmitOnError); a missing entry point is what matters.
    if (!statSync(bin, { throwIfNoEntry: false }))
      throw new Error('npm run build did not produce dist/src/bin.js');
  }
}

let dir: string;
let env: NodeJS.ProcessEnv;
let sim: ChildProcess;
let simExit: Promise<number | null>;
let simOut = '';
let kubectl: (...args: string[]) => Promise<Run>;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'quickstart-local-'));
  // TMPDIR places the state file the blocks share; KUBECACHEDIR keeps kubectl's caches out of ~/.kube.
  env = { ...process.env, TMPDIR: dir, KUBECACHEDIR: join(dir, 'kube-cache'), KUBECONFIG: undefined };
  sim = spawn('bash', ['-c', quickstartBlock('sim')], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  simExit = new Promise((resolve) => sim.on('exit', (code) => resolve(code)));
  sim.stderr?.on('data', (c: Buffer) => (simOut += c.toString()));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    sim.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (/^gateway: /m.test(stdout)) resolve();
    });
    void simExit.then((code) => reject(new Error(`sim exited ${code} before it was ready:\n${simOut}`)));
  });
  const state = JSON.parse(readFileSync(join(dir, 'kv-cache-bench-sim.json'), 'utf8')) as {
    kubeconfig: string;
  };
  kubectl = kubectlWith(state.kubeconfig, env);
}, 120_000);

afterAll(async () => {
  if (sim?.pid !== undefined && sim.exitCode === null) process.kill(-sim.pid, 'SIGTERM');
  if (simExit) await simExit;
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function decodePodUids(): Promise<string[]> {
  const r = await kubectl(
    'get',
    'pods',
    '-n',
    'llm-d',
    '-l',
    'llm-d.ai/role=decode',
    '-o',
    'jsonpath={.items[*].metadata.uid}',
  );
  return r.stdout.trim().split(/\s+/).sort();
}

async function pipelineRuns(): Promise<PipelineRunJson[]> {
  const r = await kubectl('get', 'pipelineruns', '-n', 'llm-d', '-o', 'json');
  return (JSON.parse(r.stdout) as { items: PipelineRunJson[] }).items;
}

/** Runs the session block; a run that ends Succeeded=False stops it at once (its `wait` would time out). */
async function runSession(): Promise<{
  code: number | null;
  stdout: string;
  stderr: string;
  failed?: string;
}> {
  const child = spawn('bash', ['-eo', 'pipefail', '-c', quickstartBlock('session')], {
    cwd: ROOT,
    env,
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let failed: string | undefined;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    if (done) break;
    const bad = (await pipelineRuns()).find((pr) => succeeded(pr)?.status === 'False');
    if (bad) {
      failed = `${bad.metadata.name}: ${JSON.stringify(succeeded(bad))}`;
      process.kill(-child.pid!, 'SIGTERM');
    }
  }
  return { code: await exited, stdout, stderr, ...(failed ? { failed } : {}) };
}

describe('the Quick Start with no cluster (docs/QUICKSTART-LOCAL.md, verbatim)', () => {
  let before: string[];
  let session: Awaited<ReturnType<typeof runSession>>;
  let runs: Map<string, PipelineRunJson>;

  beforeAll(async () => {
    before = await decodePodUids();
    session = await runSession();
    const all = await pipelineRuns();
    runs = new Map(all.map((pr) => [pr.metadata.generateName ?? pr.metadata.name, pr]));
  }, 600_000);

  it('runs every command of the session to the end', () => {
    expect({
      code: session.code,
      failed: session.failed,
      stderr: session.code === 0 ? '' : session.stderr,
    }).toEqual({
      code: 0,
      failed: undefined,
      stderr: '',
    });
    expect(session.stdout).toMatch(/serviceaccount\/kv-cache-bench created/);
    expect(session.stdout).toMatch(/role\.rbac\.authorization\.k8s\.io\/kv-cache-bench created/);
    expect(session.stdout).toMatch(/task\.tekton\.dev\/kv-cache-measure created/);
    expect(session.stdout).toMatch(/pipeline\.tekton\.dev\/kv-cache-ramp created/);
    expect(session.stdout.match(/condition met/g)).toHaveLength(3);
  });

  it('the restart run replaced every decode pod (new uids) and succeeded', async () => {
    const restart = runs.get('cache-pod-restart-run-');
    expect(succeeded(restart!)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    const after = await decodePodUids();
    expect(after).toHaveLength(before.length);
    expect(after.filter((u) => before.includes(u))).toEqual([]);
  });

  it.each([
    ['cache-hit-run-', 0.5],
    ['cache-ramp-run-', 0.9],
  ])(
    '%s: hit-rate, stickiness and verdict in .status.results (prefix-aware: hit rate above %s)',
    async (prefix, min) => {
      const pr = runs.get(prefix)!;
      expect(succeeded(pr)).toMatchObject({ status: 'True', reason: 'Succeeded' });
      const r = await kubectl(
        'get',
        'pipelinerun',
        '-n',
        'llm-d',
        pr.metadata.name,
        '-o',
        'jsonpath={.status.results}',
      );
      const results = Object.fromEntries(
        (JSON.parse(r.stdout) as { name: string; value: string }[]).map((x) => [x.name, x.value]),
      );
      expect(Object.keys(results).sort()).toEqual(['hit-rate', 'stickiness', 'verdict']);
      expect(Number(results['hit-rate'])).toBeGreaterThan(min);
      expect(GRADES).toContain(results.stickiness);
      expect(results.verdict).toBe('PASS');
      expect(resultsOf(pr)).toEqual(results);
    },
  );

  it('writes TaskRuns owned by each run, listed in childReferences, with pods whose step logs kubectl reads', async () => {
    const ramp = runs.get('cache-ramp-run-')!;
    const trs = JSON.parse(
      (
        await kubectl(
          'get',
          'taskruns',
          '-n',
          'llm-d',
          '-l',
          `tekton.dev/pipelineRun=${ramp.metadata.name}`,
          '-o',
          'json',
        )
      ).stdout,
    ) as {
      items: {
        metadata: { name: string; ownerReferences: { kind: string; uid: string }[] };
        status: {
          podName: string;
          conditions: { reason: string }[];
          startTime: string;
          completionTime: string;
        };
      }[];
    };
    expect(trs.items.map((t) => t.metadata.name)).toEqual(ramp.status?.childReferences?.map((c) => c.name));
    const measure = trs.items[0]!;
    expect(measure.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'PipelineRun', uid: ramp.metadata.uid }),
    ]);
    expect(measure.status.conditions[0]?.reason).toBe('Succeeded');
    const log = await kubectl('logs', '-n', 'llm-d', measure.status.podName, '-c', 'step-report');
    expect(log.stdout).toMatch(/VERDICT: PASS/);
    const table = await kubectl('get', 'pipelinerun', '-n', 'llm-d');
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+SUCCEEDED\s+REASON\s+STARTTIME\s+COMPLETIONTIME$/);
  });
});
