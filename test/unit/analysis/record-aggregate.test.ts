import { RecordsAccumulator } from '../../../src/analysis/record-aggregate.ts';
import { record } from './fixtures.ts';

function lines(...records: object[]): string[] {
  return records.map((r) => JSON.stringify(r));
}

function feed(acc: RecordsAccumulator, input: string[]): RecordsAccumulator {
  input.forEach((l, i) => acc.addLine(l, `records.jsonl:${i + 1}`));
  return acc;
}

describe('RecordsAccumulator', () => {
  it('drops and counts a truncated last line', () => {
    const full = JSON.stringify(record());
    const acc = feed(new RecordsAccumulator(), [full, full, full.slice(0, 40)]);
    const { run, warnings } = acc.choose(undefined);
    expect(run?.measured).toBe(2);
    expect(warnings).toEqual(['1 line could not be parsed and was dropped (records.jsonl:3)']);
  });

  it('drops lines that parse but are not records, and skips blank lines silently', () => {
    const acc = feed(new RecordsAccumulator(), [
      '',
      '{"hello":1}',
      '[1,2]',
      JSON.stringify(record({ status: 'x' as unknown as number })),
    ]);
    expect(acc.dropped).toBe(3);
    expect(acc.choose(undefined).warnings[0]).toMatch(/^3 lines could not be parsed and were dropped/);
  });

  it('reports the most frequent run and names the others', () => {
    const acc = feed(new RecordsAccumulator(), lines(record(), record(), record({ runId: 'stale' })));
    const { run, warnings } = acc.choose(undefined);
    expect(run?.runId).toBe('r1');
    expect(warnings).toEqual(['the records hold several runs: r1 (2), stale (1); only r1 is reported']);
  });

  it('reports the run named by --run-id', () => {
    const acc = feed(new RecordsAccumulator(), lines(record(), record(), record({ runId: 'stale' })));
    expect(acc.choose('stale').run?.measured).toBe(1);
  });

  it('keeps warm-up apart from the measured figures', () => {
    const acc = feed(
      new RecordsAccumulator(),
      lines(record({ phase: 'warmup', ttftMs: 500, prefixReusableTokens: 0 }), record({ ttftMs: 10 })),
    );
    const run = acc.choose(undefined).run!;
    expect(run.warmup).toBe(1);
    expect(run.measured).toBe(1);
    expect(run.ttft.at(99)).toBeCloseTo(10, 1);
    expect(run.tokens).toMatchObject({ promptTokens: 100, reusableTokens: 80 });
  });

  it('counts errors (non-200 or an error field) and leaves them out of latency and tokens', () => {
    const acc = feed(
      new RecordsAccumulator(),
      lines(
        record(),
        record({ status: 500, ttftMs: null }),
        record({ status: 0, error: 'ECONNRESET', ttftMs: null }),
      ),
    );
    const run = acc.choose(undefined).run!;
    expect([run.measured, run.measuredErrors, run.ttft.count, run.tokens.promptTokens]).toEqual([
      3, 2, 1, 100,
    ]);
    expect(run.stages.get(1)).toMatchObject({ requests: 3, errors: 2 });
  });

  it('sums usage cached tokens only over records that carry them', () => {
    const acc = feed(new RecordsAccumulator(), lines(record({ cachedTokens: 64 }), record()));
    expect(acc.choose(undefined).run?.tokens).toMatchObject({
      cachedTokens: 64,
      promptTokensWithUsage: 100,
      requestsWithUsage: 1,
    });
  });

  it('merges shards: the same session number on two shards is two sessions', () => {
    const acc = feed(
      new RecordsAccumulator(),
      lines(record({ shard: '0/2', servedBy: 'a' }), record({ shard: '1/2', servedBy: 'b' })),
    );
    const run = acc.choose(undefined).run!;
    expect(run.sessions).toBe(2);
    expect(run.sessionConsistency()).toBe(1);
  });

  it('computes session consistency per conversation from servedBy', () => {
    const acc = feed(
      new RecordsAccumulator(),
      lines(
        record({ session: 0, turn: 2, startMs: 1, servedBy: 'a' }),
        record({ session: 0, turn: 3, startMs: 2, servedBy: 'a' }),
        record({ session: 1, turn: 2, startMs: 1, servedBy: 'a' }),
        record({ session: 1, turn: 3, startMs: 2, servedBy: 'b' }),
      ),
    );
    const run = acc.choose(undefined).run!;
    expect(run.sessionConsistency()).toBe(0.5);
    expect(run.sessionPods(10, 10)).toEqual([
      { session: '0', pods: ['a', 'a'] },
      { session: '1', pods: ['a', 'b'] },
    ]);
  });

  it('does not judge sessions when the serving pod is mostly unknown', () => {
    const acc = feed(new RecordsAccumulator(), lines(record({ servedBy: 'a' }), record({ session: 1 })));
    expect(acc.choose(undefined).run?.sessionConsistency()).toBeUndefined();
  });
});
