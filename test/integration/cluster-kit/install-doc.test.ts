// docs/INSTALL-CLUSTER.md, command by command, wherever it can run here: against the embedded stack (its
// API stores what `kubectl apply` sends), on a copy of the repository for the commands that rewrite
// files, or by being the very commands another test runs. What cannot run here says why below: the
// OpenShift build (`oc`, build.openshift.io) and the in-cluster build's completion (it fetches from
// GitHub and runs buildah; test/unit/release/build-image.test.ts runs it up to buildah).
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';
import { parseKitArgs } from '../../cluster/kit/options.ts';
import { shellCommands } from '../../unit/docs/markdown.ts';
import { ROOT } from '../../unit/tekton/catalog-files.ts';

const DOC = readFileSync(join(ROOT, 'docs/INSTALL-CLUSTER.md'), 'utf8');
const DIGEST = `sha256:${'7'.repeat(64)}`;
const BUILT = `image-registry.openshift-image-registry.svc:5000/llm-d/kv-cache-bench:main@${DIGEST}`;

/** The bash block after `<!-- install-cluster: NAME -->`. */
function block(name: string): string {
  const at = DOC.indexOf(`<!-- install-cluster: ${name} -->`);
  const m = /```bash\n([\s\S]*?)\n```/.exec(DOC.slice(at));
  if (at < 0 || !m) throw new Error(`docs/INSTALL-CLUSTER.md has no bash block marked ${name}`);
  return m[1] as string;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** bash -eo pipefail -c, async so the in-process stack keeps answering. */
function sh(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) =>
    execFile(
      'bash',
      ['-eo', 'pipefail', '-c', script],
      { cwd, env, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: typeof err?.code === 'number' ? err.code : err ? 1 : 0, stdout, stderr }),
    ),
  );
}

/** The command lines of a block: no comments, no blank lines. */
const commands = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => l.trim());

let stack: StackHandle;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'install-doc-'));
  stack = await startStack({
    pods: 1,
    latency: 'zero',
    readyDelayMs: 100,
    tokenizer: 'approx',
    tekton: false,
  });
  env = { ...process.env, KUBECONFIG: stack.kubeconfigPath, KUBECACHEDIR: join(dir, 'kube-cache') };
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docs/INSTALL-CLUSTER.md', () => {
  it('keeps its steps in order: get the image, install the catalog, the Quick Start, the kit', () => {
    const headings = DOC.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## 1. Get the image',
      '## 2. Install the catalog',
      '## 3. Run the Quick Start',
      '## 4. Run the end-to-end kit',
    ]);
  });

  it('check-image: what a checkout names is the tag a release will push', async () => {
    const r = await sh(block('check-image'), ROOT, env);
    expect([r.code, r.stdout]).toEqual([
      0,
      expect.stringContaining('every Task and Pipeline image default under'),
    ]);
  }, 30_000);

  it('build: installs the build Task and Pipeline on their own and starts the run (completion needs a cluster)', async () => {
    // Only the first two lines: the run fetches from GitHub and runs buildah, which cannot happen here.
    const [apply, create] = commands(block('build'));
    const r = await sh(`${apply}\n${create}\necho "$RUN"`, ROOT, env);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^pipelinerun\.tekton\.dev\/kv-cache-build-image-run-\w+$/m);
    const sa = await sh(
      `kubectl get -n llm-d ${r.stdout.trim().split('\n').pop() ?? ''} -o jsonpath='{.spec.taskRunTemplate.serviceAccountName}'`,
      ROOT,
      env,
    );
    expect(sa.stdout).toBe('pipeline');
    await sh(
      'kubectl delete -n llm-d pipelineruns --all && kubectl delete -n llm-d -f tasks/kv-cache-build-image -f pipelines/kv-cache-build-image.yaml',
      ROOT,
      env,
    );
  }, 60_000);

  describe('on a copy of the repository', () => {
    let copy: string;
    beforeEach(() => {
      copy = mkdtempSync(join(dir, 'repo-'));
      for (const p of [
        'tasks',
        'pipelines',
        'pipelineruns',
        'triggers',
        'rbac',
        'overlays',
        'docs',
        'scripts',
        'README.md',
        'kustomization.yaml',
        'package.json',
      ])
        cpSync(join(ROOT, p), join(copy, p), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    });

    it('overlay: one `kustomize edit set image` points every Task and Pipeline at the image', async () => {
      // kubectl has no `edit`: a stand-in for the kustomize CLI writes the images: entry exactly as
      // kustomize v5.5.0 `edit set image a=b:tag@digest` does (newName, newTag, digest; checked by hand).
      const bin = join(copy, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'kustomize'),
        `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(bin, 'kustomize.mjs'))} "$@"\n`,
      );
      chmodSync(join(bin, 'kustomize'), 0o755);
      writeFileSync(
        join(bin, 'kustomize.mjs'),
        [
          `import { readFileSync, writeFileSync } from 'node:fs';`,
          `import { parse, stringify } from ${JSON.stringify(join(ROOT, 'node_modules/yaml/dist/index.js'))};`,
          `const [edit, set, what, spec] = process.argv.slice(2);`,
          `if (edit !== 'edit' || set !== 'set' || what !== 'image') process.exit(3);`,
          `const [name, ref] = spec.split(/=(.*)/s);`,
          `const [nameTag, digest] = ref.split('@');`,
          `const i = nameTag.lastIndexOf(':');`,
          `const k = parse(readFileSync('kustomization.yaml', 'utf8'));`,
          `k.images = [...(k.images ?? []).filter((x) => x.name !== name), { digest, name, newName: nameTag.slice(0, i), newTag: nameTag.slice(i + 1) }];`,
          `writeFileSync('kustomization.yaml', stringify(k));`,
        ].join('\n'),
      );
      const r = await sh(block('overlay'), copy, { ...env, IMAGE: BUILT, PATH: `${bin}:${env.PATH ?? ''}` });
      const withImage = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', copy], { encoding: 'utf8' }),
      ).filter((d) =>
        (d.toJS() as { spec?: { params?: { name: string }[] } }).spec?.params?.some(
          (p) => p.name === 'image',
        ),
      ).length;
      expect([r.code, r.stdout.trim()]).toEqual([0, String(withImage)]);
    }, 30_000);

    it('pin: the release script rewrites the checkout to the built image', async () => {
      const r = await sh(block('pin'), copy, { ...env, IMAGE: BUILT });
      expect([r.code, r.stdout]).toEqual([0, expect.stringContaining(`Tasks and Pipelines to ${BUILT}`)]);
      const check = await sh(`npm run release:pin-image -- --check "$IMAGE"`, copy, { ...env, IMAGE: BUILT });
      expect(check.code).toBe(0);
    }, 30_000);
  });

  it('install: `kubectl apply -k .` installs the catalog and lists it', async () => {
    const r = await sh(block('install'), ROOT, env);
    expect(r.code).toBe(0);
    for (const o of [
      'task.tekton.dev/kv-cache-ramp-load',
      'pipeline.tekton.dev/kv-cache-ramp',
      'serviceaccount/kv-cache-bench',
      'rolebinding.rbac.authorization.k8s.io/kv-cache-bench',
    ])
      expect(r.stdout).toContain(o);
  }, 60_000);

  it('quick-start: the same commands the local Quick Start runs against the embedded stack', () => {
    const local = readFileSync(join(ROOT, 'docs/QUICKSTART-LOCAL.md'), 'utf8');
    const at = local.indexOf('<!-- quickstart-local: session -->');
    const session = /```bash\n([\s\S]*?)\n```/.exec(local.slice(at))?.[1] ?? '';
    // test/integration/quickstart runs that block; here it is without --kubeconfig, the install done in step 2.
    const expected = commands(session)
      .filter((l) => !l.startsWith('KC=') && !l.endsWith('apply -k .'))
      .map((l) => l.replace(' --kubeconfig "$KC"', ''));
    expect(commands(block('quick-start'))).toEqual(expected);
  });

  it('kit-dry-run: prints the plan against the cluster kubectl points at', async () => {
    const r = await sh(block('kit-dry-run'), ROOT, { ...env, TMPDIR: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok    Tekton Pipelines');
    expect(r.stdout).toContain('dry run: nothing was changed');
  }, 60_000);

  it('kit: its flags are the kit’s (the run itself: test/integration/cluster-kit/kit.test.ts)', () => {
    const [words] = shellCommands(block('kit'));
    expect(words?.[0]).toBe('test/cluster/run.sh');
    expect(parseKitArgs(words?.slice(1) ?? [], {})).toMatchObject({
      namespace: 'llm-d',
      selector: 'llm-d.ai/role=decode',
      hostHeader: 'llm-d.demo.local',
    });
  });
});
