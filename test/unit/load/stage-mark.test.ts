import { RunFailed, UsageError } from '../../../src/errors.ts';
import { RunGuard } from '../../../src/load/guard.ts';
import { encodeHistogram, newHistogram, recordMs } from '../../../src/load/histogram.ts';
import type { StagePartial } from '../../../src/load/runner.ts';
import { buildStageMark, mergePartials, type StageMeasure } from '../../../src/load/stage-mark.ts';
import type { RequestRecord } from '../../../src/types.ts';
import { WHOLE } from '../../../src/workload/plan.ts';
import { parseStages } from '../../../src/workload/stages.ts';

const measure = (over: Partial<StageMeasure>): StageMeasure => ({
  startMs: 1_000_000,
  endMs: 1_010_000,
  sent: 200,
  completed: 200,
  errors: 0,
  lastSendOffsetMs: 9_950,
  scheduleLagMs: { p50: 0.1, p99: 2 },
  eventLoopLagMs: { p50: 0, p99: 1 },
  ...over,
});

const mark = (spec: string, m: Partial<StageMeasure>, clockResolutionMs?: number, part = WHOLE) =>
  buildStageMark({
    runId: 'r',
    stage: 1,
    spec: parseStages(spec)[0]!,
    part,
    measure: measure(m),
    ...(clockResolutionMs !== undefined ? { clockResolutionMs } : {}),
  });

describe('stage marks', () => {
  it('reports a closed loop throughput over its wall time', () => {
    const m = mark('8x200', {});
    expect(m).toMatchObject({
      spec: '8x200',
      requested: 200,
      completed: 200,
      achievedRps: 20,
      generatorLimited: false,
    });
  });

  it('reports an open loop sending rate: exactly the requested rate when every send was on time', () => {
    expect(mark('20rps:200', { lastSendOffsetMs: 9_950 }).achievedRps).toBe(20);
  });

  it.each([
    [
      'flags an open loop sending below 90 % of its rate',
      '20rps:200',
      { lastSendOffsetMs: 12_000 },
      true,
      undefined,
    ],
    [
      'passes an open loop sending at 91 % of its rate',
      '20rps:200',
      { lastSendOffsetMs: 10_930 },
      false,
      undefined,
    ],
    [
      'flags an open-loop schedule lag p99 above 10 ms',
      '20rps:200',
      { lastSendOffsetMs: 9_950, scheduleLagMs: { p50: 1, p99: 10.5 } },
      true,
      undefined,
    ],
    [
      'passes an open-loop schedule lag p99 of 10 ms',
      '20rps:200',
      { lastSendOffsetMs: 9_950, scheduleLagMs: { p50: 1, p99: 10 } },
      false,
      undefined,
    ],
    [
      'passes a closed loop whose sends lag (only the offered load drops)',
      '8x200',
      { scheduleLagMs: { p50: 1, p99: 30 } },
      false,
      undefined,
    ],
    [
      'allows two clock steps of lag on a coarse clock',
      '8x200',
      { eventLoopLagMs: { p50: 1, p99: 100 } },
      false,
      50,
    ],
    [
      'flags an event-loop lag p99 above 20 ms',
      '8x200',
      { eventLoopLagMs: { p50: 1, p99: 25 } },
      true,
      undefined,
    ],
    [
      'flags a lagging loop that was busy (the generator saturated)',
      '8x200',
      { eventLoopLagMs: { p50: 1, p99: 25 }, eventLoopUtilization: 0.95 },
      true,
      undefined,
    ],
    [
      'passes a lagging loop that was mostly idle (other processes held the CPU)',
      '8x200',
      { eventLoopLagMs: { p50: 1, p99: 60 }, eventLoopUtilization: 0.3 },
      false,
      undefined,
    ],
    [
      'passes a slow closed loop (server-bound, not generator-bound)',
      '8x200',
      { endMs: 1_100_000 },
      false,
      undefined,
    ],
  ])('%s', (_name, spec, m, limited, clockResolutionMs) => {
    expect(
      mark(spec as string, m as Partial<StageMeasure>, clockResolutionMs as number | undefined)
        .generatorLimited,
    ).toBe(limited);
  });

  it('judges a shard against its share of the rate', () => {
    // 20rps:200 over 4 shards: shard 1 sends at 50 ms + k·200 ms; 50 sends, last at 9,850 ms.
    const m = mark('20rps:200', { sent: 50, lastSendOffsetMs: 9_850 }, undefined, { index: 1, of: 4 });
    expect(m).toMatchObject({ requested: 50, achievedRps: 5, generatorLimited: false });
  });

  it('counts what a closed loop with a duration sent as requested', () => {
    expect(mark('8x10s', { sent: 150, completed: 150 }).requested).toBe(150);
  });

  it('merges worker partials: counts summed, lag histograms merged, worst event loop', () => {
    const lag = (values: number[]): string => {
      const h = newHistogram();
      for (const v of values) recordMs(h, v);
      return encodeHistogram(h);
    };
    const partial = (p: Partial<StagePartial>): StagePartial => ({
      sent: 10,
      completed: 10,
      errors: 1,
      lastSendOffsetMs: 100,
      scheduleLag: lag([1, 1, 1]),
      eventLoopLagMs: { p50: 0, p99: 1 },
      eventLoopUtilization: 0.2,
      clampedDurations: 0,
      ...p,
    });
    const merged = mergePartials(
      [
        partial({}),
        partial({
          lastSendOffsetMs: 300,
          scheduleLag: lag([50]),
          eventLoopLagMs: { p50: 2, p99: 30 },
          eventLoopUtilization: 0.6,
          clampedDurations: 2,
        }),
      ],
      { startMs: 5, endMs: 9 },
    );
    expect(merged).toEqual({
      startMs: 5,
      endMs: 9,
      sent: 20,
      completed: 20,
      errors: 2,
      lastSendOffsetMs: 300,
      scheduleLagMs: { p50: 1, p99: 50 },
      eventLoopLagMs: { p50: 2, p99: 30 },
      eventLoopUtilization: 0.6,
      clampedDurations: 2,
    });
  });
});

const rec = (error?: string): RequestRecord => ({
  runId: 'r',
  phase: 'measure',
  stage: 1,
  session: 0,
  turn: 1,
  startMs: 0,
  ttftMs: null,
  e2eMs: 1,
  promptTokens: 10,
  completionTokens: 0,
  prefixReusableTokens: 0,
  status: error ? 500 : 200,
  ...(error ? { error } : {}),
});

describe('run guard', () => {
  it('does not judge the error rate before 20 requests', () => {
    const guard = new RunGuard({ maxErrorRate: 0.05, gatewayUrl: 'http://gw' });
    for (let i = 0; i < 19; i++) expect(guard.observe(rec('HTTP 500: boom'))).toBeUndefined();
    const stop = guard.observe(rec('HTTP 500: boom'));
    expect(stop).toBeInstanceOf(RunFailed);
    expect(stop?.message).toBe(
      'error rate 100.0 % (20 of 20 requests) is above --max-error-rate 0.05; last error: HTTP 500: boom',
    );
  });

  it('lets an error rate at the limit pass', () => {
    const guard = new RunGuard({ maxErrorRate: 0.05, gatewayUrl: 'http://gw' });
    for (let i = 0; i < 19; i++) guard.observe(rec());
    expect(guard.observe(rec('HTTP 503: x'))).toBeUndefined();
  });

  it('stops after 3 connection failures before any success, naming the gateway', () => {
    const guard = new RunGuard({ maxErrorRate: 1, gatewayUrl: 'http://127.0.0.1:9' });
    expect(guard.observe(rec('ECONNREFUSED: connect'), 'ECONNREFUSED')).toBeUndefined();
    expect(guard.observe(rec('ECONNREFUSED: connect'), 'ECONNREFUSED')).toBeUndefined();
    const stop = guard.observe(rec('ECONNREFUSED: connect'), 'ECONNREFUSED');
    expect(stop).toBeInstanceOf(UsageError);
    expect(stop?.message).toBe('cannot reach gateway http://127.0.0.1:9: ECONNREFUSED (check --gateway-url)');
  });

  it('treats a single failed connection of a one-request run as unreachable at the end', () => {
    const guard = new RunGuard({ maxErrorRate: 1, gatewayUrl: 'http://gw' });
    guard.observe(rec('ENOTFOUND: getaddrinfo'), 'ENOTFOUND');
    expect(guard.finish()?.message).toBe('cannot reach gateway http://gw: ENOTFOUND (check --gateway-url)');
  });

  it('does not call a gateway unreachable once it has answered', () => {
    const guard = new RunGuard({ maxErrorRate: 1, gatewayUrl: 'http://gw' });
    guard.observe(rec());
    for (let i = 0; i < 5; i++) expect(guard.observe(rec('ECONNREFUSED: x'), 'ECONNREFUSED')).toBeUndefined();
    expect(guard.finish()).toBeUndefined();
  });
});
