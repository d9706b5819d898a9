import { setTimeout as sleep } from 'node:timers/promises';
import { InflightRequest, InflightRequests } from '../../../src/load/inflight.ts';

describe('in-flight requests', () => {
  it('times each request out at its own deadline, oldest first, and never a removed one', async () => {
    const inflight = new InflightRequests(40);
    const signal = new AbortController().signal;
    const ended: string[] = [];
    const add = (name: string) =>
      inflight.add(
        signal,
        () => ended.push(`${name} timeout`),
        () => ended.push(`${name} stop`),
      );
    add('a');
    await sleep(15);
    const b = add('b');
    add('c');
    inflight.remove(b);
    await sleep(35);
    expect(ended).toEqual(['a timeout']);
    await sleep(30);
    expect(ended).toEqual(['a timeout', 'c timeout']);
    inflight.close();
  });

  it('stops the requests of an aborted signal only, with one listener per signal', async () => {
    const inflight = new InflightRequests(10_000);
    const run = new AbortController();
    const other = new AbortController();
    const ended: string[] = [];
    for (const [name, signal] of [
      ['a', run.signal],
      ['b', other.signal],
      ['c', run.signal],
    ] as const)
      inflight.add(
        signal,
        () => ended.push(`${name} timeout`),
        () => ended.push(`${name} stop`),
      );
    run.abort();
    expect(ended).toEqual(['a stop', 'c stop']);
    inflight.close();
  });

  it('lets go of a removed request at once, wherever it sat, and keeps the others in send order', async () => {
    const inflight = new InflightRequests(30);
    const signal = new AbortController().signal;
    const ended: string[] = [];
    const entries = ['a', 'b', 'c', 'd'].map((name) =>
      inflight.add(
        signal,
        () => ended.push(name),
        () => undefined,
      ),
    );
    const [a, b, , d] = entries as [InflightRequest, InflightRequest, InflightRequest, InflightRequest];
    for (const e of [b, a, d]) inflight.remove(e);
    inflight.remove(b); // twice: no effect
    // Nothing a finished request held stays reachable from the list (a GC must not keep its state).
    for (const e of [a, b, d])
      expect([e.onTimeout, e.onStop, e.prev, e.next]).toEqual([null, null, null, null]);
    await sleep(60);
    expect(ended).toEqual(['c']);
    inflight.close();
  });

  it('stops every request of a signal even when a stop callback ends another one', () => {
    const inflight = new InflightRequests(10_000);
    const run = new AbortController();
    const ended: string[] = [];
    const entries: ReturnType<InflightRequests['add']>[] = [];
    for (const name of ['a', 'b', 'c'])
      entries.push(
        inflight.add(
          run.signal,
          () => undefined,
          () => {
            ended.push(name);
            // a's stop ends b as a side effect (its exchange aborted): b is not stopped twice.
            if (name === 'a') inflight.remove(entries[1] as (typeof entries)[number]);
          },
        ),
      );
    run.abort();
    expect(ended).toEqual(['a', 'c']);
    inflight.close();
  });
});
