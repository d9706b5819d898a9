import {
  markCrashed,
  markReady,
  markRestarted,
  markRunning,
  markTerminating,
  newPod,
} from '../../../../src/sim/kube-api/pod-object.ts';
import { humanDuration, toTable, wantsTable } from '../../../../src/sim/kube-api/table.ts';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function pod() {
  return newPod({
    name: 'llama-decode-abc-xyz12',
    namespace: 'llm-d',
    uid: 'u-1',
    owner: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'llama-decode-abc',
      uid: 'rs-1',
      controller: true,
    },
    templateHash: 'abc',
    template: {
      metadata: { labels: { app: 'a' } },
      spec: {
        containers: [
          { name: 'vllm', image: 'vllm/vllm-openai:v0.10.0', ports: [{ name: 'http', containerPort: 8000 }] },
        ],
      },
    },
    port: 41234,
    nowMs: T0,
  });
}

const cells = (p: ReturnType<typeof pod>, nowMs: number) => toTable('pods', [p], '1', nowMs).rows[0]!.cells;

describe('server-side printing', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-5000, '<invalid>'],
    [119_000, '119s'],
    [120_000, '2m'],
    [200_000, '3m20s'],
    [45 * 60_000, '45m'],
    [3 * 3600_000 + 7 * 60_000, '3h7m'],
    [10 * 3600_000, '10h'],
    [3 * 86400_000 + 4 * 3600_000, '3d4h'],
    [30 * 86400_000, '30d'],
    [(3 * 365 + 10) * 86400_000, '3y10d'],
  ])('prints a %i ms age as %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('shows a new pod as ContainerCreating with no IP', () => {
    expect(cells(pod(), T0 + 1000)).toEqual([
      'llama-decode-abc-xyz12',
      '0/1',
      'ContainerCreating',
      0,
      '1s',
      '<none>',
      'sim-node',
      '<none>',
      '<none>',
    ]);
  });

  it('shows Running 0/1 before the readiness delay and 1/1 after', () => {
    const p = pod();
    markRunning(p, T0 + 100, 'c1');
    expect(cells(p, T0 + 200).slice(1, 3)).toEqual(['0/1', 'Running']);
    markReady(p, T0 + 1500);
    expect(cells(p, T0 + 5000).slice(1, 6)).toEqual(['1/1', 'Running', 0, '5s', '127.0.0.1']);
  });

  it('shows Terminating once a deletion timestamp is set', () => {
    const p = pod();
    markRunning(p, T0, 'c1');
    markReady(p, T0);
    markTerminating(p, T0 + 1000, 30);
    expect(cells(p, T0 + 2000)[2]).toBe('Terminating');
    expect(p.metadata.deletionTimestamp).toBe('2025-01-01T12:00:31Z');
  });

  it('counts a container restart with how long ago it happened', () => {
    const p = pod();
    markRunning(p, T0, 'c1');
    markReady(p, T0);
    markCrashed(p, T0 + 10_000);
    expect(cells(p, T0 + 10_500).slice(1, 3)).toEqual(['0/1', 'Error']);
    markRestarted(p, T0 + 11_000, 'c2', 41234);
    markReady(p, T0 + 12_000);
    expect(cells(p, T0 + 40_000).slice(1, 4)).toEqual(['1/1', 'Running', '1 (30s ago)']);
  });

  it('carries the object metadata in each row so --show-labels works', () => {
    const t = toTable('pods', [pod()], '7', T0);
    expect(t.rows[0]!.object.metadata.labels).toEqual({ app: 'a', 'pod-template-hash': 'abc' });
    expect(t.columnDefinitions?.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
    ]);
  });

  it.each([
    [
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      true,
    ],
    ['application/json, */*', false],
    ['', false],
  ])('Accept %p asks for a Table: %s', (accept, expected) => {
    expect(wantsTable(accept)).toBe(expected);
  });
});
