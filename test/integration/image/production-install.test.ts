// What the image does, without a container engine (issue #6; DESIGN "Tests and set-up"): the package as
// npm packs it, its production dependencies installed from the lockfile exactly as the Dockerfile does
// (`npm ci --omit=dev --ignore-scripts`), a root-owned install nobody else may write, and the CLI run
// from there as OpenShift restricted-v2 runs it: an arbitrary UID in group 0, no capabilities, no new
// privileges, HOME and the working directory group-0 writable. `demo` to completion proves no dev
// dependency is needed at run time and nothing writes where it may not.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
/** An OpenShift namespace-range UID (restricted-v2 assigns one like it); no passwd entry exists for it. */
const ARBITRARY_UID = '1000770000';
const NODE_DIR = dirname(process.execPath);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The Dockerfile's build stage runs `npm run build`; so does npm test's pretest. Building again here is an
 * incremental no-op then (a few seconds), and keeps this test honest when it runs on its own after an
 * edit: it packs the dist/ of the sources it sees. A build that fails is an image that does not build.
 */
function build(): void {
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    throw new Error(
      `npm run build fails, so the image would not build:\n${out.split('\n').slice(0, 20).join('\n')}`,
    );
  }
}

/** path → size:mode of every file and directory under dir, to prove the run changed nothing there. */
function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(entry.parentPath, entry.name);
    const st = statSync(p, { throwIfNoEntry: false });
    out.set(relative(dir, p), st ? `${st.size}:${st.mode.toString(8)}:${st.mtimeMs}` : 'dangling');
  }
  return out;
}

function npmEnv(): NodeJS.ProcessEnv {
  // npm's `#!/usr/bin/env node` must find the project's Node 24, not the system's.
  return {
    ...process.env,
    PATH: `${NODE_DIR}:${process.env.PATH ?? ''}`,
    npm_config_update_notifier: 'false',
  };
}

let tmp: string;
let app: string;
let runEnv: NodeJS.ProcessEnv;

function asArbitraryUid(args: string[], cwd: string): Promise<Run> {
  // restricted-v2: MustRunAsRange UID, GID 0, capabilities dropped, allowPrivilegeEscalation: false.
  return run(
    'setpriv',
    [
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      `--reuid=${ARBITRARY_UID}`,
      '--regid=0',
      '--clear-groups',
      '--',
      ...args,
    ],
    { cwd, env: runEnv },
  );
}

beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error(
      'the image-equivalent test switches to an arbitrary UID with setpriv: run the tests as root (CI does)',
    );
  build();

  tmp = mkdtempSync(join(tmpdir(), 'kvb-image-'));
  chmodSync(tmp, 0o755); // mkdtemp makes it 0700: the arbitrary UID must traverse it
  execFileSync('npm', ['pack', '--pack-destination', tmp, '--silent'], {
    cwd: ROOT,
    env: npmEnv(),
    stdio: 'pipe',
  });
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${tmp}`);
  execFileSync('tar', ['-xzf', join(tmp, tarball), '-C', tmp]);
  app = join(tmp, 'package');
  // npm pack leaves the lockfile out; the image copies it beside package.json.
  copyFileSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  execFileSync(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
    {
      cwd: app,
      env: npmEnv(),
      stdio: 'pipe',
    },
  );

  // As in the Dockerfile: the install is root's and read-only to everyone else — group 0 included, which
  // is the arbitrary UID's group — and `kv-cache-bench` on PATH is a symlink to the executable bin.js.
  chmodSync(join(app, 'dist/src/bin.js'), 0o755);
  execFileSync('chown', ['-R', '0:0', app]);
  execFileSync('chmod', ['-R', 'go-w', app]);
  const bin = join(tmp, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  symlinkSync(join(app, 'dist/src/bin.js'), join(bin, 'kv-cache-bench'));
  // Writable places are owned by root and writable through group 0 only (chgrp 0 + chmod g=u).
  for (const dir of ['home', 'work', 'tmp']) {
    mkdirSync(join(tmp, dir));
    chmodSync(join(tmp, dir), 0o770);
  }
  runEnv = {
    // The image's PATH: the CLI's symlink and a Node 24 (the image's /usr/bin/node); nothing from the repo.
    PATH: `${bin}:${NODE_DIR}:/usr/bin:/bin`,
    HOME: join(tmp, 'home'),
    TMPDIR: join(tmp, 'tmp'),
    NODE_ENV: 'production',
    LANG: 'C.UTF-8',
  };
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the production install (what the image holds)', () => {
  it('holds no development dependency and has no other node_modules to fall back on', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const dev = Object.entries(installed.packages).filter(([, p]) => p.dev === true);
    expect(dev.map(([name]) => name)).toEqual([]);
    for (const name of ['typescript', 'jest', 'ts-jest', 'openai', 'playwright-core', 'node'])
      expect({ name, installed: existsSync(join(app, 'node_modules', name)) }).toEqual({
        name,
        installed: false,
      });
    // Node resolves bare imports up the directory tree: no ancestor may offer the repo's dependencies.
    for (let dir = dirname(app); dir !== dirname(dir); dir = dirname(dir))
      expect({ dir, nodeModules: existsSync(join(dir, 'node_modules')) }).toEqual({
        dir,
        nodeModules: false,
      });
  });

  it('answers --help through the kv-cache-bench symlink, as the image CMD and Tekton steps call it', async () => {
    const r = await asArbitraryUid(['kv-cache-bench', '--help'], join(tmp, 'work'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const cmd of [
      'restart-pods',
      'scrape-metrics',
      'warmup',
      'ramp-load',
      'report',
      'run',
      'demo',
      'sim',
    ])
      expect(r.stdout).toContain(cmd);
  });

  it('runs demo to completion as an arbitrary UID in group 0, writing only to its working directory and HOME', async () => {
    const before = listing(app);
    const work = join(tmp, 'work');
    // The small shape's upper bound is below the default 0.9 gate, so the gate is set under it.
    const r = await asArbitraryUid(
      [
        'kv-cache-bench',
        'demo',
        '--sessions',
        '6',
        '--turns',
        '3',
        '--stages',
        '4x12',
        '--latency',
        'zero',
        '--min-hit-rate',
        '0.5',
      ],
      work,
    );
    const outRoot = join(work, 'kv-cache-bench-out');
    const runs = existsSync(outRoot) ? readdirSync(outRoot) : [];
    if (runs.length !== 1)
      throw new Error(
        `demo exited ${r.code} with ${runs.length} out dirs; stderr:\n${r.stderr.slice(-2000)}`,
      );
    const out = join(outRoot, runs[0] as string);
    for (const file of [
      'snapshot-0-start.json',
      'warmup.jsonl',
      'snapshot-1-warm.json',
      'records.jsonl',
      'records.stages.jsonl',
      'snapshot-2-end.json',
      'report.json',
      'report.md',
      'report.html',
    ])
      expect({ file, written: existsSync(join(out, file)) }).toEqual({ file, written: true });
    for (const result of ['hit-rate', 'stickiness', 'verdict', 'summary'])
      expect(readFileSync(join(out, 'results', result), 'utf8').length).toBeGreaterThan(0);
    // Written by the arbitrary UID, not by root.
    expect(statSync(join(out, 'report.json')).uid).toBe(Number(ARBITRARY_UID));

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      verdict: string;
      requests: { total: number; errors: number; throughputRps?: number };
      hitRate: { delta: number | null; upperBound: number | null };
      gates: { name: string; ok: boolean }[];
    };
    expect(report.requests).toMatchObject({ total: 12, errors: 0 });
    expect(report.hitRate.delta).toBeGreaterThan(0.5);
    expect(r.stdout).toContain(`VERDICT: ${report.verdict}`);
    // Exit 0 means every gate passed. The one gate this machine, not the image, can fail is
    // "no generator-limited stage": a 12-request stage on 2 busy cores may see one event-loop stall
    // above 20 ms. Then the exit code must be 1 and say so; any other failure fails this test.
    const failed = report.gates.filter((g) => !g.ok).map((g) => g.name);
    if (r.code === 0) expect(failed).toEqual([]);
    else expect({ code: r.code, failed }).toEqual({ code: 1, failed: ['no-generator-limited-stage'] });

    // Nothing in the install changed: it could not (permissions), and the run did not need it to.
    expect(listing(app)).toEqual(before);
  }, 180_000);
});
