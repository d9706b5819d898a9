import { UsageError } from '../../../src/errors.ts';
import {
  EvenShare,
  FaultInjector,
  formatFault,
  parseFault,
  parseFaults,
  resolveTarget,
  type FaultSpec,
} from '../../../src/sim/faults.ts';

describe('parseFault', () => {
  it.each<[string, FaultSpec]>([
    ['gateway-503=10%', { kind: 'gateway-503', share: 0.1 }],
    ['gateway-503=0.5%', { kind: 'gateway-503', share: 0.005 }],
    ['cut-stream=5%', { kind: 'cut-stream', pod: { kind: 'all' }, share: 0.05 }],
    ['cut-stream=pod-1:100%', { kind: 'cut-stream', pod: { kind: 'index', index: 1 }, share: 1 }],
    ['stall=pod-0:2s', { kind: 'stall', pod: { kind: 'index', index: 0 }, ms: 2000 }],
    ['stall=750ms', { kind: 'stall', pod: { kind: 'all' }, ms: 750 }],
    ['metrics-garbage=pod-1', { kind: 'metrics-garbage', pod: { kind: 'index', index: 1 } }],
    [
      'metrics-timeout=llama-decode-5d8f-abcde',
      { kind: 'metrics-timeout', pod: { kind: 'name', name: 'llama-decode-5d8f-abcde' } },
    ],
    ['metrics-garbage=*', { kind: 'metrics-garbage', pod: { kind: 'all' } }],
    ['kill-pod-after=10s', { kind: 'kill-pod-after', pod: { kind: 'index', index: 0 }, ms: 10_000 }],
    ['delete-pod-after=*:1m', { kind: 'delete-pod-after', pod: { kind: 'all' }, ms: 60_000 }],
    ['api-500=3', { kind: 'api-500', count: 3 }],
    ['api-500=20%', { kind: 'api-500', share: 0.2 }],
    ['drop-watch-after=1s', { kind: 'drop-watch-after', ms: 1000 }],
    [' stall=1s ', { kind: 'stall', pod: { kind: 'all' }, ms: 1000 }],
  ])('reads %j', (text, expected) => {
    expect(parseFault(text)).toEqual(expected);
  });

  it.each([
    ['gateway-503', 'expected name=value'],
    ['gateway-503=', 'no value after ='],
    ['gateway-503=150%', 'is not a share above 0% and at most 100%'],
    ['gateway-503=0%', 'is not a share above 0% and at most 100%'],
    ['gateway-503=10', 'is not a share'],
    ['cut-stream=-5%', 'is not a share'],
    ['stall=pod-0:-2s', 'is not a duration'],
    ['stall=pod-0:2', 'is not a duration'],
    ['stall=2h', 'is not a duration'],
    ['kill-pod-after=90m', 'is longer than 1h'],
    ['metrics-garbage=Pod_1', 'is not a pod'],
    ['metrics-timeout=pod-0;rm -rf /', 'is not a pod'],
    ['api-500=0', 'neither a count'],
    ['api-500=1e9', 'neither a count'],
    ['explode=1', 'unknown fault "explode"'],
  ])('refuses %j with a one-line UsageError', (text, message) => {
    let err: unknown;
    try {
      parseFault(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).toContain(`--faults ${JSON.stringify(text)}`);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('parseFaults', () => {
  it('reads comma-separated lists and repeated flags together, skipping empty parts', () => {
    expect(parseFaults(['gateway-503=10%,stall=1s', 'api-500=2,']).map(formatFault)).toEqual([
      'gateway-503=10%',
      'stall=*:1000ms',
      'api-500=2',
    ]);
  });

  it('gives each spec back in the canonical form it reads again', () => {
    const specs = parseFaults(
      'gateway-503=12.5%,cut-stream=pod-2:5%,stall=pod-0:2s,metrics-garbage=pod-1,metrics-timeout=*,' +
        'kill-pod-after=10s,delete-pod-after=pod-1:500ms,api-500=20%,drop-watch-after=1s',
    );
    expect(parseFaults(specs.map(formatFault))).toEqual(specs);
  });
});

describe('EvenShare', () => {
  it.each([
    [0.1, 100, 10],
    [0.25, 8, 2],
    [1, 5, 5],
    [0.333, 9, 2],
  ])('fires on exactly floor(n·%p) of %p calls', (share, n, fired) => {
    const s = new EvenShare(share);
    const hits = Array.from({ length: n }, () => s.next());
    expect(hits.filter(Boolean)).toHaveLength(fired);
  });

  it('spreads 10 % as every 10th call', () => {
    const s = new EvenShare(0.1);
    const at = Array.from({ length: 30 }, (_, i) => (s.next() ? i + 1 : 0)).filter(Boolean);
    expect(at).toEqual([10, 20, 30]);
  });
});

describe('resolveTarget', () => {
  const pods = ['decode-a', 'decode-b', 'decode-c'];
  it.each([
    [{ kind: 'all' } as const, pods],
    [{ kind: 'index', index: 1 } as const, ['decode-b']],
    [{ kind: 'index', index: 7 } as const, []],
    [{ kind: 'name', name: 'decode-c' } as const, ['decode-c']],
    [{ kind: 'name', name: 'gone' } as const, []],
  ])('%j names %j', (target, expected) => {
    expect(resolveTarget(target, pods)).toEqual(expected);
  });
});

describe('FaultInjector', () => {
  const pods = ['decode-a', 'decode-b'];
  function injector(specs: string): { f: FaultInjector; killed: string[]; deleted: string[] } {
    const killed: string[] = [];
    const deleted: string[] = [];
    const f = new FaultInjector();
    f.set(specs);
    f.attach({
      podNames: () => pods,
      killPod: async (n) => void killed.push(n),
      deletePod: async (n) => void deleted.push(n),
    });
    return { f, killed, deleted };
  }

  it('answers nothing from any hook when no fault is set', () => {
    const { f } = injector('');
    expect(f.gateway.rejectStatus()).toBeUndefined();
    expect(f.kubeApi.failRequest()).toBeUndefined();
    expect(f.kubeApi.watchLifetimeMs()).toBeUndefined();
    const pod = f.pod('decode-a');
    expect([pod.stallMs?.('/v1/chat/completions'), pod.cutResponse?.('x'), pod.metricsFault?.()]).toEqual([
      undefined,
      false,
      undefined,
    ]);
  });

  it('sends the pod faults only to the pods they target', () => {
    const { f } = injector('stall=pod-1:2s,metrics-garbage=decode-a,metrics-timeout=pod-1,cut-stream=100%');
    const a = f.pod('decode-a');
    const b = f.pod('decode-b');
    expect([a.stallMs?.('r'), b.stallMs?.('r')]).toEqual([undefined, 2000]);
    expect([a.metricsFault?.(), b.metricsFault?.()]).toEqual(['garbage', 'hang']);
    expect([a.cutResponse?.('r'), b.cutResponse?.('r')]).toEqual([true, true]);
  });

  it('fails exactly the next N API requests for api-500=N, then none', () => {
    const { f } = injector('api-500=2,drop-watch-after=300ms');
    expect([1, 2, 3, 4].map(() => f.kubeApi.failRequest())).toEqual([500, 500, undefined, undefined]);
    expect(f.kubeApi.watchLifetimeMs()).toBe(300);
  });

  it('replaces every fault on set() and clears them all on clear()', () => {
    const { f } = injector('gateway-503=100%');
    expect(f.gateway.rejectStatus()).toBe(503);
    f.set('api-500=1');
    expect(f.gateway.rejectStatus()).toBeUndefined();
    expect(f.active.map(formatFault)).toEqual(['api-500=1']);
    f.clear();
    expect([f.active, f.kubeApi.failRequest()]).toEqual([[], undefined]);
  });

  it('kills and deletes the target pods when their time comes, not before', async () => {
    const { f, killed, deleted } = injector('kill-pod-after=pod-1:30ms,delete-pod-after=*:60ms');
    expect([killed, deleted]).toEqual([[], []]);
    await new Promise((r) => setTimeout(r, 120));
    expect([killed, deleted]).toEqual([['decode-b'], pods]);
    f.close();
  });

  it('cancels the timed faults it was given when set again', async () => {
    const { f, killed } = injector('kill-pod-after=20ms');
    f.set('gateway-503=1%');
    await new Promise((r) => setTimeout(r, 60));
    expect(killed).toEqual([]);
    f.close();
  });
});
