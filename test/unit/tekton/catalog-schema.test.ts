// Every Tekton document of the catalog against Tekton's own v1 CRD schemas, plus the catalog's
// conventions (tektoncd/catalog, catlin's ContentValidator, ../shared/DESIGN.md "Tekton").
import { commonFlags } from '../../../src/commands/flags.ts';
import { COMMANDS } from '../../../src/commands/index.ts';
import type { Step, Task, TaskSpec } from '../../../src/tekton/types.ts';
import { IMAGE_BUILD, pipelineFiles, pipelineRunFiles, readYaml, taskFiles } from './catalog-files.ts';
import { loadCrdValidators } from './crd-schema.ts';

const crd = loadCrdValidators();
const tasks = taskFiles();
const pipelines = pipelineFiles();
const runs = pipelineRunFiles();
const triggerTemplate = readYaml('triggers/triggertemplate.yaml').docs[0] as {
  spec: { resourcetemplates: unknown[] };
};

describe('CRD schema validation', () => {
  it.each([
    ...tasks.map((t) => [t.path, t.task] as const),
    ...pipelines.map((p) => [p.path, p.pipeline] as const),
    ...runs.map((r) => [r.path, r.run] as const),
    ...triggerTemplate.spec.resourcetemplates.map(
      (doc, i) => [`triggers/triggertemplate.yaml resourcetemplates[${i}]`, doc] as const,
    ),
  ])('%s is valid against tekton-pipeline v1.15.0', (_path, doc) => {
    expect(crd.validate(doc)).toEqual([]);
  });

  const task = tasks.find((t) => t.task.metadata.name === 'kv-cache-measure')?.task as Task;
  const pipeline = pipelines[0]?.pipeline;
  /** A copy of `doc` with the value at `path` replaced: a typo a user could make. */
  const withValue = (doc: unknown, path: (string | number)[], value: unknown): unknown => {
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[path[path.length - 1] as string | number] = value;
    return copy;
  };
  it.each([
    [
      'a misspelt stepTemplate field',
      withValue(task, ['spec', 'stepTemplate', 'evn'], []),
      '/spec/stepTemplate must NOT have additional properties (evn)',
    ],
    [
      'a misspelt step field',
      withValue(task, ['spec', 'steps', 0, 'comand'], ['x']),
      '/spec/steps/0 must NOT have additional properties (comand)',
    ],
    [
      'an unknown volume source',
      withValue(task, ['spec', 'volumes', 0], { name: 'scratch', emtpyDir: {} }),
      '/spec/volumes/0 must NOT have additional properties (emtpyDir)',
    ],
    [
      'a misspelt metadata field',
      withValue(task, ['metadata', 'lables'], {}),
      '/metadata must NOT have additional properties (lables)',
    ],
    [
      'a number where a string belongs',
      withValue(task, ['spec', 'steps', 0, 'timeout'], 5),
      '/spec/steps/0/timeout must be string',
    ],
    [
      'a misspelt taskRef field',
      withValue(pipeline, ['spec', 'tasks', 0, 'taskRef'], { nmae: 'x' }),
      '/spec/tasks/0/taskRef must NOT have additional properties (nmae)',
    ],
    [
      'runAfter as a string',
      withValue(pipeline, ['spec', 'tasks', 0, 'runAfter'], 'x'),
      '/spec/tasks/0/runAfter must be array',
    ],
  ])('rejects %s, as the API server would', (_what, doc, error) => {
    expect(crd.validate(doc)).toContain(error);
  });
});

const HUB_CATEGORIES = [
  'Automation',
  'Build Tools',
  'CLI',
  'Cloud',
  'Code Quality',
  'Continuous Integration',
  'Deployment',
  'Developer Tools',
  'Image Build',
  'Integration & Delivery',
  'Git',
  'Kubernetes',
  'Messaging',
  'Monitoring',
  'Networking',
  'Openshift',
  'Publishing',
  'Security',
  'Storage',
  'Testing',
];
const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

function effective(spec: TaskSpec, step: Step): Step {
  return { ...spec.stepTemplate, ...step };
}

// The image build Task runs git and buildah, not the CLI (test/unit/release holds it to its conventions).
const cliTasks = tasks.filter((t) => t.task.metadata.name !== IMAGE_BUILD.task);

describe.each(cliTasks.map((t) => [t.path, t.task] as const))('Task %s', (path, task) => {
  const spec = task.spec;
  it('is named after its folder and file, with the catalog metadata', () => {
    expect(path).toBe(`tasks/${task.metadata.name}/${task.metadata.name}.yaml`);
    expect(task.metadata.labels?.['app.kubernetes.io/version']).toMatch(/^\d+\.\d+\.\d+$/);
    // Tekton copies Task labels to the pod, keeping TaskRuns out of the Istio mesh.
    expect(task.metadata.labels?.['sidecar.istio.io/inject']).toBe('false');
    const a = task.metadata.annotations ?? {};
    expect(a['tekton.dev/pipelines.minVersion']).toMatch(/^\d+\.\d+\.\d+$/);
    for (const c of (a['tekton.dev/categories'] ?? '').split(',')) expect(HUB_CATEGORIES).toContain(c.trim());
    expect(a['tekton.dev/tags']).toBeTruthy();
    expect(a['tekton.dev/displayName']).toBeTruthy();
    for (const p of (a['tekton.dev/platforms'] ?? '').split(',')) expect(p).toMatch(/^[a-z0-9]+\/[a-z0-9]+$/);
    expect(spec.description?.length).toBeGreaterThan(80);
  });

  it('takes a pinned image and gives every param a description and a default', () => {
    const image = spec.params?.find((p) => p.name === 'image');
    expect(image?.default).toMatch(
      /^quay\.io\/kv-cache-bench\/kv-cache-bench:\d+\.\d+\.\d+(@sha256:[a-f0-9]{64})?$/,
    );
    for (const p of spec.params ?? []) {
      expect([p.name, typeof p.description, typeof p.default]).toEqual([p.name, 'string', 'string']);
    }
  });

  it('runs the CLI with command/args only: no script, restricted, no runAsUser, with requests', () => {
    for (const raw of spec.steps) {
      const step = effective(spec, raw);
      expect(step.script).toBeUndefined();
      expect(step.image).toBe('$(params.image)');
      expect(step.command).toEqual(['kv-cache-bench']);
      expect(step.securityContext).toEqual(RESTRICTED);
      expect(JSON.stringify(step.computeResources)).toMatch(/"requests":\{"cpu":"[^"]+","memory":"[^"]+"\}/);
    }
  });

  it('passes only flags its CLI command declares', () => {
    for (const raw of spec.steps) {
      const [sub = '', ...flags] = raw.args ?? [];
      const command = COMMANDS.find((c) => c.name === sub);
      expect(command?.name).toBe(sub);
      const known = new Set([...Object.keys(commonFlags), ...Object.keys(command?.flags ?? {})]);
      const unknown = flags
        .map((f) => /^--(?:no-)?([a-z0-9-]+)/.exec(f)?.[1] ?? f)
        .filter((f) => !known.has(f));
      expect({ step: raw.name, unknown }).toEqual({ step: raw.name, unknown: [] });
    }
  });

  it('reads the API key from an optional Secret when it sends requests', () => {
    const loads = spec.steps.some((s) => ['warmup', 'ramp-load', 'run'].includes(s.args?.[0] ?? ''));
    const env = spec.stepTemplate?.env?.find((e) => e.name === 'KV_CACHE_BENCH_API_KEY');
    if (loads)
      expect(env?.valueFrom?.secretKeyRef).toEqual({
        name: '$(params.api-key-secret)',
        key: 'api-key',
        optional: true,
      });
    else expect(env).toBeUndefined();
  });
});

describe('scripts', () => {
  const steps = tasks.flatMap((t) => t.task.spec.steps.map((s) => ({ task: t.task.metadata.name, step: s })));
  it('no step uses a script, so no $( can reach a shell', () => {
    expect(steps.filter((s) => s.step.script !== undefined).map((s) => `${s.task}/${s.step.name}`)).toEqual(
      [],
    );
    for (const { step } of steps) expect(step.script ?? '').not.toContain('$(');
  });

  it('no Pipeline embeds a taskSpec (inline specs may be disabled: disable-inline-spec)', () => {
    for (const { pipeline } of pipelines) {
      for (const t of [...pipeline.spec.tasks, ...(pipeline.spec.finally ?? [])])
        expect([t.name, t.taskSpec]).toEqual([t.name, undefined]);
    }
  });
});
