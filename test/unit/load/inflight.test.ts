import { setTimeout as sleep } from 'node:timers/promises';
import { InflightRequests } from '../../../src/load/inflight.ts';

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
});
