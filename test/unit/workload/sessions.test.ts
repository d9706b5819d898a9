import { ChatEncoder, approxTokenizer } from '../../../src/tokenize/tokenizer.ts';
import { WHOLE, type Partition } from '../../../src/workload/plan.ts';
import { SessionPool, WorkloadContent, type WorkloadShape } from '../../../src/workload/sessions.ts';
import { PrefixTracker } from '../../../src/workload/upper-bound.ts';

const tok = approxTokenizer();
const DATE = '01 Jan 2026';
const base: WorkloadShape = { seed: 42, sessions: 3, turns: 3, systemPromptTokens: 30, userTokens: 20 };

function newPool(shape: WorkloadShape = base, part: Partition = WHOLE): SessionPool {
  const encoder = new ChatEncoder(tok);
  return new SessionPool({
    shape,
    part,
    content: new WorkloadContent(shape, (t) => tok.count(t)),
    encoder,
    tracker: new PrefixTracker(),
  });
}

/** Runs `n` turns, answering each with "answer <session>.<turn>"; returns what was sent. */
function drive(pool: SessionPool, n: number, fail: (i: number) => boolean = () => false) {
  const sent = [];
  for (let i = 0; i < n; i++) {
    const s = pool.acquire();
    if (!s) throw new Error('no idle session');
    const p = pool.prepare(s, DATE);
    sent.push(p);
    pool.complete(p, fail(i) ? null : `answer ${p.session}.${p.turn}`);
  }
  return sent;
}

describe('session pool', () => {
  it('hands sessions out least recently used first, so they take turns in order', () => {
    const sent = drive(newPool(), 7);
    expect(sent.map((p) => p.session)).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(sent.map((p) => p.turn)).toEqual([1, 1, 1, 2, 2, 2, 3]);
  });

  it('resends the whole conversation each turn, answers included', () => {
    const sent = drive(newPool({ ...base, sessions: 1 }), 3);
    const third = sent[2]!;
    expect(third.messages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(third.messages[2]!.content).toBe('answer 0.1');
    expect(third.messages[4]!.content).toBe('answer 0.2');
    expect(third.messages.slice(0, 4)).toEqual(sent[1]!.messages);
  });

  it('starts a session over as a new conversation with fresh content after its turns', () => {
    const sent = drive(newPool({ ...base, sessions: 1 }), 5);
    expect(sent.map((p) => [p.conversation, p.turn])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 1],
      [1, 2],
    ]);
    const restart = sent[3]!;
    expect(restart.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(restart.messages[0]).toEqual(sent[0]!.messages[0]);
    expect(restart.messages[1]!.content).not.toBe(sent[0]!.messages[1]!.content);
  });

  it('retries a failed turn with the same content and the conversation unchanged', () => {
    const sent = drive(newPool({ ...base, sessions: 1 }), 3, (i) => i === 1);
    expect(sent.map((p) => p.turn)).toEqual([1, 2, 2]);
    expect(sent[2]!.messages).toEqual(sent[1]!.messages);
  });

  it('derives content from (seed, session, conversation, turn) only, not from the order of requests', () => {
    const inOrder = drive(newPool(), 6);
    const pool = newPool();
    // Serve session 2 first, then 1, then 0, twice.
    const states = [pool.acquire()!, pool.acquire()!, pool.acquire()!].reverse();
    const reordered = [];
    for (let round = 0; round < 2; round++) {
      for (const s of states) {
        const p = pool.prepare(s, DATE);
        reordered.push(p);
        pool.complete(p, `answer ${p.session}.${p.turn}`);
      }
    }
    const key = (p: { session: number; turn: number }): string => `${p.session}.${p.turn}`;
    const byKey = new Map(inOrder.map((p) => [key(p), p.messages]));
    for (const p of reordered) expect(p.messages).toEqual(byKey.get(key(p)));
  });

  it('gives different seeds different prompts and the same seed the same', () => {
    const a = drive(newPool(), 1)[0]!.messages;
    const b = drive(newPool(), 1)[0]!.messages;
    const c = drive(newPool({ ...base, seed: 43 }), 1)[0]!.messages;
    expect(b).toEqual(a);
    expect(c[0]!.content).not.toBe(a[0]!.content);
    expect(c[1]!.content).not.toBe(a[1]!.content);
  });

  it('sizes the system prompt and user turns to about the requested tokens', () => {
    const shape = { ...base, systemPromptTokens: 200, userTokens: 80 };
    const content = new WorkloadContent(shape, (t) => tok.count(t));
    expect(tok.count(content.systemPrompt)).toBeGreaterThanOrEqual(200);
    expect(tok.count(content.systemPrompt)).toBeLessThan(215);
    const user = content.userMessage(0, 0, 1);
    expect(tok.count(user)).toBeGreaterThanOrEqual(80);
    expect(tok.count(user)).toBeLessThan(95);
  });

  it('sends no system message when --system-prompt-tokens is 0', () => {
    const sent = drive(newPool({ ...base, systemPromptTokens: 0 }), 1);
    expect(sent[0]!.messages.map((m) => m.role)).toEqual(['user']);
  });

  it('owns only the sessions of its partition', () => {
    const pool = newPool({ ...base, sessions: 7 }, { index: 1, of: 3 });
    expect(pool.size).toBe(2);
    expect(drive(pool, 4).map((p) => p.session)).toEqual([1, 4, 1, 4]);
  });

  it('echoes the last session token and keeps it across turns', () => {
    const pool = newPool({ ...base, sessions: 1 });
    const first = pool.prepare(pool.acquire()!, DATE);
    expect(first.sessionToken).toBeUndefined();
    pool.complete(first, 'a', 'bGxtLWQvcG9kLWE=');
    const second = pool.prepare(pool.acquire()!, DATE);
    expect(second.sessionToken).toBe('bGxtLWQvcG9kLWE=');
    pool.complete(second, null);
    expect(pool.prepare(pool.acquire()!, DATE).sessionToken).toBe('bGxtLWQvcG9kLWE=');
  });

  it('continues carried sessions where warm-up left them', () => {
    const warm = newPool();
    drive(warm, 3);
    const encoder = new ChatEncoder(tok);
    const pool = new SessionPool({
      shape: base,
      part: WHOLE,
      content: new WorkloadContent(base, (t) => tok.count(t)),
      encoder,
      tracker: new PrefixTracker(),
      initial: warm.snapshot(),
    });
    const next = drive(pool, 3);
    expect(next.map((p) => p.turn)).toEqual([2, 2, 2]);
    expect(next[0]!.messages[2]!.content).toBe('answer 0.1');
  });

  it('puts a session taken but not used back at the head of the queue', () => {
    const pool = newPool();
    const s = pool.acquire()!;
    pool.release(s);
    expect(pool.acquire()!.index).toBe(0);
  });
});
