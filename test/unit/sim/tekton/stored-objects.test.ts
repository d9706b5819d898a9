// What the embedded API does with the objects `kubectl apply -k .` and the Tekton controller store:
// `kubectl get` columns (table-stored.ts), garbage collection by owner (objects.ts), container log tails
// (pod-logs.ts), ClusterIPs from the service range.
import { clusterIp, removeWithDependents } from '../../../../src/sim/kube-api/objects.ts';
import { PodLogs, tailLines } from '../../../../src/sim/kube-api/pod-logs.ts';
import { ObjectStore, type KubeObject, type ResourceName } from '../../../../src/sim/kube-api/store.ts';
import {
  STORED_COLUMNS,
  storedCells,
  type StoredTableResource,
} from '../../../../src/sim/kube-api/table-stored.ts';

const obj = (kind: string, name: string, extra: Partial<KubeObject> = {}, owner?: string): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: {
    name,
    namespace: 'llm-d',
    uid: `uid-${name}`,
    resourceVersion: '',
    creationTimestamp: '2026-01-01T00:00:00Z',
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: owner, uid: `uid-${owner}` }] }
      : {}),
  },
  ...extra,
});

const age = (t: string | undefined) => `age(${t ?? ''})`;

describe('kubectl get columns of the stored kinds', () => {
  it.each([
    [
      'pipelineruns',
      obj('PipelineRun', 'r', {
        status: {
          conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Running' }],
          startTime: '2026-01-01T00:00:01Z',
        },
      }),
      ['r', 'Unknown', 'Running', 'age(2026-01-01T00:00:01Z)', null],
    ],
    ['pipelineruns', obj('PipelineRun', 'new'), ['new', null, null, null, null]],
    [
      'taskruns',
      obj('TaskRun', 't', {
        status: {
          conditions: [{ type: 'Succeeded', status: 'False', reason: 'Failed' }],
          startTime: '2026-01-01T00:00:01Z',
          completionTime: '2026-01-01T00:00:09Z',
        },
      }),
      ['t', 'False', 'Failed', 'age(2026-01-01T00:00:01Z)', 'age(2026-01-01T00:00:09Z)'],
    ],
    ['tasks', obj('Task', 'kv-cache-measure'), ['kv-cache-measure', 'age(2026-01-01T00:00:00Z)']],
    ['serviceaccounts', obj('ServiceAccount', 'sa'), ['sa', 0, 'age(2026-01-01T00:00:00Z)']],
    ['secrets', obj('Secret', 's', { data: { a: 'Yg==' } }), ['s', 'Opaque', 1, 'age(2026-01-01T00:00:00Z)']],
    ['roles', obj('Role', 'r'), ['r', '2026-01-01T00:00:00Z']],
    [
      'rolebindings',
      obj('RoleBinding', 'b', {
        roleRef: { kind: 'Role', name: 'r' },
        subjects: [
          { kind: 'ServiceAccount', name: 'sa', namespace: 'llm-d' },
          { kind: 'User', name: 'alice' },
        ],
      }),
      ['b', 'Role/r', 'age(2026-01-01T00:00:00Z)', 'alice', '', 'llm-d/sa'],
    ],
    [
      'services',
      obj('Service', 'gw', { spec: { clusterIP: '10.96.0.9', ports: [{ port: 80, protocol: 'TCP' }] } }),
      ['gw', 'ClusterIP', '10.96.0.9', '<none>', '80/TCP', 'age(2026-01-01T00:00:00Z)', '<none>'],
    ],
  ] as [StoredTableResource, KubeObject, unknown[]][])('%s: %j', (resource, o, cells) => {
    expect(storedCells(resource, o, age)).toEqual(cells);
    expect(STORED_COLUMNS[resource]).toHaveLength(cells.length);
  });

  it("prints PipelineRuns with Tekton's printer columns", () => {
    expect(STORED_COLUMNS.pipelineruns.map((c) => c.name)).toEqual([
      'Name',
      'Succeeded',
      'Reason',
      'StartTime',
      'CompletionTime',
    ]);
  });
});

describe('garbage collection by ownerReferences', () => {
  it('removes a PipelineRun with its TaskRuns and their pods, and nothing else', () => {
    const store = new ObjectStore();
    const put = (r: ResourceName, o: KubeObject) => store.create(r, o);
    const pr = put('pipelineruns', obj('PipelineRun', 'run'));
    put('taskruns', obj('TaskRun', 'run-a', {}, 'run'));
    put('taskruns', obj('TaskRun', 'run-b', {}, 'run'));
    put('pods', obj('Pod', 'run-a-pod', {}, 'run-a'));
    put('pods', obj('Pod', 'decode-1', {}, 'replicaset'));
    put('taskruns', obj('TaskRun', 'other-a', {}, 'other'));
    removeWithDependents(store, 'pipelineruns', pr);
    expect(store.list('pipelineruns').map((o) => o.metadata.name)).toEqual([]);
    expect(store.list('taskruns').map((o) => o.metadata.name)).toEqual(['other-a']);
    expect(store.list('pods').map((o) => o.metadata.name)).toEqual(['decode-1']);
  });
});

describe('container logs', () => {
  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 1, 'c'],
    ['a\n', 5, 'a\n'],
    ['a\n', 0, ''],
  ])('the last lines of %j (tailLines=%i) are %j', (text, n, tail) => {
    expect(tailLines(text, n)).toBe(tail);
  });

  it('streams what a container prints to followers until it exits', () => {
    const logs = new PodLogs();
    const seen: (string | null)[] = [];
    logs.append('ns', 'p', 'step-a', 'one\n');
    logs.follow('ns', 'p', 'step-a', (c) => seen.push(c));
    logs.append('ns', 'p', 'step-a', 'two\n');
    logs.end('ns', 'p', 'step-a');
    expect(seen).toEqual(['two\n', null]);
    expect(logs.read('ns', 'p', 'step-a')).toEqual({ text: 'one\ntwo\n', done: true });
    logs.forget('ns', 'p');
    expect(logs.read('ns', 'p', 'step-a')).toEqual({ text: '', done: false });
  });
});

describe('ClusterIPs', () => {
  it.each([0, 0.5, 0.999999])('come from 10.96.0.0/12 (random %f)', (r) => {
    const [a, b, c, d] = clusterIp(() => r)
      .split('.')
      .map(Number) as [number, number, number, number];
    expect(a).toBe(10);
    expect(b).toBeGreaterThanOrEqual(96);
    expect(b).toBeLessThan(112);
    expect([c, d].every((x) => x >= 0 && x < 256)).toBe(true);
  });
});
