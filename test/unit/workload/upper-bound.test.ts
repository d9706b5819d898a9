import { ChatEncoder, approxTokenizer } from '../../../src/tokenize/tokenizer.ts';
import { WHOLE } from '../../../src/workload/plan.ts';
import { SessionPool, WorkloadContent, seedTracker } from '../../../src/workload/sessions.ts';
import { EOT_ID, PrefixTracker, maxReusableTokens } from '../../../src/workload/upper-bound.ts';

const seq = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('upper-bound tracker', () => {
  it.each([
    // [what was sent before, the new prompt, expected reusable tokens]
    ['nothing sent before', [], seq(40), 0],
    ['a 40-token prefix known: floored to 2 whole blocks', [seq(40)], seq(50), 32],
    ['the same 48-token prompt again: capped at N-1, so 2 blocks', [seq(48)], seq(48), 32],
    ['the same 49-token prompt again: 3 blocks fit under N-1', [seq(49)], seq(49), 48],
    ['a 17-token prompt fully known: 1 block', [seq(17)], seq(17), 16],
    ['a 16-token prompt fully known: the cap leaves 0', [seq(16)], seq(16), 0],
    ['shares only the first 20 tokens: 1 block', [seq(64)], [...seq(20), ...seq(44, 1000)], 16],
    ['first block differs: nothing, since blocks are chained', [seq(64)], [999, ...seq(63, 2)], 0],
    ['known from a longer sequence (prompt + answer)', [seq(100)], seq(70), 64],
  ])('%s', (_name, sent, prompt, expected) => {
    const tracker = new PrefixTracker();
    for (const ids of sent as number[][]) tracker.add(ids);
    expect(tracker.reusableTokens(prompt as number[])).toBe(expected);
  });

  it.each([
    [0, 0],
    [1, 0],
    [16, 0],
    [17, 16],
    [100, 96],
    [2048, 2032],
  ])('caps a %i-token prompt at %i tokens (whole blocks, never the last token)', (n, cap) => {
    expect(maxReusableTokens(n)).toBe(cap);
  });

  it.each([
    ['prompt of whole blocks', 32, 9],
    ['prompt ending mid-block', 37, 20],
    ['answer shorter than the gap to a block', 30, 1],
    ['nothing after the prompt', 40, 0],
  ])('observe + extend (%s) equal reusableTokens, add(prompt), add(prompt + answer)', (_name, n, m) => {
    const prompt = seq(n as number);
    const answer = seq(m as number, 500);
    const known = [seq(20), seq(48, 1), [...prompt, ...seq(40, 500)]];
    const walked = new PrefixTracker();
    const reference = new PrefixTracker();
    for (const ids of known.slice(0, 2)) {
      walked.add(ids);
      reference.add(ids);
    }
    const { reusableTokens, chain } = walked.observe(prompt);
    expect(reusableTokens).toBe(reference.reusableTokens(prompt));
    walked.extend(chain, answer);
    reference.add([...prompt, ...answer]);
    for (const probe of [...known, [...prompt, ...answer, 7]])
      expect(walked.reusableTokens(probe)).toBe(reference.reusableTokens(probe));
    expect(walked.size).toBe(reference.size);
  });

  it('keeps a bounded number of blocks, forgetting the oldest generation', () => {
    const tracker = new PrefixTracker({ generationBlocks: 4 });
    tracker.add(seq(16 * 4, 1)); // fills generation 1, then rotates
    tracker.add(seq(16 * 4, 5000)); // generation 2
    tracker.add(seq(16 * 4, 9000)); // generation 3: the first is dropped
    expect(tracker.size).toBeLessThanOrEqual(8);
    expect(tracker.reusableTokens(seq(16 * 4 + 1, 1))).toBe(0);
    expect(tracker.reusableTokens(seq(16 * 4 + 1, 9000))).toBe(64);
  });
});

describe('upper bound of chat sessions', () => {
  const tok = approxTokenizer();
  const shape = { seed: 7, sessions: 1, turns: 5, systemPromptTokens: 40, userTokens: 30 };
  const setup = (
    sessions = 1,
  ): { pool: SessionPool; tracker: PrefixTracker; encoder: ChatEncoder; content: WorkloadContent } => {
    const encoder = new ChatEncoder(tok);
    const content = new WorkloadContent(shape, (t) => tok.count(t));
    const tracker = new PrefixTracker();
    const pool = new SessionPool({ shape: { ...shape, sessions }, part: WHOLE, content, encoder, tracker });
    return { pool, tracker, encoder, content };
  };

  it('counts the previous turn and its answer, re-tokenized trimmed and followed by <|eot_id|>', () => {
    const { pool, encoder } = setup();
    const s = pool.acquire()!;
    const first = pool.prepare(s, '01 Jan 2026');
    const answer = '  The cache keeps keys and values of earlier tokens, so they are not computed again.  ';
    pool.complete(first, answer);
    const second = pool.prepare(pool.acquire()!, '01 Jan 2026');
    const known = [...first.promptIds, ...encoder.encodeText(answer.trim()), EOT_ID];
    expect(second.promptIds.slice(0, known.length)).toEqual(known);
    expect(second.prefixReusableTokens).toBe(Math.floor(known.length / 16) * 16);
  });

  it('counts only the prompt when the answer failed', () => {
    const { pool } = setup();
    const s = pool.acquire()!;
    const first = pool.prepare(s, '01 Jan 2026');
    pool.complete(first, null);
    const retry = pool.prepare(pool.acquire()!, '01 Jan 2026');
    expect(retry.promptIds).toEqual(first.promptIds);
    expect(retry.prefixReusableTokens).toBe(maxReusableTokens(first.promptIds.length));
  });

  it('shares the system prompt across sessions but not their user turns', () => {
    const { pool } = setup(2);
    const a = pool.prepare(pool.acquire()!, '01 Jan 2026');
    const b = pool.prepare(pool.acquire()!, '01 Jan 2026');
    expect(a.prefixReusableTokens).toBe(0);
    let common = 0;
    while (a.promptIds[common] === b.promptIds[common]) common++;
    expect(b.prefixReusableTokens).toBe(Math.floor(common / 16) * 16);
    expect(b.prefixReusableTokens).toBeGreaterThan(0);
  });

  it('includes warm-up: a tracker seeded from the warm-up sessions knows their whole history', () => {
    const warm = setup();
    const s = warm.pool.acquire()!;
    warm.pool.complete(warm.pool.prepare(s, '01 Jan 2026'), 'An answer from warm-up.');
    const sessions = warm.pool.snapshot();

    const { encoder, content } = setup();
    const tracker = new PrefixTracker();
    seedTracker(tracker, encoder, sessions, '01 Jan 2026');
    const pool = new SessionPool({ shape, part: WHOLE, content, encoder, tracker, initial: sessions });
    const next = pool.prepare(pool.acquire()!, '01 Jan 2026');
    expect(next.turn).toBe(2);
    const history = encoder.encodeChat(sessions[0]!.messages, '01 Jan 2026', false);
    expect(next.prefixReusableTokens).toBe(Math.floor(history.length / 16) * 16);
  });

  it('loses all but the first block when the template date changes (the date sits in block 1)', () => {
    const { pool } = setup();
    const s = pool.acquire()!;
    pool.complete(pool.prepare(s, '01 Jan 2026'), 'Answer.');
    const next = pool.prepare(pool.acquire()!, '02 Jan 2026');
    expect(next.prefixReusableTokens).toBe(16);
  });
});
