// .github/workflows/release.yml: on a version tag it builds both platforms the Tasks declare, pushes
// the tag the Tasks already name, pins them through the repository's script to the pushed digest, and
// checks the result. GitHub's runner is not here: these assert the workflow's wiring against the
// repository (the script, the image the Tasks name, their platforms), and yamllint checks its syntax.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { imageDefaults, parseImageRef } from '../../../scripts/pin-image.ts';
import { ROOT, taskFiles } from '../tekton/catalog-files.ts';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: { push: { tags: string[]; branches?: unknown } };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, { permissions: Record<string, string>; steps: Step[]; 'timeout-minutes': number }>;
}

const wf = parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as Workflow;
const job = wf.jobs.release as Workflow['jobs'][string];
const steps = job.steps;
const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@')) as Step;
const runs = steps.map((s) => s.run ?? '').join('\n');
const taskImage = String(
  imageDefaults(readFileSync(join(ROOT, 'tasks/kv-cache-warmup/kv-cache-warmup.yaml'), 'utf8'), 'x').get(
    'Task/kv-cache-warmup',
  ),
);

describe('the release workflow', () => {
  it('runs on version tags only, with write access only where the release is created', () => {
    expect(wf.on.push).toEqual({ tags: ['v[0-9]+.[0-9]+.[0-9]+'] });
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(job.permissions).toEqual({ contents: 'write' });
    expect(job['timeout-minutes']).toBeLessThanOrEqual(60);
  });

  it('pins every action to a full commit SHA', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses as string);
    expect(uses.length).toBeGreaterThan(5);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });

  it('builds for the platforms every Task declares, and pushes the tag the Tasks name', () => {
    expect(wf.env.PLATFORMS).toBe('linux/amd64,linux/arm64');
    expect(build.with?.platforms).toBe('${{ env.PLATFORMS }}');
    for (const { task } of taskFiles())
      expect([task.metadata.name, task.metadata.annotations?.['tekton.dev/platforms']]).toEqual([
        task.metadata.name,
        wf.env.PLATFORMS,
      ]);
    expect(build.with?.push).toBe(true);
    expect(build.with?.tags).toBe('${{ env.IMAGE }}:${{ steps.version.outputs.version }}');
    // The Tasks name <IMAGE>:<package.json version> until a release pins the digest.
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(parseImageRef(taskImage, { requireDigest: false })).toMatchObject({
      name: wf.env.IMAGE,
      tag: version,
    });
  });

  it("refuses a tag that is not package.json's version, or that the Tasks do not name yet", () => {
    const order = (needle: string) =>
      steps.findIndex((s) => (s.run ?? '').includes(needle) || s.uses?.includes(needle));
    expect(runs).toContain('"$version" != "$package"');
    expect(runs).toContain('npm run release:pin-image -- --check "$IMAGE:$VERSION"');
    // Both before anything is built or pushed.
    expect(order('--check "$IMAGE:$VERSION"')).toBeLessThan(order('docker/build-push-action'));
  });

  it('pins with the repository script to the digest the build pushed, then checks the pinned catalog', () => {
    const pin = steps.find((s) => s.run?.includes('npm run release:pin-image -- "$IMAGE:$VERSION@$DIGEST"'));
    expect(pin?.env).toEqual({
      VERSION: '${{ steps.version.outputs.version }}',
      DIGEST: `\${{ steps.${build.id}.outputs.digest }}`,
    });
    expect(runs).toContain('npm run release:pin-image -- --check "$IMAGE:$VERSION@$DIGEST"');
    expect(runs).toContain('npx jest test/unit/tekton test/unit/release test/unit/docs');
    expect(runs).toMatch(/gh release create "\$GITHUB_REF_NAME"/);
  });

  it('never expands an expression inside a shell line (values reach run: through env)', () => {
    for (const s of steps)
      expect([s.name, s.run ?? '']).toEqual([s.name, expect.not.stringContaining('${{')]);
  });

  it('passes yamllint with the catalog rules', () => {
    const r = spawnSync(
      'yamllint',
      ['--strict', '-f', 'parsable', '-c', '.yamllint.yaml', '.github/workflows'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect([r.status, `${r.stdout}${r.stderr}`]).toEqual([0, '']);
  });
});
