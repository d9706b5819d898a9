// The objects the embedded Tekton controller writes, in Tekton's v1 shapes (src/sim/tekton/objects.ts).
import type { KubeObject } from '../../../../src/sim/kube-api/store.ts';
import {
  finalPipelineRunStatus,
  newPod,
  newTaskRun,
  podDone,
  podNameOf,
  podStepDone,
  podStepRunning,
  runningMessage,
  taskRunDone,
  taskRunStepRunning,
} from '../../../../src/sim/tekton/objects.ts';
import type { PlannedStep } from '../../../../src/tekton/plan.ts';
import type { StepStatus, TaskRunStatus, TaskRunTarget } from '../../../../src/tekton/index.ts';

const T0 = '2026-01-02T03:04:05.678Z';
const T1 = '2026-01-02T03:04:09.100Z';

const pipelineRun: KubeObject = {
  apiVersion: 'tekton.dev/v1',
  kind: 'PipelineRun',
  metadata: {
    name: 'cache-hit-run-abcde',
    namespace: 'llm-d',
    uid: 'pr-uid',
    resourceVersion: '7',
    creationTimestamp: '2026-01-02T03:04:00Z',
    labels: { team: 'bench' },
  },
  spec: {},
};

const step = (name: string): PlannedStep => ({
  name,
  container: `step-${name}`,
  image: 'quay.io/kv-cache-bench/kv-cache-bench:0.1.0',
  argv: ['kv-cache-bench', name, '--out=/scratch/x'],
  workingDir: '',
  env: [],
  volumeMounts: [],
  onError: 'stopAndFail',
  when: { allowed: true, evaluated: [] },
});

const target: TaskRunTarget = {
  name: 'cache-hit-run-abcde-measure',
  taskName: 'kv-cache-measure',
  pipelineTaskName: 'measure',
  plan: { steps: [step('scrape'), step('report')], results: [], volumes: [], workspaces: [] },
  dir: '/tmp/x',
  workspaceDirs: {},
  retryCount: 0,
  params: { stages: '4x24' },
};

function objects() {
  const taskRun = newTaskRun({
    target,
    pipelineRun,
    pipelineName: 'kv-cache-ramp',
    memberOf: 'tasks',
    serviceAccountName: 'kv-cache-bench',
    taskLabels: { 'sidecar.istio.io/inject': 'false' },
    uid: 'tr-uid',
    startTime: T0,
  });
  const pod = newPod({
    taskRun,
    steps: target.plan.steps,
    serviceAccountName: 'kv-cache-bench',
    uid: 'pod-uid',
    name: podNameOf(target.name),
    startTime: T0,
  });
  return { taskRun, pod };
}

const stepDone = (name: string, exitCode: number, reason: StepStatus['terminationReason']): StepStatus => ({
  name,
  container: `step-${name}`,
  image: 'img',
  command: [],
  localCommand: [],
  exitCode,
  terminationReason: reason,
  startedAt: T0,
  finishedAt: T1,
  log: '',
});

describe('TaskRun and Pod of a PipelineTask', () => {
  it('owns the TaskRun by the PipelineRun and labels it as Tekton does', () => {
    const { taskRun } = objects();
    expect(taskRun.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'tekton.dev/v1',
        kind: 'PipelineRun',
        name: 'cache-hit-run-abcde',
        uid: 'pr-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(taskRun.metadata.labels).toEqual({
      'sidecar.istio.io/inject': 'false',
      team: 'bench',
      'app.kubernetes.io/managed-by': 'tekton-pipelines',
      'tekton.dev/memberOf': 'tasks',
      'tekton.dev/pipeline': 'kv-cache-ramp',
      'tekton.dev/pipelineRun': 'cache-hit-run-abcde',
      'tekton.dev/pipelineRunUID': 'pr-uid',
      'tekton.dev/pipelineTask': 'measure',
      'tekton.dev/task': 'kv-cache-measure',
    });
    expect(taskRun.spec).toEqual({
      params: [{ name: 'stages', value: '4x24' }],
      serviceAccountName: 'kv-cache-bench',
      taskRef: { kind: 'Task', name: 'kv-cache-measure' },
    });
    expect(taskRun.status).toMatchObject({
      podName: 'cache-hit-run-abcde-measure-pod',
      startTime: '2026-01-02T03:04:05Z',
      conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Pending' }],
    });
  });

  it('gives the pod one step-<name> container per step, owned by the TaskRun', () => {
    const { pod } = objects();
    const spec = pod.spec as { containers: { name: string; command: string[]; args: string[] }[] };
    expect(spec.containers.map((c) => [c.name, c.command, c.args])).toEqual([
      ['step-scrape', ['kv-cache-bench'], ['scrape', '--out=/scratch/x']],
      ['step-report', ['kv-cache-bench'], ['report', '--out=/scratch/x']],
    ]);
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'TaskRun', uid: 'tr-uid' });
    expect(pod.metadata.labels).toMatchObject({
      'tekton.dev/taskRun': 'cache-hit-run-abcde-measure',
      'tekton.dev/taskRunUID': 'tr-uid',
    });
    expect(pod.status).toMatchObject({ phase: 'Pending' });
  });

  it.each([
    ['x', 0, 'x-pod'],
    ['x', 2, 'x-pod-retry2'],
    ['a'.repeat(70), 0, expect.stringMatching(/^a+[0-9a-f]{32}-pod$/)],
  ])('names the pod of TaskRun %s (retry %i) %s', (taskRun, retry, expected) => {
    const name = podNameOf(taskRun, retry);
    expect(name).toEqual(expected);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('moves a step from waiting to running to terminated in both the pod and the TaskRun', () => {
    const { taskRun, pod } = objects();
    podStepRunning(pod, 'step-scrape', T0);
    taskRunStepRunning(taskRun, 'step-scrape', T0);
    expect(pod.status).toMatchObject({
      phase: 'Running',
      containerStatuses: [
        { name: 'step-scrape', state: { running: { startedAt: '2026-01-02T03:04:05Z' } }, ready: true },
        { name: 'step-report', state: { waiting: { reason: 'PodInitializing' } } },
      ],
    });
    expect(taskRun.status).toMatchObject({ conditions: [{ status: 'Unknown', reason: 'Running' }] });
    podStepDone(pod, stepDone('scrape', 0, 'Completed'), T1);
    expect((pod.status as { containerStatuses: { state: object }[] }).containerStatuses[0]?.state).toEqual({
      terminated: {
        exitCode: 0,
        reason: 'Completed',
        startedAt: '2026-01-02T03:04:05Z',
        finishedAt: '2026-01-02T03:04:09Z',
      },
    });
  });

  it.each([
    ['True', 'Succeeded', 'Succeeded', 0],
    ['False', 'Failed', 'Failed', 1],
  ] as const)(
    'ends a TaskRun %s/%s: condition, results, steps, pod phase %s',
    (status, reason, phase, exitCode) => {
      const { taskRun, pod } = objects();
      const final: TaskRunStatus = {
        name: target.name,
        pipelineTaskName: 'measure',
        taskName: 'kv-cache-measure',
        condition: { type: 'Succeeded', status, reason, message: 'm' },
        steps: [
          stepDone('scrape', 0, 'Completed'),
          stepDone('report', exitCode, exitCode ? 'Error' : 'Completed'),
        ],
        results: [
          { name: 'verdict', value: exitCode ? 'FAIL' : 'PASS' },
          { name: 'list', value: ['a'] },
        ],
        retriesStatus: 0,
        startTime: T0,
        completionTime: T1,
      };
      taskRunDone(taskRun, final);
      podDone(pod, final);
      expect(taskRun.status).toMatchObject({
        conditions: [{ type: 'Succeeded', status, reason, message: 'm' }],
        completionTime: '2026-01-02T03:04:09Z',
        results: [
          { name: 'verdict', type: 'string', value: exitCode ? 'FAIL' : 'PASS' },
          { name: 'list', type: 'array', value: ['a'] },
        ],
        steps: [
          {
            name: 'scrape',
            terminated: { exitCode: 0, reason: 'Completed' },
            terminationReason: 'Completed',
          },
          {
            name: 'report',
            terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed' },
          },
        ],
      });
      expect((pod.status as { phase: string }).phase).toBe(phase);
    },
  );
});

describe('PipelineRun status', () => {
  it.each([
    [
      { completed: 0, failed: 0, cancelled: 0, skipped: 0 },
      'Tasks Completed: 0 (Failed: 0, Cancelled 0), Skipped: 0',
    ],
    [
      { completed: 2, failed: 1, cancelled: 0, skipped: 1 },
      'Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 1',
    ],
  ])('says %j as Tekton does while running', (tally, message) => {
    expect(runningMessage(tally)).toBe(message);
  });

  it('carries the condition, times, childReferences, results and skipped tasks at the end', () => {
    const status = finalPipelineRunStatus(
      { startTime: '2026-01-02T03:04:00Z', pipelineSpec: { tasks: [] } },
      {
        name: 'r',
        namespace: 'llm-d',
        pipelineName: 'p',
        condition: { type: 'Succeeded', status: 'False', reason: 'Failed', message: 'Tasks Completed: 1' },
        results: [{ name: 'verdict', value: 'FAIL' }],
        taskRuns: {},
        skippedTasks: [{ name: 'verify', reason: 'PipelineRun was stopping' }],
        startTime: T0,
        completionTime: T1,
        dryRun: false,
      },
      [{ apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name: 'r-restart', pipelineTaskName: 'restart' }],
    );
    expect(status).toEqual({
      pipelineSpec: { tasks: [] },
      startTime: '2026-01-02T03:04:00Z',
      completionTime: '2026-01-02T03:04:09Z',
      conditions: [
        {
          type: 'Succeeded',
          status: 'False',
          reason: 'Failed',
          message: 'Tasks Completed: 1',
          lastTransitionTime: '2026-01-02T03:04:09Z',
        },
      ],
      childReferences: [
        { apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name: 'r-restart', pipelineTaskName: 'restart' },
      ],
      results: [{ name: 'verdict', value: 'FAIL' }],
      skippedTasks: [{ name: 'verify', reason: 'PipelineRun was stopping' }],
    });
  });
});
