// The in-cluster image build (issue #11): the kv-cache-build-image Task, Pipeline and PipelineRun hold to
// their own conventions (git and buildah steps, not the CLI), and the local executor runs the Pipeline
// for real up to buildah: git fetches this repository at HEAD, and a hook standing in for buildah records
// the exact commands and where they ran. (The catalog tests validate the same files against Tekton's CRD
// schemas and tekton-lint.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, loadPipelineRun, runPipelineRun, type Catalog } from '../../../src/tekton/index.ts';
import type { Pipeline, PipelineRun, Task } from '../../../src/tekton/types.ts';
import { IMAGE_BUILD, readYaml, ROOT } from '../tekton/catalog-files.ts';

const task = readYaml(`tasks/${IMAGE_BUILD.task}/${IMAGE_BUILD.task}.yaml`).docs[0] as unknown as Task;
const pipeline = readYaml(`pipelines/${IMAGE_BUILD.pipeline}.yaml`).docs[0] as unknown as Pipeline;
const run = readYaml(IMAGE_BUILD.run).docs[0] as unknown as PipelineRun;
const INTERNAL_REGISTRY = 'image-registry.openshift-image-registry.svc:5000';
const PINNED = /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9/._-]+:[A-Za-z0-9_][A-Za-z0-9_.-]*@sha256:[a-f0-9]{64}$/;
const param = (name: string) => task.spec.params?.find((p) => p.name === name);

describe('the kv-cache-build-image Task', () => {
  it('runs every step as one explicit command: git or buildah, no script', () => {
    expect(task.spec.steps.map((s) => [s.name, s.command?.[0], s.script])).toEqual([
      ['git-init', 'git', undefined],
      ['git-fetch', 'git', undefined],
      ['git-checkout', 'git', undefined],
      ['git-commit', 'git', undefined],
      ['build', 'buildah', undefined],
      ['push', 'buildah', undefined],
      ['image-url', '/bin/sh', undefined],
    ]);
  });

  it('never lets a param reach a shell: the one shell line is fixed and reads env', () => {
    const sh = task.spec.steps.find((s) => s.command?.[0] === '/bin/sh');
    expect(sh?.command?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(sh?.command?.[2]).not.toContain('$(');
    expect(sh?.args).toBeUndefined();
    expect(sh?.env?.map((e) => e.value)).toEqual(['$(params.output-image)', '$(results.IMAGE_URL.path)']);
  });

  it('ends git options with -- so a URL or revision is never read as a flag', () => {
    const fetch = task.spec.steps.find((s) => s.name === 'git-fetch')?.args ?? [];
    expect(fetch.slice(fetch.indexOf('--'))).toEqual(['--', '$(params.git-url)', '$(params.git-revision)']);
  });

  it('pins its tool images by tag and digest, and every param has a description and a default', () => {
    expect(param('git-image')?.default).toMatch(PINNED);
    expect(param('buildah-image')?.default).toMatch(PINNED);
    for (const p of task.spec.params ?? [])
      expect([p.name, typeof p.description, typeof p.default]).toEqual([p.name, 'string', 'string']);
    expect(task.spec.steps.map((s) => s.image)).toEqual([
      ...Array(4).fill('$(params.git-image)'),
      ...Array(3).fill('$(params.buildah-image)'),
    ]);
  });

  it('asks only for what the OpenShift Pipelines buildah Task asks: SETFCAP on the buildah steps', () => {
    for (const s of task.spec.steps) {
      const expected =
        s.name === 'build' || s.name === 'push' ? { capabilities: { add: ['SETFCAP'] } } : undefined;
      expect([s.name, s.securityContext]).toEqual([s.name, expected]);
    }
    expect(JSON.stringify(task)).not.toMatch(/privileged|runAsUser/);
  });

  it("writes the digest with buildah's --digestfile into IMAGE_DIGEST, the result name Tekton Chains reads", () => {
    expect(task.spec.results?.map((r) => r.name)).toEqual(['IMAGE_URL', 'IMAGE_DIGEST', 'commit']);
    expect(task.spec.steps.find((s) => s.name === 'push')?.args).toContain(
      '--digestfile=$(results.IMAGE_DIGEST.path)',
    );
  });

  it('carries the catalog metadata, in the Image Build category', () => {
    expect(task.metadata.labels).toEqual({
      'app.kubernetes.io/version': '0.1.0',
      'sidecar.istio.io/inject': 'false',
    });
    expect(task.metadata.annotations?.['tekton.dev/categories']).toBe('Image Build');
    expect(task.metadata.annotations?.['tekton.dev/pipelines.minVersion']).toBe('1.0.0');
  });
});

describe('the kv-cache-build-image Pipeline and PipelineRun', () => {
  it('pushes to <registry>/<namespace of the run>/kv-cache-bench:<tag>, the internal registry by default', () => {
    const build = pipeline.spec.tasks[0];
    expect(build?.params?.find((p) => p.name === 'output-image')?.value).toBe(
      '$(params.image-registry)/$(context.pipelineRun.namespace)/kv-cache-bench:$(params.image-tag)',
    );
    const defaults = Object.fromEntries((pipeline.spec.params ?? []).map((p) => [p.name, p.default]));
    expect(defaults).toMatchObject({ 'image-registry': INTERNAL_REGISTRY, 'git-revision': 'main' });
    expect(defaults['image-tag']).not.toBe('latest');
  });

  it('gives the pushed image by tag and digest as the image-ref result', () => {
    expect(pipeline.spec.results?.find((r) => r.name === 'image-ref')?.value).toBe(
      '$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)',
    );
  });

  it("runs as OpenShift Pipelines' pipeline ServiceAccount with a timeout", () => {
    expect(run.spec.pipelineRef?.name).toBe(IMAGE_BUILD.pipeline);
    expect(run.spec.taskRunTemplate?.serviceAccountName).toBe(IMAGE_BUILD.serviceAccount);
    expect(run.spec.timeouts?.pipeline).toBe('30m');
  });
});

describe('the build Pipeline through the local executor', () => {
  let dir: string;
  let catalog: Catalog;
  const digest = `sha256:${'5a'.repeat(32)}`;
  const image = `${INTERNAL_REGISTRY}/llm-d/kv-cache-bench:main`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'build-image-'));
    catalog = loadCatalog(ROOT);
    // Stands in for buildah: records its argv and working directory, and writes a digest where
    // `buildah push --digestfile` would.
    writeFileSync(
      join(dir, 'buildah.mjs'),
      [
        "import { appendFileSync, existsSync, writeFileSync } from 'node:fs';",
        'const args = process.argv.slice(2);',
        "const files = ['Dockerfile', 'package.json', 'package-lock.json'].filter((f) => existsSync(f));",
        "appendFileSync(process.env.BUILDAH_LOG, JSON.stringify({ args, cwd: process.cwd(), files }) + '\\n');",
        "const d = args.find((a) => a.startsWith('--digestfile='));",
        `if (d) writeFileSync(d.slice('--digestfile='.length), ${JSON.stringify(digest)});`,
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves to the exact commands a cluster would run (dry run)', async () => {
    const pr = await runPipelineRun({
      catalog,
      pipelineRun: loadPipelineRun(join(ROOT, IMAGE_BUILD.run)),
      namespace: 'llm-d',
      dir: join(dir, 'dry'),
      dryRun: true,
    });
    expect(pr.condition.reason).toBe('DryRun');
    const steps = pr.taskRuns.build?.steps ?? [];
    expect(Object.fromEntries(steps.map((s) => [s.name, s.command]))).toEqual({
      'git-init': ['git', 'init', '--quiet', '/source'],
      'git-fetch': [
        'git',
        '-C',
        '/source',
        'fetch',
        '--quiet',
        '--depth=1',
        '--',
        'https://github.com/kv-cache-bench/kv-cache-bench.git',
        'main',
      ],
      'git-checkout': ['git', '-C', '/source', 'checkout', '--quiet', '--detach', 'FETCH_HEAD'],
      'git-commit': [
        'git',
        '-C',
        '/source',
        'log',
        '-1',
        '--pretty=format:%H',
        '--output=/tekton/results/commit',
      ],
      build: [
        'buildah',
        '--storage-driver=vfs',
        'build',
        '--isolation=chroot',
        '--format=oci',
        '--tls-verify=true',
        '--build-arg=REVISION=main',
        '--file=./Dockerfile',
        `--tag=${image}`,
        '.',
      ],
      push: [
        'buildah',
        '--storage-driver=vfs',
        'push',
        '--tls-verify=true',
        '--digestfile=/tekton/results/IMAGE_DIGEST',
        image,
        `docker://${image}`,
      ],
      'image-url': ['/bin/sh', '-c', 'printf "%s" "$OUTPUT_IMAGE" > "$RESULT_FILE"'],
    });
    expect(steps.every((s) => s.exitCode === null)).toBe(true);
  });

  it('fetches this repository for real, then hands buildah the checkout with the Dockerfile', async () => {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const log = join(dir, 'buildah.jsonl');
    const pr = await runPipelineRun({
      catalog,
      pipelineRun: loadPipelineRun(join(ROOT, IMAGE_BUILD.run)),
      params: { 'git-url': `file://${ROOT}`, 'git-revision': 'HEAD' },
      namespace: 'llm-d',
      commands: { buildah: [process.execPath, join(dir, 'buildah.mjs')] },
      env: { BUILDAH_LOG: log },
      dir: join(dir, 'real'),
    });
    const explain = Object.values(pr.taskRuns)
      .flatMap((tr) => tr.steps.map((s) => `${s.name} ${String(s.exitCode)}: ${s.log.slice(-400)}`))
      .join('\n');
    expect({ condition: pr.condition.status, explain }).toEqual({ condition: 'True', explain });
    expect(Object.fromEntries(pr.results.map((r) => [r.name, r.value]))).toEqual({
      'image-url': image,
      'image-digest': digest,
      'image-ref': `${image}@${digest}`,
      commit: head,
    });
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { args: string[]; cwd: string; files: string[] });
    expect(calls.map((c) => c.args[1])).toEqual(['build', 'push']);
    expect(calls[0]?.args).toEqual(
      pr.taskRuns.build?.steps.find((s) => s.name === 'build')?.command.slice(1),
    );
    // The build ran in the fetched checkout: the Dockerfile and the lockfile its first stage copies.
    expect(calls[0]?.files).toEqual(['Dockerfile', 'package.json', 'package-lock.json']);
    expect(existsSync(join(calls[0]?.cwd ?? '', '.git'))).toBe(true);
  });

  it('fails the run, and pushes nothing, when the revision does not exist', async () => {
    const log = join(dir, 'buildah-missing.jsonl');
    const pr = await runPipelineRun({
      catalog,
      pipelineRun: loadPipelineRun(join(ROOT, IMAGE_BUILD.run)),
      params: { 'git-url': `file://${ROOT}`, 'git-revision': 'no-such-branch-kv-cache-bench' },
      namespace: 'llm-d',
      commands: { buildah: [process.execPath, join(dir, 'buildah.mjs')] },
      env: { BUILDAH_LOG: log },
      dir: join(dir, 'missing'),
    });
    expect(pr.condition.status).toBe('False');
    const steps = pr.taskRuns.build?.steps ?? [];
    expect(steps.find((s) => s.name === 'git-fetch')?.exitCode).not.toBe(0);
    expect(steps.filter((s) => s.terminationReason === 'Skipped').map((s) => s.name)).toEqual([
      'git-checkout',
      'git-commit',
      'build',
      'push',
      'image-url',
    ]);
    expect(existsSync(log)).toBe(false);
  });
});
