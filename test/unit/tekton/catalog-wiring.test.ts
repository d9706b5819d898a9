// How the catalog's objects fit together: kustomizations, PipelineRuns → Pipelines → Tasks, the
// nightly trigger chain, RBAC, and READMEs that say what the YAML says.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocuments } from '../../../src/tekton/catalog.ts';
import { specType } from '../../../src/tekton/params.ts';
import type { Pipeline, PipelineRun, Task } from '../../../src/tekton/types.ts';
import { IMAGE_BUILD, pipelineFiles, pipelineRunFiles, readYaml, ROOT, taskFiles } from './catalog-files.ts';

interface CronJob {
  spec: {
    concurrencyPolicy: string;
    jobTemplate: {
      spec: {
        template: {
          spec: {
            automountServiceAccountToken?: boolean;
            containers: { image: string; command: string[]; args: string[]; securityContext: unknown }[];
          };
        };
      };
    };
  };
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};

function kustomize(dir: string): Obj[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('kubectl is not installed: it renders the kustomizations offline (kubectl kustomize)');
    throw err;
  }
  return parseDocuments(out, `kubectl kustomize ${dir}`) as Obj[];
}

const tasks = new Map(taskFiles().map((t) => [t.task.metadata.name ?? '', t.task]));
const pipelines = new Map(pipelineFiles().map((p) => [p.pipeline.metadata.name ?? '', p.pipeline]));
const runs = pipelineRunFiles();
const IMAGE = tasks.get('kv-cache-measure')?.spec.params?.find((p) => p.name === 'image')?.default;

describe('kubectl apply -k .', () => {
  const objects = kustomize('.');
  it('installs every Task, Pipeline and the RBAC into one namespace, nothing cluster-scoped', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        // The image build is installed on its own (docs/INSTALL-CLUSTER.md).
        ...[...tasks.keys()].filter((n) => n !== IMAGE_BUILD.task).map((n) => `Task/${n}`),
        ...[...pipelines.keys()].filter((n) => n !== IMAGE_BUILD.pipeline).map((n) => `Pipeline/${n}`),
        'Role/kv-cache-bench',
        'RoleBinding/kv-cache-bench',
        'ServiceAccount/kv-cache-bench',
      ].sort(),
    );
    for (const o of objects) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'llm-d']);
  });

  it("grants the tasks only what they use (pods, pods/proxy, and rollout's Deployment patch)", () => {
    const role = objects.find((o) => o.kind === 'Role') as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
    ]);
    const binding = objects.find((o) => o.kind === 'RoleBinding') as unknown as {
      subjects: unknown[];
      roleRef: unknown;
    };
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'kv-cache-bench', namespace: 'llm-d' },
    ]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'kv-cache-bench',
    });
  });
});

describe('PipelineRuns', () => {
  it("keep the reference demo's file names and add the restart-ramp, stepwise, fan-out and compare runs", () => {
    expect(runs.map((r) => r.path)).toEqual([
      'pipelineruns/cache-compare-pipelinerun.yaml',
      'pipelineruns/cache-hit-pipelinerun.yaml',
      'pipelineruns/cache-pod-restart-pipelinerun.yaml',
      'pipelineruns/cache-ramp-fanout-pipelinerun.yaml',
      'pipelineruns/cache-ramp-pipelinerun.yaml',
      'pipelineruns/cache-ramp-stepwise-pipelinerun.yaml',
      'pipelineruns/cache-restart-ramp-pipelinerun.yaml',
      IMAGE_BUILD.run,
    ]);
  });

  it.each(runs.map((r) => [r.path, r.run] as const))(
    '%s names its Pipeline, its params, its workspaces and the ServiceAccount',
    (path, run) => {
      const pipeline = pipelines.get(run.spec.pipelineRef?.name ?? '') as Pipeline;
      expect(pipeline?.metadata.name).toBe(run.spec.pipelineRef?.name);
      expect(run.metadata.generateName).toMatch(/-run-$/);
      const declared = new Set((pipeline.spec.params ?? []).map((p) => p.name));
      for (const p of run.spec.params ?? []) expect([p.name, declared.has(p.name)]).toEqual([p.name, true]);
      const stages = run.spec.params?.find((p) => p.name === 'stages')?.value;
      // Counts, so a run takes the same shape on a cluster and on the embedded stack.
      if (stages !== undefined) expect(stages).toMatch(/^\d+x\d+(,\d+x\d+)*$/);
      const bound = new Set((run.spec.workspaces ?? []).map((w) => w.name));
      for (const w of pipeline.spec.workspaces ?? [])
        if (!w.optional) expect([w.name, bound.has(w.name)]).toEqual([w.name, true]);
      expect(run.spec.taskRunTemplate?.serviceAccountName).toBe(
        path === IMAGE_BUILD.run ? IMAGE_BUILD.serviceAccount : 'kv-cache-bench',
      );
    },
  );

  it.each(['stepwise', 'fanout'])(
    'the %s run shares files through a volumeClaimTemplate, not an emptyDir',
    (kind) => {
      const run = runs.find((r) => r.path.endsWith(`${kind}-pipelinerun.yaml`))?.run as PipelineRun;
      expect(run.spec.workspaces?.[0]).toMatchObject({
        name: 'data',
        volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } },
      });
    },
  );

  it('only the fan-out Pipeline uses a beta field (matrix), and says so', () => {
    const beta = [...pipelines.values()].filter((p) =>
      [...p.spec.tasks, ...(p.spec.finally ?? [])].some((t) => t.matrix),
    );
    expect(beta.map((p) => [p.metadata.name, p.metadata.annotations?.['kv-cache-bench/requires']])).toEqual([
      ['kv-cache-ramp-fanout', 'enable-api-fields: beta (matrix)'],
    ]);
  });
});

describe('Pipelines', () => {
  const measuring = [
    'kv-cache-ramp',
    'kv-cache-restart-ramp',
    'kv-cache-ramp-stepwise',
    'kv-cache-ramp-fanout',
    'kv-cache-compare',
  ];

  it.each(['kv-cache-pod-restart', 'kv-cache-ramp', 'kv-cache-restart-ramp', 'kv-cache-compare'])(
    '%s starts from the Dashboard form: string params with defaults, no required workspace',
    (name) => {
      const p = pipelines.get(name) as Pipeline;
      for (const param of p.spec.params ?? []) {
        expect([param.name, specType(param), typeof param.default, typeof param.description]).toEqual([
          param.name,
          'string',
          'string',
          'string',
        ]);
      }
      expect((p.spec.workspaces ?? []).filter((w) => !w.optional)).toEqual([]);
    },
  );

  it.each(measuring)('%s gives the hit rate, stickiness and verdict as Pipeline results', (name) => {
    expect((pipelines.get(name)?.spec.results ?? []).map((r) => r.name)).toEqual([
      'hit-rate',
      'stickiness',
      'verdict',
    ]);
  });

  it.each([...pipelines.keys()])(
    '%s passes its tasks only params they declare, with the same defaults',
    (name) => {
      const p = pipelines.get(name) as Pipeline;
      const defaults = new Map((p.spec.params ?? []).map((x) => [x.name, x.default]));
      for (const pt of [...p.spec.tasks, ...(p.spec.finally ?? [])]) {
        const task = tasks.get(pt.taskRef?.name ?? '') as Task;
        expect(task?.metadata.name).toBe(pt.taskRef?.name);
        const taskParams = new Map((task.spec.params ?? []).map((x) => [x.name, x.default]));
        for (const given of pt.params ?? []) {
          expect([pt.name, given.name, taskParams.has(given.name)]).toEqual([pt.name, given.name, true]);
          // A pipeline param passed straight through keeps the task's default: no drift between the two.
          const through = /^\$\(params\.([a-z-]+)\)$/.exec(String(given.value))?.[1];
          if (through && through === given.name)
            expect([given.name, defaults.get(through)]).toEqual([given.name, taskParams.get(given.name)]);
        }
      }
    },
  );
});

describe('nightly trigger', () => {
  const objects = kustomize('triggers');
  const byKind = (kind: string): unknown[] => objects.filter((o) => o.kind === kind);
  const template = byKind('TriggerTemplate')[0] as {
    metadata: { name: string };
    spec: { params: { name: string; default: string }[]; resourcetemplates: PipelineRun[] };
  };
  const binding = byKind('TriggerBinding')[0] as {
    metadata: { name: string };
    spec: { params: { name: string; value: string }[] };
  };
  const listener = byKind('EventListener')[0] as {
    metadata: { name: string };
    spec: { serviceAccountName: string; triggers: unknown[] };
  };

  it('installs the EventListener chain, its RBAC, the CronJob and the report claim into one namespace', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRoleBinding/kv-cache-bench-triggers',
      'CronJob/kv-cache-bench-nightly',
      'EventListener/kv-cache-bench-nightly',
      'PersistentVolumeClaim/kv-cache-bench-reports',
      'RoleBinding/kv-cache-bench-triggers',
      'ServiceAccount/kv-cache-bench-triggers',
      'TriggerBinding/kv-cache-bench-nightly',
      'TriggerTemplate/kv-cache-bench-nightly',
    ]);
    for (const o of objects)
      if (o.kind !== 'ClusterRoleBinding') expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'llm-d']);
  });

  it("binds the EventListener's ServiceAccount to Tekton Triggers' documented roles", () => {
    const sa = { kind: 'ServiceAccount', name: 'kv-cache-bench-triggers', namespace: 'llm-d' };
    expect(byKind('RoleBinding')[0]).toMatchObject({
      subjects: [sa],
      roleRef: { kind: 'ClusterRole', name: 'tekton-triggers-eventlistener-roles' },
    });
    expect(byKind('ClusterRoleBinding')[0]).toMatchObject({
      subjects: [sa],
      roleRef: { kind: 'ClusterRole', name: 'tekton-triggers-eventlistener-clusterroles' },
    });
    expect(listener.spec.serviceAccountName).toBe('kv-cache-bench-triggers');
    expect(listener.spec.triggers).toEqual([
      {
        name: 'restart-ramp',
        bindings: [{ ref: binding.metadata.name }],
        template: { ref: template.metadata.name },
      },
    ]);
  });

  it("maps body fields to template params to the restart-ramp Pipeline's params", () => {
    const templateParams = new Map(template.spec.params.map((p) => [p.name, p.default]));
    for (const b of binding.spec.params)
      expect([b.name, b.value, templateParams.has(b.name)]).toEqual([b.name, `$(body.${b.name})`, true]);
    const run = template.spec.resourcetemplates[0] as PipelineRun;
    const pipeline = pipelines.get(run.spec.pipelineRef?.name ?? '') as Pipeline;
    expect(pipeline.metadata.name).toBe('kv-cache-restart-ramp');
    const pipelineDefaults = new Map((pipeline.spec.params ?? []).map((p) => [p.name, p.default]));
    for (const p of run.spec.params ?? []) {
      expect([p.name, p.value, pipelineDefaults.has(p.name)]).toEqual([
        p.name,
        `$(tt.params.${p.name})`,
        true,
      ]);
      // A body that leaves a field out gets what the Pipeline would have used.
      expect([p.name, templateParams.get(p.name)]).toEqual([p.name, pipelineDefaults.get(p.name)]);
    }
    expect(run.spec.workspaces).toEqual([
      { name: 'reports', persistentVolumeClaim: { claimName: 'kv-cache-bench-reports' } },
    ]);
  });

  it('the CronJob posts with our own pinned image and `trigger` command, restricted and without a token', () => {
    const cron = byKind('CronJob')[0] as CronJob;
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const c = pod
      .containers[0] as CronJob['spec']['jobTemplate']['spec']['template']['spec']['containers'][number];
    expect(c.image).toBe(IMAGE);
    expect(c.command).toEqual(['kv-cache-bench']);
    expect(c.args.slice(0, 3)).toEqual([
      'trigger',
      `--url=http://el-${listener.metadata.name}:8080`,
      '--param',
    ]);
    const bodyKeys = c.args.slice(3).map((kv) => kv.split('=')[0]);
    for (const k of bodyKeys) expect(binding.spec.params.map((p) => p.name)).toContain(k);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
  });
});

describe('READMEs', () => {
  it.each([...tasks.values()].map((t) => [t.metadata.name, t] as const))(
    'tasks/%s/README.md lists every param with its default, workspace and result',
    (name, task) => {
      const readme = readFileSync(join(ROOT, 'tasks', name ?? '', 'README.md'), 'utf8');
      for (const p of task.spec.params ?? []) expect(readme).toContain(`| \`${p.name}\` |`);
      for (const p of task.spec.params ?? []) expect(readme).toContain(`| \`${String(p.default)}\` |`);
      for (const w of task.spec.workspaces ?? []) expect(readme).toContain(`- \`${w.name}\``);
      for (const r of task.spec.results ?? []) expect(readme).toContain(`- \`${r.name}\`:`);
    },
  );

  it('docs/TEKTON-AUTOMATION.md and triggers/README.md explain every Pipeline, PipelineRun and the schedule', () => {
    const doc = readFileSync(join(ROOT, 'docs/TEKTON-AUTOMATION.md'), 'utf8');
    const install = readFileSync(join(ROOT, IMAGE_BUILD.doc), 'utf8');
    for (const name of pipelines.keys())
      expect(name === IMAGE_BUILD.pipeline ? install : doc).toContain(name);
    for (const r of runs) expect(r.path === IMAGE_BUILD.run ? install : doc).toContain(r.path);
    const triggers = readFileSync(join(ROOT, 'triggers/README.md'), 'utf8');
    const cron = readYaml('triggers/cronjob.yaml').docs[0] as { spec: { schedule: string } };
    expect(triggers).toContain(cron.spec.schedule);
  });
});
