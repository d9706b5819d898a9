// What the docs test checks in one Markdown file, against a model of the repository (commands and their
// flags, npm scripts, Tekton objects, which paths exist). Pure: the model is a parameter, the result a
// list of problems, each naming the line or snippet.
import { parseAllDocuments } from 'yaml';
import { codeBlocks, inlineCode, isPlaceholder, links, shellCommands, stripWrappers } from './markdown.ts';

export interface FlagSpec {
  type?: string;
  choices?: readonly (string | number)[];
}

export interface RepoModel {
  /** command name → its flags (the common ones included). */
  commands: Map<string, Map<string, FlagSpec>>;
  npmScripts: Set<string>;
  /** Tekton object name → its params and workspaces. */
  pipelines: Map<string, { params: Set<string>; workspaces: Set<string> }>;
  tasks: Map<string, { params: Set<string>; workspaces: Set<string> }>;
  /** Does this repository-relative path exist? */
  exists(path: string): boolean;
}

const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'console', 'zsh']);
const YAML_LANGS = new Set(['yaml', 'yml']);
/** Repository paths written from the root, as the docs do (`deploy/x.yaml`, `tasks/`). */
const REPO_PATH =
  /^(?:src|test|tasks|pipelines|pipelineruns|triggers|rbac|deploy|docs|dashboards|scripts|bench)\/[\w./-]*$/;

/** Problems with one `kv-cache-bench …` invocation (words after the program name). */
export function checkCli(args: readonly string[], model: RepoModel): string[] {
  const problems: string[] = [];
  const name = args.find((a) => !a.startsWith('-'));
  if (name === undefined || isPlaceholder(name)) return problems; // `kv-cache-bench --help`, `<command>`
  const flags = model.commands.get(name);
  if (!flags) return [`kv-cache-bench ${name}: no such command`];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--') || a === '--') continue;
    const [flag, inline] = a.slice(2).split(/=(.*)/s) as [string, string | undefined];
    let spec = flags.get(flag);
    if (!spec && flag.startsWith('no-')) {
      const positive = flags.get(flag.slice(3));
      if (positive?.type === 'boolean') spec = positive;
    }
    if (!spec) {
      problems.push(`kv-cache-bench ${name}: unknown flag --${flag}`);
      continue;
    }
    const value = inline ?? (spec.type === 'boolean' ? undefined : args[i + 1]);
    if (
      spec.choices &&
      value !== undefined &&
      !isPlaceholder(value) &&
      !spec.choices.map(String).includes(value)
    )
      problems.push(`kv-cache-bench ${name} --${flag} ${value}: not one of ${spec.choices.join(', ')}`);
  }
  return problems;
}

/** Paths after kubectl's -f/--filename and -k/--kustomize. */
function checkKubectl(words: readonly string[], model: RepoModel): string[] {
  const problems: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    const m = /^(-f|--filename|-k|--kustomize)(?:=(.*))?$/.exec(w);
    if (!m) continue;
    const path = m[2] ?? words[i + 1];
    if (path === undefined || path === '-' || /^https?:/.test(path) || isPlaceholder(path)) continue;
    if (!model.exists(path.replace(/\/$/, '') || '.'))
      problems.push(`kubectl ${m[1]} ${path}: no such path in the repository`);
  }
  return problems;
}

function checkNpm(words: readonly string[], model: RepoModel): string[] {
  const [, sub, script] = words;
  if (sub === 'run' || sub === 'run-script') {
    return script && !model.npmScripts.has(script)
      ? [`npm run ${script}: no such script in package.json`]
      : [];
  }
  if (sub === 'start' || sub === 'test')
    return model.npmScripts.has(sub) ? [] : [`npm ${sub}: no "${sub}" script`];
  return [];
}

/** tkn start's flags that take the next word as their value (tkn 0.3x `pipeline start`, `task start`). */
const TKN_VALUE_FLAGS = new Set([
  '-p',
  '--param',
  '-w',
  '--workspace',
  '-n',
  '--namespace',
  '-s',
  '--serviceaccount',
  '--prefix-name',
  '--timeout',
  '--pipeline-timeout',
  '--tasks-timeout',
  '--finally-timeout',
  '--pod-template',
  '-o',
  '--output',
  '-l',
  '--labels',
  '--use-taskrun',
  '--use-pipelinerun',
  '-f',
  '--filename',
  '--context',
]);

/** `tkn pipeline|task start NAME -p k=v -w name=…`: the object, its params and workspaces exist. */
function checkTkn(words: readonly string[], model: RepoModel): string[] {
  const [, kind, verb] = words;
  if ((kind !== 'pipeline' && kind !== 'task') || verb !== 'start') return [];
  const rest = words.slice(3);
  const positional = rest.filter((w, i) => !w.startsWith('-') && !TKN_VALUE_FLAGS.has(rest[i - 1] ?? ''));
  const objName = positional[0];
  if (!objName || isPlaceholder(objName)) return [];
  const obj = (kind === 'pipeline' ? model.pipelines : model.tasks).get(objName);
  if (!obj) return [`tkn ${kind} start ${objName}: no such ${kind} in the repository`];
  const problems: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const m = /^(-p|--param|-w|--workspace)(?:=(.*))?$/.exec(rest[i] as string);
    if (!m) continue;
    const value = m[2] ?? rest[i + 1] ?? '';
    if (m[1] === '-p' || m[1] === '--param') {
      const key = value.split('=')[0] as string;
      if (!isPlaceholder(key) && !obj.params.has(key))
        problems.push(`tkn ${kind} start ${objName}: no param ${key}`);
    } else {
      const ws = /(?:^|,)name=([^,]+)/.exec(value)?.[1];
      if (ws && !isPlaceholder(ws) && !obj.workspaces.has(ws))
        problems.push(`tkn ${kind} start ${objName}: no workspace ${ws}`);
    }
  }
  return problems;
}

export function checkShell(text: string, lang: string, model: RepoModel): string[] {
  const problems: string[] = [];
  for (const raw of shellCommands(text, lang)) {
    const words = stripWrappers(raw);
    const [program] = words;
    if (program === undefined) continue;
    if (program === 'kv-cache-bench') problems.push(...checkCli(words.slice(1), model));
    else if (program === 'node' && /^(\.\/)?(dist\/src\/bin\.js|src\/bin\.ts)$/.test(words[1] ?? '')) {
      if (!model.exists((words[1] as string).replace(/^\.\//, '')))
        problems.push(`node ${words[1]}: no such entry point`);
      problems.push(...checkCli(words.slice(2), model));
    } else if (program === 'kubectl' || program === 'oc') {
      problems.push(...checkKubectl(words, model));
      // `kubectl run|exec … -- kv-cache-bench …`: the command after `--` runs in the image.
      const dash = words.indexOf('--');
      if (dash > 0)
        problems.push(
          ...checkShell(
            words
              .slice(dash + 1)
              .map(quoteWord)
              .join(' '),
            'bash',
            model,
          ),
        );
    } else if (program === 'npm') problems.push(...checkNpm(words, model));
    else if (program === 'tkn') problems.push(...checkTkn(words, model));
    for (const w of words.slice(1)) {
      const path = w.replace(/^[\w-]+=/, '');
      if (REPO_PATH.test(path) && !model.exists(path.replace(/\/$/, '')))
        problems.push(`${program} … ${w}: no such path in the repository`);
    }
  }
  return problems;
}

function quoteWord(w: string): string {
  return `'${w.replace(/'/g, `'\\''`)}'`;
}

export function checkYaml(text: string, model: RepoModel): string[] {
  const problems: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      problems.push(`YAML does not parse: ${doc.errors[0]?.message.split('\n')[0]}`);
      continue;
    }
    const o = doc.toJS() as Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (!o || typeof o !== 'object') continue;
    // A PipelineRun or TaskRun snippet must start something this repository has, with its params.
    const ref =
      o.kind === 'PipelineRun'
        ? o.spec?.pipelineRef?.name
        : o.kind === 'TaskRun'
          ? o.spec?.taskRef?.name
          : undefined;
    if (typeof ref === 'string' && !isPlaceholder(ref)) {
      const target = (o.kind === 'PipelineRun' ? model.pipelines : model.tasks).get(ref);
      if (!target) problems.push(`${o.kind} refers to ${ref}, which the repository does not define`);
      else
        for (const p of (o.spec?.params ?? []) as { name: string }[])
          if (!target.params.has(p.name)) problems.push(`${o.kind} of ${ref} passes unknown param ${p.name}`);
    }
  }
  return problems;
}

/** Every problem in one Markdown file; `dir` is its directory, relative to the repository root. */
export function checkMarkdown(markdown: string, dir: string, model: RepoModel): string[] {
  const problems: string[] = [];
  for (const block of codeBlocks(markdown)) {
    const where = (p: string) => `line ${block.line}: ${p}`;
    if (SHELL_LANGS.has(block.lang)) problems.push(...checkShell(block.text, block.lang, model).map(where));
    else if (YAML_LANGS.has(block.lang)) problems.push(...checkYaml(block.text, model).map(where));
    else if (block.lang === 'json') {
      try {
        JSON.parse(block.text);
      } catch (err) {
        problems.push(where(`JSON does not parse: ${(err as Error).message}`));
      }
    }
  }
  for (const code of inlineCode(markdown)) {
    if (code.startsWith('kv-cache-bench '))
      problems.push(...checkShell(code, 'bash', model).map((p) => `\`${code}\`: ${p}`));
    else if (REPO_PATH.test(code) && !model.exists(code.replace(/\/$/, '')))
      problems.push(`\`${code}\`: no such path in the repository`);
  }
  for (const target of links(markdown)) {
    if (/^([a-z]+:|#)/i.test(target)) continue;
    const path = joinPath(dir, decodeURIComponent(target.split('#')[0] as string));
    if (!model.exists(path)) problems.push(`link ${target}: no such file (${path})`);
  }
  return problems;
}

/** POSIX join + normalise of repository-relative paths ('' is the root, written '.'). */
export function joinPath(dir: string, rel: string): string {
  const out: string[] = [];
  for (const part of `${dir}/${rel}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.length === 0 ? '.' : out.join('/');
}
