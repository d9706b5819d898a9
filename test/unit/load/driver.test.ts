import { dateSource, generateRunId, shardLabel } from '../../../src/load/driver.ts';
import { formatMs } from '../../../src/load/client.ts';

describe('run set-up', () => {
  it('names a run after its start time and seed', () => {
    expect(generateRunId(Date.UTC(2026, 10, 27, 3, 15, 0, 123), 42)).toBe('kvb-20261127T031500Z-42');
  });

  it('pins one template date, or follows the clock across midnight when not pinned', () => {
    let now = Date.UTC(2026, 10, 27, 23, 59, 59);
    expect(dateSource('26 Jul 2024', () => now)()).toBe('26 Jul 2024');
    const today = dateSource(null, () => now);
    expect(today()).toBe('27 Nov 2026');
    now += 2000;
    expect(today()).toBe('28 Nov 2026');
  });

  it.each([
    [undefined, undefined],
    [{ index: 1, of: 4 }, '1/4'],
  ])('labels shard %j as %p', (part, label) => {
    expect(shardLabel(part)).toBe(label);
  });

  it.each([
    [300, '300ms'],
    [30_000, '30s'],
    [120_000, '2m'],
    [1500, '1500ms'],
  ])('prints a timeout of %i ms as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
