// Every command and snippet in the documentation is checked against the repository (issue #6): the
// kv-cache-bench commands and flags against the CLI's own command modules (what `--help` prints), kubectl
// -f/-k paths, npm scripts, `tkn … start` names, params and workspaces, PipelineRun snippets against the
// Pipelines, YAML and JSON that must parse, links and repository paths that must exist. Docs that drift
// from the code fail here, not in a reader's terminal.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { commonFlags } from '../../../src/commands/flags.ts';
import { COMMANDS } from '../../../src/commands/index.ts';
import {
  checkCli,
  checkMarkdown,
  checkShell,
  checkYaml,
  joinPath,
  type FlagSpec,
  type RepoModel,
} from './doc-checks.ts';
import { codeBlocks, inlineCode, links, shellCommands } from './markdown.ts';

const ROOT = join(import.meta.dirname, '../../..');

function markdownFiles(): string[] {
  const files = ['README.md'];
  const md = (dir: string, recursive: boolean) =>
    existsSync(join(ROOT, dir))
      ? readdirSync(join(ROOT, dir), { recursive, withFileTypes: true })
          .filter((e) => e.isFile() && e.name.endsWith('.md'))
          .map((e) => relative(ROOT, join(e.parentPath, e.name)))
      : [];
  files.push(...md('docs', false), ...md('deploy', true), ...md('triggers', false));
  for (const task of readdirSync(join(ROOT, 'tasks'), { withFileTypes: true }).filter((e) => e.isDirectory()))
    files.push(...md(join('tasks', task.name), false));
  return files.sort();
}

function tektonObjects(kind: 'Pipeline' | 'Task'): RepoModel['pipelines'] {
  const dirs =
    kind === 'Pipeline'
      ? ['pipelines']
      : readdirSync(join(ROOT, 'tasks'), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join('tasks', e.name));
  const out: RepoModel['pipelines'] = new Map();
  for (const dir of dirs) {
    for (const f of readdirSync(join(ROOT, dir)).filter((n) => n.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(ROOT, dir, f), 'utf8'))) {
        const o = doc.toJS() as {
          kind?: string;
          metadata?: { name?: string };
          spec?: { params?: { name: string }[]; workspaces?: { name: string }[] };
        } | null;
        if (o?.kind !== kind || !o.metadata?.name) continue;
        out.set(o.metadata.name, {
          params: new Set((o.spec?.params ?? []).map((p) => p.name)),
          workspaces: new Set((o.spec?.workspaces ?? []).map((w) => w.name)),
        });
      }
    }
  }
  return out;
}

function repoModel(): RepoModel {
  const commands = new Map<string, Map<string, FlagSpec>>();
  for (const cmd of COMMANDS) {
    const flags = new Map<string, FlagSpec>([['help', { type: 'boolean' }]]);
    for (const [name, opt] of Object.entries({ ...commonFlags, ...cmd.flags })) {
      const spec: FlagSpec = {
        ...(opt.type !== undefined ? { type: opt.type } : {}),
        ...(opt.choices !== undefined ? { choices: opt.choices as (string | number)[] } : {}),
      };
      for (const n of [name, ...[opt.alias ?? []].flat()]) flags.set(n, spec);
    }
    commands.set(cmd.name, flags);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return {
    commands,
    npmScripts: new Set(Object.keys(pkg.scripts)),
    pipelines: tektonObjects('Pipeline'),
    tasks: tektonObjects('Task'),
    exists: (path) => existsSync(join(ROOT, path)),
  };
}

const model = repoModel();
const FILES = markdownFiles();

describe('the documentation', () => {
  it('is all covered: README, docs/ (TEKTON-AUTOMATION.md included), deploy/, every Task README, triggers/', () => {
    for (const f of [
      'README.md',
      'docs/ARCHITECTURE.md',
      'docs/METRICS.md',
      'docs/TROUBLESHOOTING.md',
      'docs/TEKTON-AUTOMATION.md',
      'deploy/README.md',
      'triggers/README.md',
    ])
      expect({ file: f, covered: FILES.includes(f) }).toEqual({ file: f, covered: true });
    const taskDirs = readdirSync(join(ROOT, 'tasks'), { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const t of taskDirs) expect(FILES).toContain(join('tasks', t.name, 'README.md'));
  });

  it.each(FILES)('%s: its commands, flags, paths and snippets match the repository', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const dir = relative(ROOT, join(ROOT, file, '..'));
    expect(checkMarkdown(text, dir, model)).toEqual([]);
  });
});

// The checker itself, on small literal fixtures: it must catch what it is there to catch.
describe('the docs checker', () => {
  const fake: RepoModel = {
    commands: new Map([
      [
        'report',
        new Map<string, FlagSpec>([
          ['help', { type: 'boolean' }],
          ['before', { type: 'string' }],
          ['min-hit-rate', { type: 'number' }],
          ['stream', { type: 'boolean' }],
          ['via', { type: 'string', choices: ['pod-ip', 'prometheus'] }],
        ]),
      ],
    ]),
    npmScripts: new Set(['test', 'build']),
    pipelines: new Map([
      ['kv-cache-ramp', { params: new Set(['stages']), workspaces: new Set(['reports']) }],
    ]),
    tasks: new Map(),
    exists: (p) => ['.', 'deploy', 'deploy/a.yaml', 'docs/METRICS.md', 'dist/src/bin.js'].includes(p),
  };

  it.each([
    ['report --before a.json --min-hit-rate 0.9', []],
    ['report --before=a.json --no-stream --via prometheus', []],
    ['report --help', []],
    ['<command> --help', []],
    ['reprot --before a', ['kv-cache-bench reprot: no such command']],
    ['report --befor a', ['kv-cache-bench report: unknown flag --befor']],
    ['report --no-before a', ['kv-cache-bench report: unknown flag --no-before']],
    ['report --via urls', ['kv-cache-bench report --via urls: not one of pod-ip, prometheus']],
    ['report --via $VIA', []],
  ])('kv-cache-bench %s → %j', (args, expected) => {
    expect(checkCli(shellCommands(args)[0] ?? [], fake)).toEqual(expected);
  });

  it.each([
    ['kubectl apply -n llm-d -f deploy/a.yaml', []],
    ['kubectl apply -k .', []],
    [
      'kubectl create -f deploy/b.yaml',
      [
        'kubectl -f deploy/b.yaml: no such path in the repository',
        'kubectl … deploy/b.yaml: no such path in the repository',
      ],
    ],
    ['kubectl apply -f https://example.com/x.yaml', []],
    ['npm run build && npm test', []],
    ['npm run bild', ['npm run bild: no such script in package.json']],
    ['node dist/src/bin.js report --bogus', ['kv-cache-bench report: unknown flag --bogus']],
    ['X=1 kv-cache-bench report \\\n  --before a.json # a comment --bogus', []],
    ['echo $(kv-cache-bench report --bogus)', ['kv-cache-bench report: unknown flag --bogus']],
    [
      "kubectl run -n llm-d t --rm -i --image=img --command -- kv-cache-bench report --via='it''s'",
      ['kv-cache-bench report --via its: not one of pod-ip, prometheus'],
    ],
    [
      'kubectl run t --image=img -- kv-cache-bench report --bogus',
      ['kv-cache-bench report: unknown flag --bogus'],
    ],
    ['tkn pipeline start -n llm-d kv-cache-ramp -p stages=8x72 -w name=reports,emptyDir=', []],
    [
      'tkn pipeline start kv-cache-ramp --param stage=8x72',
      ['tkn pipeline start kv-cache-ramp: no param stage'],
    ],
    [
      'tkn pipeline start kv-cache-rmap',
      ['tkn pipeline start kv-cache-rmap: no such pipeline in the repository'],
    ],
    [
      'tkn pipeline start kv-cache-ramp -w name=data,claimName=x',
      ['tkn pipeline start kv-cache-ramp: no workspace data'],
    ],
  ])('%s → %j', (text, expected) => {
    expect(checkShell(text, 'bash', fake)).toEqual(expected);
  });

  it('reads only the prompted lines of a console block', () => {
    expect(
      checkShell('$ kv-cache-bench report --bogus\nkv-cache-bench report --output-line', 'console', fake),
    ).toEqual(['kv-cache-bench report: unknown flag --bogus']);
  });

  it.each([
    ['a: [1, 2', ['YAML does not parse']],
    [
      'apiVersion: tekton.dev/v1\nkind: PipelineRun\nspec:\n  pipelineRef: {name: kv-cache-ramp}\n  params:\n    - {name: stages, value: 8x72}',
      [],
    ],
    [
      'kind: PipelineRun\nspec:\n  pipelineRef: {name: kv-cache-ramp}\n  params:\n    - {name: stage, value: x}',
      ['PipelineRun of kv-cache-ramp passes unknown param stage'],
    ],
    [
      'kind: PipelineRun\nspec:\n  pipelineRef: {name: nope}',
      ['PipelineRun refers to nope, which the repository does not define'],
    ],
  ])('YAML %j → %j', (text, expected) => {
    const problems = checkYaml(text, fake);
    expect(problems.map((p) => p.split(':')[0])).toEqual(expected.map((p) => p.split(':')[0]));
  });

  it('checks links, inline repository paths and inline commands of the prose, not of code blocks', () => {
    const md = [
      'See [metrics](../docs/METRICS.md#hit-rate), [gone](missing.md), [web](https://x.y) and [top](#top).',
      'Files: `deploy/a.yaml`, `deploy/nope.yaml`, `kv-cache-bench report --bogus`.',
      '```text',
      '[not a link](nowhere.md) `deploy/also-nope.yaml`',
      '```',
      '```json',
      '{"a": 1,}',
      '```',
    ].join('\n');
    const problems = checkMarkdown(md, 'deploy', fake);
    expect(problems).toEqual([
      expect.stringMatching(/^line 6: JSON does not parse/),
      '`deploy/nope.yaml`: no such path in the repository',
      '`kv-cache-bench report --bogus`: kv-cache-bench report: unknown flag --bogus',
      'link missing.md: no such file (deploy/missing.md)',
    ]);
  });

  it('extracts fenced blocks with their language and line, inline code and links', () => {
    const md = 'a `x`\n\n```bash\necho `y`\n```\n\n~~~yaml\nk: v\n~~~\n[l](t.md)';
    expect(codeBlocks(md)).toEqual([
      { lang: 'bash', text: 'echo `y`', line: 3 },
      { lang: 'yaml', text: 'k: v', line: 7 },
    ]);
    expect(inlineCode(md)).toEqual(['x']);
    expect(links(md)).toEqual(['t.md']);
  });

  it.each([
    ['docs', '../deploy/a.yaml', 'deploy/a.yaml'],
    ['', 'docs/METRICS.md', 'docs/METRICS.md'],
    ['tasks/x', '../../', '.'],
  ])('joins %j and %j into %j', (dir, rel, expected) => {
    expect(joinPath(dir, rel)).toBe(expected);
  });
});
