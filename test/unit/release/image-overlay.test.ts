// overlays/image (and overlays/image-triggers): pointing the catalog at another image with one
// `kustomize edit set image`. kustomize's images: transformer alone never touches Tekton param defaults;
// the overlay's image-params.yaml makes it. Proven with `kubectl kustomize`, as a user would run it:
// the same objects as `kubectl apply -k .`, with only the image defaults changed.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse, stringify } from 'yaml';
import type { Pipeline, Task } from '../../../src/tekton/types.ts';
import { ROOT } from '../tekton/catalog-files.ts';

type Obj = (Task | Pipeline | { kind: string; metadata: { name?: string }; spec?: unknown }) & {
  metadata: { name?: string; namespace?: string };
};

function kustomize(dir: string): Obj[] {
  return parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map(
    (d) => d.toJS() as Obj,
  );
}

const imageDefault = (o: Obj): unknown =>
  o.kind === 'Task' || o.kind === 'Pipeline'
    ? (o as Task).spec.params?.find((p) => p.name === 'image')?.default
    : undefined;
const withImage = (objects: Obj[]) => objects.filter((o) => imageDefault(o) !== undefined);
const INTERNAL = 'image-registry.openshift-image-registry.svc:5000/llm-d/kv-cache-bench';
const DIGEST = `sha256:${'9'.repeat(64)}`;

describe('kubectl kustomize overlays/image', () => {
  const base = kustomize(ROOT);
  const overlay = kustomize(join(ROOT, 'overlays/image'));

  it('renders the objects `kubectl apply -k .` installs, in the same namespace', () => {
    const ids = (os: Obj[]) => os.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`).sort();
    expect(ids(overlay)).toEqual(ids(base));
  });

  it('points every Task and Pipeline image default at the namespace build (tag main)', () => {
    const tasks = withImage(overlay).filter((o) => o.kind === 'Task');
    expect(tasks.length).toBe(base.filter((o) => o.kind === 'Task').length);
    for (const o of withImage(overlay))
      expect([o.kind, o.metadata.name, imageDefault(o)]).toEqual([
        o.kind,
        o.metadata.name,
        `${INTERNAL}:main`,
      ]);
  });

  it('changes nothing else: with the image defaults put back, every object equals the base', () => {
    const restore = (o: Obj): Obj => {
      const copy = structuredClone(o);
      const p = (copy as Task).spec?.params?.find((x) => x.name === 'image');
      const original = base.find((b) => b.kind === o.kind && b.metadata.name === o.metadata.name);
      if (p && original) p.default = imageDefault(original);
      return copy;
    };
    expect(overlay.map(restore)).toEqual(base);
  });

  it('without image-params.yaml the images: transformer leaves the Tekton defaults alone (why it exists)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'overlay-'));
    try {
      for (const p of ['tasks', 'pipelines', 'rbac'])
        cpSync(join(ROOT, p), join(dir, p), { recursive: true });
      cpSync(join(ROOT, 'overlays'), join(dir, 'overlays'), { recursive: true });
      const file = join(dir, 'overlays/image/kustomization.yaml');
      const k = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      delete k.configurations;
      writeFileSync(file, stringify(k));
      const defaults = new Set(withImage(kustomize(join(dir, 'overlays/image'))).map(imageDefault));
      expect(defaults).toEqual(new Set(withImage(base).map(imageDefault)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('after `kustomize edit set image` with a digest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'overlay-set-'));
    for (const p of ['tasks', 'pipelines', 'rbac', 'triggers', 'overlays'])
      cpSync(join(ROOT, p), join(dir, p), { recursive: true });
    // What `kustomize edit set image quay.io/kv-cache-bench/kv-cache-bench=<INTERNAL>:build-7@<DIGEST>`
    // writes (checked with kustomize v5.5.0): newName, newTag and digest on the entry of that name.
    for (const overlay of ['image', 'image-triggers']) {
      const file = join(dir, 'overlays', overlay, 'kustomization.yaml');
      const k = parse(readFileSync(file, 'utf8')) as { images: Record<string, string>[] };
      expect(k.images.map((i) => i.name)).toEqual(['quay.io/kv-cache-bench/kv-cache-bench']);
      k.images = [
        {
          digest: DIGEST,
          name: 'quay.io/kv-cache-bench/kv-cache-bench',
          newName: INTERNAL,
          newTag: 'build-7',
        },
      ];
      writeFileSync(file, stringify(k));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every Task and Pipeline defaults to <registry>/<repository>:<tag>@<digest>', () => {
    const objects = withImage(kustomize(join(dir, 'overlays/image')));
    expect(objects.filter((o) => o.kind === 'Task').length).toBeGreaterThan(5);
    expect(new Set(objects.map(imageDefault))).toEqual(new Set([`${INTERNAL}:build-7@${DIGEST}`]));
  });

  it('the nightly CronJob runs the same image (overlays/image-triggers)', () => {
    const cron = kustomize(join(dir, 'overlays/image-triggers')).find((o) => o.kind === 'CronJob');
    expect(JSON.stringify(cron)).toContain(`"image":"${INTERNAL}:build-7@${DIGEST}"`);
  });

  it('still matches once a release has pinned the defaults by digest (kustomize matches the name)', () => {
    const pinned = `quay.io/kv-cache-bench/kv-cache-bench:0.1.0@sha256:${'1'.repeat(64)}`;
    const pin = spawnSync(process.execPath, [join(ROOT, 'scripts/pin-image.ts'), '--root', dir, pinned], {
      encoding: 'utf8',
    });
    expect([pin.status, pin.stderr]).toEqual([0, '']);
    const objects = withImage(kustomize(join(dir, 'overlays/image')));
    expect(new Set(objects.map(imageDefault))).toEqual(new Set([`${INTERNAL}:build-7@${DIGEST}`]));
  });
});

describe('the YAML of issue #11', () => {
  it('passes yamllint with the catalog rules: overlays/, deploy/openshift/, the build Task and Pipeline', () => {
    const r = spawnSync(
      'yamllint',
      [
        '--strict',
        '-f',
        'parsable',
        '-c',
        '.yamllint.yaml',
        'overlays',
        'deploy/openshift',
        'tasks/kv-cache-build-image',
        'pipelines/kv-cache-build-image.yaml',
        'pipelineruns/kv-cache-build-image-pipelinerun.yaml',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (r.error)
      throw new Error('yamllint is not installed: run `apt-get update && apt-get install -y yamllint`');
    expect([r.status, `${r.stdout}${r.stderr}`]).toEqual([0, '']);
  });
});
