// The stage runner over an in-memory transport (answers after a set delay), so scheduling is exact.
import type { ChatOutcome, ChatTransport } from '../../../src/load/client.ts';
import { mergeEncoded, newHistogram, percentileMs } from '../../../src/load/histogram.ts';
import { runStage, stageWork, type RunnerDeps } from '../../../src/load/runner.ts';
import { ChatEncoder, approxTokenizer } from '../../../src/tokenize/tokenizer.ts';
import type { RequestRecord } from '../../../src/types.ts';
import { WHOLE } from '../../../src/workload/plan.ts';
import { SessionPool, WorkloadContent, type PreparedTurn } from '../../../src/workload/sessions.ts';
import { parseStages } from '../../../src/workload/stages.ts';
import { PrefixTracker } from '../../../src/workload/upper-bound.ts';

function transport(delayMs: number, sent: PreparedTurn[]): ChatTransport {
  return {
    send: (turn, signal) =>
      new Promise<ChatOutcome>((resolve) => {
        sent.push(turn);
        const done = (aborted: boolean): void =>
          resolve({
            status: aborted ? 0 : 200,
            ...(aborted ? { aborted } : {}),
            ttftMs: aborted ? null : delayMs / 2,
            e2eMs: delayMs,
            content: aborted ? null : `answer ${turn.session}.${turn.turn}`,
            usage: null,
            clampedDurations: 0,
          });
        const timer = setTimeout(() => done(false), delayMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          done(true);
        });
      }),
    close: async () => undefined,
  };
}

function setup(sessions: number, delayMs: number, stop = new AbortController().signal) {
  const tok = approxTokenizer();
  const shape = { seed: 1, sessions, turns: 10, systemPromptTokens: 20, userTokens: 10 };
  const pool = new SessionPool({
    shape,
    part: WHOLE,
    content: new WorkloadContent(shape, (t) => tok.count(t)),
    encoder: new ChatEncoder(tok),
    tracker: new PrefixTracker(),
  });
  const sent: PreparedTurn[] = [];
  const records: RequestRecord[] = [];
  const deps: RunnerDeps = {
    runId: 'r',
    phase: 'measure',
    pool,
    transport: transport(delayMs, sent),
    dateString: () => '01 Jan 2026',
    now: () => 0,
    emit: (r) => records.push(r),
    stop,
  };
  return { deps, sent, records };
}

const work = (spec: string) => stageWork(parseStages(spec)[0]!, WHOLE);

describe('stage runner', () => {
  it('sends exactly the count of a closed stage and records every answer', async () => {
    const { deps, records } = setup(3, 5);
    const partial = await runStage(deps, 1, work('2x7'));
    expect(partial).toMatchObject({ sent: 7, completed: 7, errors: 0 });
    expect(records).toHaveLength(7);
    expect(records.map((r) => r.turn)).toEqual([1, 1, 1, 2, 2, 2, 3]);
  });

  it('never runs two turns of one session at once, even with more slots than sessions', async () => {
    const { deps, sent } = setup(2, 10);
    await runStage(deps, 1, work('4x6'));
    const perSession = [0, 1].map((s) => sent.filter((t) => t.session === s).map((t) => t.turn));
    expect(perSession).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('stops sending when a closed stage runs out of time and waits for what is in flight', async () => {
    const { deps, records } = setup(4, 40);
    const partial = await runStage(deps, 1, work('2x100ms'));
    // Each slot sends at 0, ~40, ~80 ms; a busy machine can only make that fewer.
    expect(partial.sent).toBeGreaterThanOrEqual(2);
    expect(partial.sent).toBeLessThanOrEqual(6);
    expect(records).toHaveLength(partial.sent);
  });

  it('delays an open-loop send while every session is busy, and counts it as schedule lag', async () => {
    // One session answering in 60 ms, sends planned every 20 ms: each send waits for the previous answer.
    const { deps } = setup(1, 60);
    const partial = await runStage(deps, 1, work('50rps:3'));
    expect(partial.sent).toBe(3);
    const lag = newHistogram();
    mergeEncoded(lag, partial.scheduleLag);
    expect(percentileMs(lag, 100)).toBeGreaterThanOrEqual(70);
    expect(partial.lastSendOffsetMs).toBeGreaterThanOrEqual(110);
  });

  it('ends the stage at once on the stop signal; requests cut short are not records', async () => {
    const stopper = new AbortController();
    const { deps, records, sent } = setup(2, 1000, stopper.signal);
    setTimeout(() => stopper.abort(), 30);
    const started = performance.now();
    const partial = await runStage(deps, 1, work('2x100'));
    expect(performance.now() - started).toBeLessThan(500);
    expect(sent).toHaveLength(2);
    expect(records).toHaveLength(0);
    expect(partial).toMatchObject({ sent: 2, completed: 0 });
  });
});
