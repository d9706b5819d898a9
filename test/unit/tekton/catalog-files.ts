// The repository's Tekton and Kubernetes YAML, read once for the catalog tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocuments } from '../../../src/tekton/catalog.ts';
import type { Pipeline, PipelineRun, Task } from '../../../src/tekton/types.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface YamlFile {
  /** Path relative to the repository root. */
  path: string;
  docs: Record<string, unknown>[];
}

function listYaml(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f))
    .sort();
}

export function readYaml(path: string): YamlFile {
  return {
    path,
    docs: parseDocuments(readFileSync(join(ROOT, path), 'utf8'), path) as Record<string, unknown>[],
  };
}

export const CATALOG_DIRS = ['tasks', 'pipelines', 'pipelineruns', 'triggers', 'rbac'] as const;

/**
 * The in-cluster image build (issue #11): installed on its own (not by `kubectl apply -k .`), run as
 * OpenShift Pipelines' `pipeline` ServiceAccount, with git and buildah steps instead of the CLI.
 * test/unit/release/build-image-pipeline.test.ts holds it to its own conventions.
 */
export const IMAGE_BUILD = {
  task: 'kv-cache-build-image',
  pipeline: 'kv-cache-build-image',
  run: 'pipelineruns/kv-cache-build-image-pipelinerun.yaml',
  serviceAccount: 'pipeline',
  doc: 'docs/INSTALL-CLUSTER.md',
} as const;

export function allYaml(): YamlFile[] {
  return [...CATALOG_DIRS.flatMap(listYaml), 'kustomization.yaml'].map(readYaml);
}

const isKustomization = (f: string) => f.endsWith('kustomization.yaml');

export function taskFiles(): { path: string; task: Task }[] {
  return listYaml('tasks')
    .filter((f) => !isKustomization(f))
    .map((path) => ({ path, task: readYaml(path).docs[0] as unknown as Task }));
}

export function pipelineFiles(): { path: string; pipeline: Pipeline }[] {
  return listYaml('pipelines')
    .filter((f) => !isKustomization(f))
    .map((path) => ({ path, pipeline: readYaml(path).docs[0] as unknown as Pipeline }));
}

export function pipelineRunFiles(): { path: string; run: PipelineRun }[] {
  return listYaml('pipelineruns').map((path) => ({
    path,
    run: readYaml(path).docs[0] as unknown as PipelineRun,
  }));
}

export function rel(path: string): string {
  return relative(ROOT, path);
}
