// The catalog through the linters a Tekton catalog uses: yamllint with the catalog's rules, and
// @ibm/tekton-lint with every default rule (warnings count as failures).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './catalog-files.ts';

const YAML_TARGETS = [
  'tasks',
  'pipelines',
  'pipelineruns',
  'triggers',
  'rbac',
  'kustomization.yaml',
  '.yamllint.yaml',
  '.tektonlintrc.yaml',
];

function yamllint(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync('yamllint', args, { cwd, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'yamllint is not installed: run `apt-get update && apt-get install -y yamllint` (Debian package; the test set-up script installs it when run as root)',
    );
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface LintProblem {
  message: string;
  rule: string;
  level: string;
  path: string;
}

function tektonLint(cwd: string): { status: number | null; problems: LintProblem[]; stderr: string } {
  const cache = mkdtempSync(join(tmpdir(), 'tekton-lint-'));
  try {
    // NODE_ENV stays unset: tekton-lint keeps exit code 0 under NODE_ENV=test.
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/@ibm/tekton-lint/dist/lint.js'),
        '--config',
        cwd,
        '--format',
        'json',
        '--max-warnings',
        '0',
      ],
      {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: cache, TL_CACHE_DIR: cache },
      },
    );
    return {
      status: r.status,
      problems: r.stdout.trim() ? (JSON.parse(r.stdout) as LintProblem[]) : [],
      stderr: r.stderr,
    };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

describe('yamllint', () => {
  it('passes on every YAML file of the catalog, warnings included (--strict)', () => {
    expect(yamllint(['--strict', '-f', 'parsable', '-c', '.yamllint.yaml', ...YAML_TARGETS], ROOT)).toEqual({
      status: 0,
      out: '',
    });
  });

  it('catches what the catalog rules forbid (a duplicate key, trailing spaces)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yamllint-'));
    try {
      writeFileSync(join(dir, 'bad.yaml'), 'a: 1\na: 2\nb: x   \n');
      const r = yamllint(['-f', 'parsable', '-c', join(ROOT, '.yamllint.yaml'), 'bad.yaml'], dir);
      expect(r.status).toBe(1);
      expect(r.out).toContain('duplication of key "a"');
      expect(r.out).toContain('trailing spaces');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('@ibm/tekton-lint', () => {
  it('finds no problem, not even a warning, with every default rule on', () => {
    const r = tektonLint(ROOT);
    expect({ status: r.status, problems: r.problems }).toEqual({ status: 0, problems: [] });
  });

  it('does lint the catalog: an undefined param in a step is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tekton-lint-copy-'));
    try {
      for (const d of ['tasks', 'pipelines', 'triggers', '.tektonlintrc.yaml'])
        cpSync(join(ROOT, d), join(dir, d), { recursive: true });
      const file = join(dir, 'tasks/kv-cache-warmup/kv-cache-warmup.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('$(params.seed)', '$(params.sead)'));
      const r = tektonLint(dir);
      expect(r.status).toBe(1);
      expect(r.problems.map((p) => [p.rule, p.level])).toEqual(
        expect.arrayContaining([['no-undefined-param', 'error']]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
