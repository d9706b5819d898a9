import { UsageError } from '../../../src/errors.ts';
import { parseDurationMs, parseStages } from '../../../src/workload/stages.ts';

describe('--stages grammar', () => {
  it.each([
    [
      '8x30s',
      { kind: 'closed', spec: '8x30s', concurrency: 8, limit: { by: 'duration', durationMs: 30_000 } },
    ],
    [
      '16x2m',
      { kind: 'closed', spec: '16x2m', concurrency: 16, limit: { by: 'duration', durationMs: 120_000 } },
    ],
    [
      '4x500ms',
      { kind: 'closed', spec: '4x500ms', concurrency: 4, limit: { by: 'duration', durationMs: 500 } },
    ],
    [
      '2x1h',
      { kind: 'closed', spec: '2x1h', concurrency: 2, limit: { by: 'duration', durationMs: 3_600_000 } },
    ],
    ['8x200', { kind: 'closed', spec: '8x200', concurrency: 8, limit: { by: 'count', requests: 200 } }],
    [
      '20rps:30s',
      { kind: 'open', spec: '20rps:30s', rateRps: 20, limit: { by: 'duration', durationMs: 30_000 } },
    ],
    ['20rps:200', { kind: 'open', spec: '20rps:200', rateRps: 20, limit: { by: 'count', requests: 200 } }],
    [
      '0.5rps:1.5m',
      { kind: 'open', spec: '0.5rps:1.5m', rateRps: 0.5, limit: { by: 'duration', durationMs: 90_000 } },
    ],
  ])('reads %s', (text, expected) => {
    expect(parseStages(text)).toEqual([expected]);
  });

  it('reads several comma-separated stages in order, ignoring spaces around commas', () => {
    expect(parseStages('4x48, 8x96 ,10rps:5s').map((s) => s.spec)).toEqual(['4x48', '8x96', '10rps:5s']);
  });

  it.each([
    ['', 'empty stage'],
    ['8x30s,', 'empty stage'],
    ['8', 'cannot read "8"'],
    ['x30s', 'cannot read "x30s"'],
    ['8x', 'cannot read "8x"'],
    ['8x30d', 'no valid duration or count "30d"'],
    ['8x-5', 'no valid duration or count "-5"'],
    ['0x30s', 'zero concurrency'],
    ['8x0', 'zero request count'],
    ['8x0s', 'zero duration'],
    ['0rps:10s', 'zero rate'],
    ['20rps', 'cannot read "20rps"'],
    ['20rps:', 'cannot read "20rps:"'],
    ['5000x10', 'more than 4096 concurrent'],
    ['20000rps:1s', 'more than 10000 rps'],
    ['8x25h', 'more than 24h'],
    ['8x99999999', 'more than 10000000 requests'],
    ['8 x 30s', 'cannot read "8 x 30s"'],
  ])('rejects %p naming the problem (%s) and the grammar', (text, problem) => {
    let caught: unknown;
    try {
      parseStages(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toContain(problem);
    expect((caught as Error).message).toContain('<concurrency>x<duration|count>');
    expect((caught as Error).message).not.toContain('\n');
  });

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1.5h', 5_400_000],
    ['30', undefined],
    ['1d', undefined],
  ])('duration %p is %p ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
});
