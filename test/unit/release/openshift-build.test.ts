// deploy/openshift: the ImageStream and Docker-strategy BuildConfig for OpenShift users. No OpenShift
// API here, so: the kustomization renders, every field is one build.openshift.io/v1 / image.openshift.io/v1
// define (a typo is caught, as the API server's strict field validation would), and the build agrees
// with the repository (its Dockerfile, the Tekton build's source, the stream it pushes to).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Pipeline } from '../../../src/tekton/types.ts';
import { readYaml, ROOT } from '../tekton/catalog-files.ts';

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

const objects = parseAllDocuments(
  execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy/openshift')], { encoding: 'utf8' }),
).map((d) => d.toJS() as Obj);
const byKind = (kind: string) => objects.find((o) => o.kind === kind) as Obj;
const build = byKind('BuildConfig') as Obj & {
  spec: {
    source: { type: string; git: { uri: string; ref: string } };
    strategy: {
      type: string;
      dockerStrategy: { dockerfilePath: string; buildArgs: { name: string; value: string }[] };
    };
    output: { to: { kind: string; name: string } };
  } & Record<string, unknown>;
};
const stream = byKind('ImageStream') as Obj & { spec: Record<string, unknown> };

/** Field names of the OpenShift 4.14 API types used here (openshift/api build/v1, image/v1 types.go). */
const FIELDS: Record<string, string[]> = {
  BuildConfigSpec: [
    'triggers',
    'runPolicy',
    'serviceAccount',
    'source',
    'revision',
    'strategy',
    'output',
    'resources',
    'postCommit',
    'completionDeadlineSeconds',
    'nodeSelector',
    'mountTrustedCA',
    'successfulBuildsHistoryLimit',
    'failedBuildsHistoryLimit',
  ],
  BuildSource: [
    'type',
    'binary',
    'dockerfile',
    'git',
    'images',
    'contextDir',
    'sourceSecret',
    'secrets',
    'configMaps',
  ],
  GitBuildSource: ['uri', 'ref', 'httpProxy', 'httpsProxy', 'noProxy'],
  BuildStrategy: ['type', 'dockerStrategy', 'sourceStrategy', 'customStrategy', 'jenkinsPipelineStrategy'],
  DockerBuildStrategy: [
    'from',
    'pullSecret',
    'noCache',
    'env',
    'forcePull',
    'dockerfilePath',
    'buildArgs',
    'imageOptimizationPolicy',
    'volumes',
  ],
  ImageStreamSpec: ['lookupPolicy', 'dockerImageRepository', 'tags'],
};

const unknown = (o: Record<string, unknown>, type: string) =>
  Object.keys(o).filter((k) => !FIELDS[type]?.includes(k));

describe('deploy/openshift', () => {
  it('renders an ImageStream and a BuildConfig into llm-d', () => {
    expect(objects.map((o) => [o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace]).sort()).toEqual([
      ['build.openshift.io/v1', 'BuildConfig', 'kv-cache-bench', 'llm-d'],
      ['image.openshift.io/v1', 'ImageStream', 'kv-cache-bench', 'llm-d'],
    ]);
  });

  it('uses only fields the OpenShift API defines', () => {
    expect([
      ...unknown(build.spec, 'BuildConfigSpec'),
      ...unknown(build.spec.source, 'BuildSource'),
      ...unknown(build.spec.source.git, 'GitBuildSource'),
      ...unknown(build.spec.strategy, 'BuildStrategy'),
      ...unknown(build.spec.strategy.dockerStrategy, 'DockerBuildStrategy'),
      ...unknown(stream.spec, 'ImageStreamSpec'),
    ]).toEqual([]);
  });

  it("builds the repository's Dockerfile from the source the Tekton build uses, into the ImageStream", () => {
    expect(build.spec.strategy.type).toBe('Docker');
    expect(existsSync(join(ROOT, build.spec.strategy.dockerStrategy.dockerfilePath))).toBe(true);
    const pipeline = readYaml('pipelines/kv-cache-build-image.yaml').docs[0] as unknown as Pipeline;
    const defaults = Object.fromEntries((pipeline.spec.params ?? []).map((p) => [p.name, p.default]));
    expect(build.spec.source).toEqual({
      type: 'Git',
      git: { uri: defaults['git-url'], ref: defaults['git-revision'] },
    });
    expect(build.spec.output.to).toEqual({ kind: 'ImageStreamTag', name: `${stream.metadata.name}:main` });
    // The Dockerfile's label argument.
    expect(build.spec.strategy.dockerStrategy.buildArgs.map((a) => a.name)).toEqual(['REVISION']);
    expect(stream.spec.lookupPolicy).toEqual({ local: true });
  });
});
