import { ObjectStore, type KubeObject, type StoreEvent } from '../../../../src/sim/kube-api/store.ts';

function events(store: ObjectStore, rv: number): StoreEvent[] {
  const e = store.eventsSince(rv);
  if (e === 'expired') throw new Error(`history after ${rv} expired`);
  return e;
}

const obj = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: name, resourceVersion: '', creationTimestamp: '' },
});

describe('object store', () => {
  it('gives every change the next resourceVersion and keeps old versions unchanged', () => {
    const store = new ObjectStore();
    const a1 = store.create('pods', obj('a'));
    const a2 = store.update('pods', 'ns', 'a', (d) => (d.metadata.labels = { x: '1' }))!;
    const gone = store.remove('pods', 'ns', 'a')!;
    expect([a1.metadata.resourceVersion, a2.metadata.resourceVersion, gone.metadata.resourceVersion]).toEqual(
      ['1', '2', '3'],
    );
    expect(a1.metadata.labels).toBeUndefined();
    expect(events(store, 1).map((e) => [e.type, e.rv])).toEqual([
      ['MODIFIED', 2],
      ['DELETED', 3],
    ]);
    expect(events(store, 1)[0]!.previous).toBe(a1);
  });

  it('answers expired for a resourceVersion older than the kept history', () => {
    const store = new ObjectStore(2);
    for (const n of ['a', 'b', 'c', 'd']) store.create('pods', obj(n));
    expect(store.eventsSince(1)).toBe('expired');
    expect(events(store, 2).map((e) => e.rv)).toEqual([3, 4]);
  });

  it('lists in key order and by namespace', () => {
    const store = new ObjectStore();
    store.create('pods', obj('b'));
    store.create('pods', obj('a'));
    expect(store.list('pods').map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(store.list('pods', 'other')).toEqual([]);
  });

  it('cuts subscribers when told to drop watches', () => {
    const store = new ObjectStore();
    const seen: string[] = [];
    store.subscribe({ onEvent: (e) => seen.push(e.type), onDrop: () => seen.push('drop') });
    store.create('pods', obj('a'));
    expect(store.dropSubscribers()).toBe(1);
    store.create('pods', obj('b'));
    expect(seen).toEqual(['ADDED', 'drop']);
  });
});
