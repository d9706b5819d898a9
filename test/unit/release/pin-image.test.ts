// scripts/pin-image.ts (`npm run release:pin-image -- <ref>`): the release workflow's rewrite of every
// Task's and Pipeline's image default to <registry>/<repository>:<version>@sha256:<digest>. Tested on a
// copy of the catalog with a fake digest: every default moves, nothing else in a file changes, the
// result is still valid Tekton (CRD schemas), kustomizes, and `--check` agrees.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  catalogFiles,
  formatImageRef,
  imageDefaults,
  parseImageRef,
  rewriteText,
  rewriteYaml,
} from '../../../scripts/pin-image.ts';
import type { Task } from '../../../src/tekton/types.ts';
import { ROOT } from '../tekton/catalog-files.ts';
import { loadCrdValidators } from '../tekton/crd-schema.ts';

const SCRIPT = join(ROOT, 'scripts/pin-image.ts');
/** What the Tasks name now: <repository>:<version> before a release, pinned by digest in a release's tree. */
const CURRENT = String(
  imageDefaults(readFileSync(join(ROOT, 'tasks/kv-cache-warmup/kv-cache-warmup.yaml'), 'utf8'), 'warmup').get(
    'Task/kv-cache-warmup',
  ),
);
const OLD = CURRENT.split('@')[0] as string;
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const PINNED = `${OLD}@${DIGEST}`;

describe('parseImageRef', () => {
  it.each([
    [PINNED, { name: 'quay.io/kv-cache-bench/kv-cache-bench', tag: '0.1.0', digest: DIGEST }],
    [
      `image-registry.openshift-image-registry.svc:5000/llm-d/kv-cache-bench:main@${DIGEST}`,
      {
        name: 'image-registry.openshift-image-registry.svc:5000/llm-d/kv-cache-bench',
        tag: 'main',
        digest: DIGEST,
      },
    ],
    [
      `localhost/kv-cache-bench:v1.2.3-rc.1@${DIGEST}`,
      { name: 'localhost/kv-cache-bench', tag: 'v1.2.3-rc.1', digest: DIGEST },
    ],
  ])('reads %s', (ref, expected) => {
    expect(parseImageRef(ref, { requireDigest: true })).toEqual(expected);
    expect(formatImageRef(expected)).toBe(ref);
  });

  it.each([
    [`quay.io/kv-cache-bench/kv-cache-bench:latest@${DIGEST}`, 'the tag latest moves'],
    [`quay.io/kv-cache-bench/kv-cache-bench@${DIGEST}`, 'no tag'],
    [OLD, 'no digest'],
    [`${OLD}@sha256:abc`, 'bad digest'],
    [`${OLD}@md5:${'0'.repeat(32)}`, 'bad digest'],
    [`kv-cache-bench:0.1.0@${DIGEST}`, 'not a <registry>/<repository> name'],
    [`kv-cache-bench/kv-cache-bench:0.1.0@${DIGEST}`, 'no registry host'],
    [`quay.io/KV/kv-cache-bench:0.1.0@${DIGEST}`, 'not a <registry>/<repository> name'],
    [`${PINNED}@${DIGEST}`, 'more than one @'],
    ['', 'not a <registry>/<repository> name'],
  ])('refuses %j: %s', (ref, why) => {
    expect(() => parseImageRef(ref, { requireDigest: true })).toThrow(why);
  });

  it('accepts a tag alone only where no digest is required (--check before a release)', () => {
    expect(parseImageRef(OLD, { requireDigest: false })).toEqual({
      name: 'quay.io/kv-cache-bench/kv-cache-bench',
      tag: '0.1.0',
    });
  });
});

describe('rewriteYaml and rewriteText', () => {
  const yaml = [
    '# a comment naming quay.io/kv-cache-bench/kv-cache-bench:0.1.0 stays',
    'apiVersion: tekton.dev/v1',
    'kind: Task',
    'metadata: {name: t}',
    'spec:',
    '  description: >-',
    '    folded text that',
    '    survives',
    '  params:',
    '    - name: image',
    `      default: ${OLD}`,
    '    - name: other',
    `      default: "${OLD}"`,
    '    - name: list',
    `      default: ['${OLD}', '${OLD}-suffix']`,
    '  steps:',
    '    - image: $(params.image)',
    '',
  ].join('\n');

  it('replaces every value equal to the old reference, keeping quotes, comments and layout', () => {
    const r = rewriteYaml(yaml, 'fixture.yaml', new Set([OLD]), PINNED);
    expect(r.count).toBe(3);
    expect(r.text).toBe(
      yaml
        .replace(`default: ${OLD}\n`, `default: ${PINNED}\n`)
        .replace(`"${OLD}"`, `"${PINNED}"`)
        .replace(`['${OLD}',`, `['${PINNED}',`),
    );
    expect(imageDefaults(r.text, 'fixture.yaml')).toEqual(new Map([['Task/t', PINNED]]));
  });

  it('replaces whole mentions in prose, never the front of a longer reference', () => {
    const md = `| \`image\` | x | \`${OLD}\` |\nrun --image=${OLD} now; not ${OLD}@sha256:ff or ${OLD}.1\n`;
    expect(rewriteText(md, new Set([OLD]), PINNED)).toEqual({
      text: `| \`image\` | x | \`${PINNED}\` |\nrun --image=${PINNED} now; not ${OLD}@sha256:ff or ${OLD}.1\n`,
      count: 2,
    });
  });
});

function pin(root: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(root: string): Map<string, string> {
  const f = catalogFiles(root);
  return new Map([...f.yaml, ...f.markdown].map((p) => [p, readFileSync(join(root, p), 'utf8')]));
}

describe('npm run release:pin-image -- <ref>, on a copy of the catalog', () => {
  let root: string;
  let before: Map<string, string>;
  let run: ReturnType<typeof pin>;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'pin-image-'));
    for (const p of [
      'tasks',
      'pipelines',
      'pipelineruns',
      'triggers',
      'rbac',
      'docs',
      'README.md',
      'kustomization.yaml',
    ])
      cpSync(join(ROOT, p), join(root, p), { recursive: true });
    before = snapshot(root);
    run = pin(root, PINNED);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('exits 0 and says what it pinned', () => {
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`to ${PINNED} (was ${CURRENT})`);
  });

  it('rewrites every Task and Pipeline image default; the steps still take $(params.image)', () => {
    const files = catalogFiles(root).yaml;
    const defaults = new Map(
      files.flatMap((f) => [...imageDefaults(readFileSync(join(root, f), 'utf8'), f)]),
    );
    const tasks = [...defaults.keys()].filter((k) => k.startsWith('Task/'));
    // Every Task that runs the CLI: all but the image build, which runs git and buildah.
    const taskDirs = files.filter((f) => /^tasks\/[^/]+\/[^/]+\.yaml$/.test(f)).length;
    expect(tasks.length).toBe(taskDirs - 1);
    expect(new Set(defaults.values())).toEqual(new Set([PINNED]));
    for (const f of files.filter((x) => x.startsWith('tasks/') && !x.endsWith('kustomization.yaml'))) {
      const task = parseAllDocuments(readFileSync(join(root, f), 'utf8'))[0]?.toJS() as Task;
      if (task.spec.params?.some((p) => p.name === 'image'))
        for (const s of task.spec.steps) expect(s.image).toBe('$(params.image)');
    }
  });

  it('changes nothing but the reference, line for line', () => {
    const after = snapshot(root);
    const changed: string[] = [];
    for (const [file, text] of before) {
      const now = after.get(file) ?? '';
      if (now === text) continue;
      changed.push(file);
      const a = text.split('\n');
      const b = now.split('\n');
      expect(b.length).toBe(a.length);
      a.forEach((line, i) => {
        if (line !== b[i]) expect(b[i]).toBe(line.split(CURRENT).join(PINNED));
      });
    }
    expect(changed).toEqual(
      expect.arrayContaining([
        'triggers/cronjob.yaml',
        'tasks/kv-cache-warmup/README.md',
        'pipelines/kv-cache-ramp.yaml',
      ]),
    );
    expect(changed.filter((f) => f.includes('kv-cache-build-image'))).toEqual([]);
  });

  it('leaves every Task, Pipeline and PipelineRun valid against the Tekton v1.15.0 CRD schemas', () => {
    const crd = loadCrdValidators();
    const tekton = catalogFiles(root).yaml.filter(
      (x) => /^(tasks|pipelines|pipelineruns)\//.test(x) && !x.endsWith('kustomization.yaml'),
    );
    expect(tekton.length).toBeGreaterThan(15);
    for (const f of tekton)
      for (const doc of parseAllDocuments(readFileSync(join(root, f), 'utf8')))
        expect([f, crd.validate(doc.toJS())]).toEqual([f, []]);
  });

  it('kustomizes: kubectl kustomize shows the pinned image in every Task, and the CronJob runs it', () => {
    const catalog = execFileSync('kubectl', ['kustomize', root], { encoding: 'utf8' });
    const tasks = parseAllDocuments(catalog)
      .map((d) => d.toJS() as Task)
      .filter((o) => o.kind === 'Task');
    expect(tasks.length).toBeGreaterThan(5);
    for (const t of tasks)
      expect([t.metadata.name, t.spec.params?.find((p) => p.name === 'image')?.default]).toEqual([
        t.metadata.name,
        PINNED,
      ]);
    const cron = execFileSync('kubectl', ['kustomize', join(root, 'triggers')], { encoding: 'utf8' });
    expect(cron).toContain(`image: ${PINNED}\n`);
  });

  it('--check agrees with the pinned reference and names every file still on the old one', () => {
    expect(pin(root, '--check', PINNED)).toMatchObject({ status: 0, stderr: '' });
    const stale = pin(root, '--check', OLD);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(`Task/kv-cache-warmup image default is "${PINNED}", not ${OLD}`);
    expect(stale.stderr).toContain(`triggers/cronjob.yaml: image ${PINNED}, not ${OLD}`);
  });

  it('pins again over a pinned catalog (the next release)', () => {
    const next = `quay.io/kv-cache-bench/kv-cache-bench:0.2.0@sha256:${'f'.repeat(64)}`;
    const copy = mkdtempSync(join(tmpdir(), 'pin-again-'));
    try {
      for (const p of ['tasks', 'pipelines', 'pipelineruns', 'triggers', 'docs', 'README.md'])
        cpSync(join(root, p), join(copy, p), { recursive: true });
      expect(pin(copy, next).status).toBe(0);
      expect(pin(copy, '--check', next).status).toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('what pin-image refuses, leaving every file as it was', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pin-refuse-'));
    for (const p of ['tasks', 'pipelines', 'pipelineruns', 'triggers', 'docs', 'README.md'])
      cpSync(join(ROOT, p), join(root, p), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    [`quay.io/kv-cache-bench/kv-cache-bench:latest@${DIGEST}`, 'the tag latest moves; name a version'],
    [OLD, 'no digest'],
  ])('%s: exit 2, %s', (ref, message) => {
    const before = snapshot(root);
    const r = pin(root, ref);
    expect([r.status, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain(message);
    expect(snapshot(root)).toEqual(before);
  });

  it('Tasks that disagree on their image: exit 2, naming them', () => {
    const file = join(root, 'tasks/kv-cache-report/kv-cache-report.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(`default: ${CURRENT}`, 'default: quay.io/x/kv-cache-bench:9.9.9'),
    );
    const before = snapshot(root);
    const r = pin(root, PINNED);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Task/kv-cache-report=quay.io/x/kv-cache-bench:9.9.9');
    expect(snapshot(root)).toEqual(before);
  });

  it.each([[[]], [['a', 'b']], [['--bogus', PINNED]]])('bad arguments %j: exit 2 with the usage', (args) => {
    const r = pin(root, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: npm run release:pin-image --');
  });
});
