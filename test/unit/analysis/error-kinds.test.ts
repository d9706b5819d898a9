import { buildReport } from '../../../src/analysis/build-report.ts';
import { describeErrorKinds, errorKind, RecordsAccumulator } from '../../../src/analysis/record-aggregate.ts';
import { T0, T1, pod, record, snap } from './fixtures.ts';

describe('errorKind', () => {
  it.each([
    [503, 'HTTP 503: upstream overflow', 'HTTP 503'],
    [401, 'HTTP 401: missing or wrong API key', 'HTTP 401'],
    [0, 'timeout after 400ms', 'timeout'],
    [200, 'stream ended before [DONE]', 'stream cut before [DONE]'],
    [200, 'stream ended before [DONE] (connection dropped: other side closed)', 'stream cut before [DONE]'],
    [0, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9', 'connection failed (ECONNREFUSED)'],
    [0, 'client error: boom', 'no response'],
    [200, 'the model said: error event', 'error in the response'],
  ])('status %i, %j → %j', (status, error, kind) => {
    expect(errorKind({ status, error })).toBe(kind);
  });

  it('lists the kinds most frequent first', () => {
    expect(
      describeErrorKinds(
        new Map([
          ['timeout', 1],
          ['HTTP 503', 8],
          ['stream cut before [DONE]', 3],
        ]),
      ),
    ).toBe('8 HTTP 503, 3 stream cut before [DONE], 1 timeout');
  });
});

describe('the report on failed requests', () => {
  function reportOf(records: object[]) {
    const acc = new RecordsAccumulator();
    records.forEach((r, i) => acc.addLine(JSON.stringify(r), `r:${i}`));
    return buildReport({
      before: snap(T0, [pod('a', 0, 0)]),
      after: snap(T1, [pod('a', 300, 160)]),
      run: acc.choose(undefined).run!,
      stageMarks: [],
      minHitRate: 0,
      maxErrorRate: 1,
    });
  }

  it('says how many measured and warm-up requests failed, and of which kind', () => {
    const r = reportOf([
      record({ phase: 'warmup', status: 0, error: 'timeout after 1s' }),
      record({ phase: 'warmup' }),
      record({ status: 503, error: 'HTTP 503: x' }),
      record({ status: 503, error: 'HTTP 503: x' }),
      record({ status: 200, error: 'stream ended before [DONE]' }),
      record({}),
      record({}),
    ]);
    expect(r.requests).toMatchObject({ total: 5, errors: 3 });
    expect(r.warnings).toContain(
      '3 of 5 measured requests failed (2 HTTP 503, 1 stream cut before [DONE]): they count in the error rate and are left out of latency and the upper bound',
    );
    expect(r.warnings).toContain('1 of 2 warm-up requests failed (1 timeout)');
  });

  it('does not blame foreign traffic for the prompts of cut streams the pods counted', () => {
    // 2 successes × 100 prompt tokens sent, 1 cut stream of 100 the pod counted too: 300 queries.
    const r = reportOf([
      record({}),
      record({}),
      record({ status: 200, error: 'stream ended before [DONE]' }),
    ]);
    expect(r.warnings.join('\n')).not.toMatch(/other traffic reached the pods/);
  });
});
