// The image's invariants (issue #6), read from ./Dockerfile since no container engine runs here: what
// OpenShift's restricted-v2 needs (numeric non-root USER, group-0 writable paths, HOME set), what Tekton's
// command-only steps need (the CLI as entrypoint and on PATH, no shell), reproducibility (pinned base,
// lockfile installs, production dependencies only) and the OCI labels. test/integration/image runs what
// the image runs.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  all,
  copyParts,
  dockerignored,
  finalStage,
  keyValues,
  parseDockerfile,
  type Stage,
} from './dockerfile-parse.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  engines: { node: string };
  bin: Record<string, string>;
};
const df = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = finalStage(df);
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
const stageNames = new Set(df.stages.map((s) => s.name).filter(Boolean));

function env(stage: Stage): Record<string, string> {
  return Object.assign({}, ...all(stage, 'ENV').map((i) => keyValues(i.args)));
}

function args(stage: Stage): Record<string, string> {
  return Object.assign({}, ...all(stage, 'ARG').map((i) => keyValues(i.args)));
}

/** Directories given to both `chgrp -R 0` and `chmod -R g=u` (or g+rwX) in one of the stage's RUNs. */
function groupZeroWritable(stage: Stage): Set<string> {
  const dirs = new Set<string>();
  for (const run of all(stage, 'RUN')) {
    for (const cmd of run.args.split(/&&|;/).map((c) => c.trim())) {
      const chgrp = /^chgrp\s+-R\s+0\s+(.+)$/.exec(cmd);
      const chmod = /^chmod\s+-R\s+g(?:=u|\+rwX)\s+(.+)$/.exec(cmd);
      const list = chgrp?.[1] ?? chmod?.[1];
      if (!list) continue;
      for (const d of list.split(/\s+/)) {
        const abs = posix.resolve(run.workdir, d);
        dirs.add(`${chgrp ? 'grp' : 'mod'}:${abs}`);
      }
    }
  }
  const both = new Set<string>();
  for (const entry of dirs) {
    const dir = entry.slice(4);
    if (dirs.has(`grp:${dir}`) && dirs.has(`mod:${dir}`)) both.add(dir);
  }
  return both;
}

function entrypoint(stage: Stage): string[] {
  const ep = all(stage, 'ENTRYPOINT').pop();
  if (!ep) throw new Error('the final stage has no ENTRYPOINT');
  return JSON.parse(ep.args) as string[];
}

interface Container {
  command?: string[];
  script?: string;
}

/** A Task's steps, or a CronJob's containers. */
function stepsOf(o: Record<string, unknown> | null): Container[] {
  if (o?.kind === 'Task') return ((o.spec as { steps?: Container[] }).steps ?? []) as Container[];
  if (o?.kind === 'CronJob') {
    const spec = o.spec as { jobTemplate: { spec: { template: { spec: { containers: Container[] } } } } };
    return spec.jobTemplate.spec.template.spec.containers;
  }
  return [];
}

function filesUnder(rel: string): string[] {
  const abs = join(ROOT, rel);
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => posix.join(rel, posix.relative(abs, join(d.parentPath, d.name)).split('\\').join('/')));
}

describe('Dockerfile', () => {
  it('is multi-stage: a build stage with dev dependencies, a runtime stage without them', () => {
    expect(df.stages.length).toBeGreaterThanOrEqual(2);
    const build = df.stages[0] as Stage;
    expect(all(build, 'RUN').some((r) => /npm ci\b/.test(r.args) && !/--omit=dev/.test(r.args))).toBe(true);
    expect(all(build, 'RUN').some((r) => /npm run build/.test(r.args))).toBe(true);
  });

  it('pins every base image by tag and digest, never by latest', () => {
    const bases = df.stages.map((s) => s.image).filter((image) => !stageNames.has(image));
    expect(bases.length).toBeGreaterThan(0);
    for (const image of bases) {
      expect(image).toMatch(/^[\w.-]+(?::\d+)?\/[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
      expect(image).not.toMatch(/:latest\b/);
    }
  });

  it("runs a Red Hat UBI minimal Node image of the major package.json's engines pin", () => {
    const major = /^>=(\d+)/.exec(pkg.engines.node)?.[1];
    expect(major).toBeDefined();
    expect(runtime.image).toMatch(
      new RegExp(`^registry\\.access\\.redhat\\.com/ubi9/nodejs-${major}-minimal:`),
    );
  });

  it('runs as a numeric non-root USER, set last in the runtime stage', () => {
    const users = all(runtime, 'USER');
    const last = users[users.length - 1];
    expect(last?.args).toMatch(/^\d+(:\d+)?$/);
    expect(Number(last?.args.split(':')[0])).toBeGreaterThan(0);
    // Nothing after it runs as root again.
    const idx = runtime.instructions.lastIndexOf(last as never);
    expect(runtime.instructions.slice(idx + 1).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('installs production dependencies only, from the lockfile, in the runtime stage', () => {
    const installs = all(runtime, 'RUN').filter((r) => /\bnpm (ci|install|i)\b/.test(r.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const r of installs) {
      expect(r.args).toMatch(/\bnpm ci\b/);
      expect(r.args).toMatch(/--omit=dev/);
    }
    // node_modules never comes over from the build stage, where dev dependencies live.
    for (const c of all(runtime, 'COPY').map(copyParts)) {
      expect(c.sources.some((s) => /node_modules/.test(s))).toBe(false);
    }
    expect(all(runtime, 'COPY').some((c) => copyParts(c).sources.includes('package-lock.json'))).toBe(true);
  });

  it("has the CLI as its exec-form entrypoint, at package.json's bin path, with no shell", () => {
    const [node, script, ...rest] = entrypoint(runtime);
    expect(node).toBe('node');
    expect(rest).toEqual([]);
    const binPath = pkg.bin['kv-cache-bench'] as string; // dist/src/bin.js
    const dist = all(runtime, 'COPY')
      .map(copyParts)
      .find((c) => c.from !== undefined && c.sources.some((s) => s.endsWith(posix.dirname(binPath))));
    expect(dist).toBeDefined();
    expect(script).toBe(posix.join(dist?.dest ?? '', posix.basename(binPath)));
    for (const i of [...all(runtime, 'ENTRYPOINT'), ...all(runtime, 'CMD')])
      expect(i.args.startsWith('[')).toBe(true);
  });

  it('puts kv-cache-bench on PATH for Tekton steps that run command: ["kv-cache-bench"]', () => {
    const script = entrypoint(runtime)[1] as string;
    const runs = all(runtime, 'RUN')
      .map((r) => r.args)
      .join(' && ');
    expect(runs).toContain(`ln -s ${script} /usr/local/bin/kv-cache-bench`);
    expect(runs).toMatch(/chmod 0?755 [^&]*bin\.js/);
    // The symlink runs the file itself: its shebang must find node on PATH.
    expect(readFileSync(join(ROOT, 'src', 'bin.ts'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('serves every Tekton step and the nightly CronJob with command/args alone, no shell', () => {
    const files = [
      ...readdirSync(join(ROOT, 'tasks'), { withFileTypes: true })
        // kv-cache-build-image builds this image (git and buildah steps): it does not run in it.
        .filter((d) => d.isDirectory() && d.name !== 'kv-cache-build-image')
        .flatMap((d) => filesUnder(posix.join('tasks', d.name)).filter((f) => f.endsWith('.yaml'))),
      'triggers/cronjob.yaml',
    ];
    let containers = 0;
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'))) {
        const o = doc.toJS() as Record<string, unknown> | null;
        const steps = stepsOf(o);
        for (const step of steps) {
          containers++;
          expect({ file, script: step.script }).toEqual({ file, script: undefined });
          expect({ file, command: step.command }).toEqual({ file, command: ['kv-cache-bench'] });
        }
      }
    }
    expect(containers).toBeGreaterThan(0);
  });

  it('sets HOME to a directory made group-0 writable, like the working directory', () => {
    const home = env(runtime).HOME;
    expect(home).toMatch(/^\//);
    const writable = groupZeroWritable(runtime);
    expect([...writable]).toContain(home);
    const workdir = all(runtime, 'WORKDIR').pop()?.workdir;
    // run/demo write kv-cache-bench-out/ under the working directory by default.
    expect([...writable]).toContain(workdir);
  });

  it('keeps the application directory read-only: it is never made group writable', () => {
    const app = posix.dirname(posix.dirname(posix.dirname(entrypoint(runtime)[1] as string)));
    for (const dir of groupZeroWritable(runtime))
      expect(dir === app || dir.startsWith(`${app}/`)).toBe(false);
    for (const c of all(runtime, 'COPY')) expect(c.args).not.toMatch(/--chmod=\d*[2367]\d$/);
  });

  it('carries the OCI labels, with the version and licence of package.json', () => {
    const labels = Object.assign({}, ...all(runtime, 'LABEL').map((i) => keyValues(i.args))) as Record<
      string,
      string
    >;
    for (const key of ['title', 'description', 'source', 'licenses', 'version', 'revision'])
      expect(labels[`org.opencontainers.image.${key}`]).toBeTruthy();
    expect(labels['org.opencontainers.image.licenses']).toBe(pkg.license);
    const version = labels['org.opencontainers.image.version'] as string;
    const resolved = version.replace(/^\$\{(\w+)\}$/, (_, name: string) => args(runtime)[name] ?? version);
    expect(resolved).toBe(pkg.version);
  });

  it('copies only paths that exist and that .dockerignore keeps in the build context', () => {
    for (const stage of df.stages) {
      for (const c of all(stage, 'COPY').map(copyParts)) {
        if (c.from !== undefined) continue;
        for (const src of c.sources) {
          expect(existsSync(join(ROOT, src))).toBe(true);
          for (const file of filesUnder(src).filter((f) => !f.endsWith('.md')))
            expect({ file, ignored: dockerignored(ignore, file) }).toEqual({ file, ignored: false });
        }
      }
    }
  });

  it('keeps host build output and secrets out of the build context', () => {
    for (const path of [
      'node_modules/yargs/index.mjs',
      'dist/src/bin.js',
      '.git/HEAD',
      'test/unit/x.test.ts',
      'kv-cache-bench-out/x/report.json',
    ])
      expect({ path, ignored: dockerignored(ignore, path) }).toEqual({ path, ignored: true });
  });
});

describe('dockerignored', () => {
  it.each([
    [['node_modules'], 'node_modules/a/b.js', true],
    [['*.md'], 'README.md', true],
    [['*.md'], 'tasks/x/README.md', false],
    [['**/*.md'], 'tasks/x/README.md', true],
    [['docs', '!docs/keep.md'], 'docs/keep.md', false],
    [['dist'], 'src/dist.ts', false],
  ])('%j on %s is %s', (patterns, path, expected) => {
    expect(dockerignored(patterns, path)).toBe(expected);
  });
});
