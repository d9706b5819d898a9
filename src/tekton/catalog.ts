// Reads Tekton YAML: the repo's catalog (tasks/**/*.yaml, pipelines/*.yaml) and PipelineRun files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Pipeline, PipelineRun, Task } from './types.ts';

export interface Catalog {
  tasks: Map<string, Task>;
  pipelines: Map<string, Pipeline>;
}

/** Every document of a YAML stream; a syntax error or duplicate key names the source and line. */
export function parseDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).flatMap((doc) => {
    const err = doc.errors[0];
    if (err) throw new Error(`${source}: ${err.message}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

function kindOf(doc: unknown): string | undefined {
  return typeof doc === 'object' && doc !== null && 'kind' in doc
    ? String((doc as { kind: unknown }).kind)
    : undefined;
}

export function catalogFrom(docs: readonly unknown[]): Catalog {
  const catalog: Catalog = { tasks: new Map(), pipelines: new Map() };
  for (const doc of docs) {
    const kind = kindOf(doc);
    if (kind === 'Task') {
      const t = doc as Task;
      catalog.tasks.set(t.metadata.name ?? '', t);
    } else if (kind === 'Pipeline') {
      const p = doc as Pipeline;
      catalog.pipelines.set(p.metadata.name ?? '', p);
    }
  }
  return catalog;
}

function yamlFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries
    .filter((f) => /\.ya?ml$/.test(f) && !f.split('/').includes('kustomization.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

/** The Tasks and Pipelines under `root` (the repository, or the image's /opt/kv-cache-bench). */
export function loadCatalog(root: string): Catalog {
  const files = [...yamlFiles(join(root, 'tasks')), ...yamlFiles(join(root, 'pipelines'))];
  return catalogFrom(files.flatMap((f) => parseDocuments(readFileSync(f, 'utf8'), f)));
}

export function loadPipelineRun(file: string): PipelineRun {
  const docs = parseDocuments(readFileSync(file, 'utf8'), file);
  const run = docs.find((d) => kindOf(d) === 'PipelineRun');
  if (!run) throw new Error(`${file} holds no PipelineRun`);
  return run as PipelineRun;
}
