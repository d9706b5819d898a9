import { PrefixAwareRouter, prefixScores } from '../../../../src/sim/gateway/prefix-aware.ts';
import { PrefixIndexer } from '../../../../src/sim/gateway/prefix-index.ts';
import { hashPrompt, promptOf } from '../../../../src/sim/gateway/prompt.ts';
import { mulberry32 } from '../../../../src/hash.ts';
import type { RequestInfo } from '../../../../src/sim/gateway/router.ts';
import { kvCacheScores, pickMaxScore, queueScores } from '../../../../src/sim/gateway/scorers.ts';
import { fakeEndpoints } from './fixtures.ts';

const load = (waiting: number, kvUsage = 0) => ({ waiting, running: 0, kvUsage });

describe('GIE load scorers and the max-score picker', () => {
  it.each([
    [
      [0, 0, 0],
      [1, 1, 1],
    ],
    [
      [0, 5, 10],
      [1, 0.5, 0],
    ],
    [
      [3, 7],
      [1, 0],
    ],
  ])('queue-scorer over waiting %p gives %p', (waiting, expected) => {
    expect(queueScores(waiting.map((w) => load(w)))).toEqual(expected);
  });

  it.each([
    [
      [0, 0.25, 1],
      [1, 0.75, 0],
    ],
    [
      [1.5, -0.1],
      [0, 1],
    ],
  ])('kv-cache-utilization-scorer over %p gives %p', (usage, expected) => {
    expect(kvCacheScores(usage.map((u) => load(0, u)))).toEqual(expected);
  });

  it('picks the highest score', () => {
    expect(pickMaxScore([1, 3, 2], mulberry32(1))).toBe(1);
  });

  it('breaks ties at random, reproducibly from the seed', () => {
    const picks = (seed: number) => {
      const rand = mulberry32(seed);
      return Array.from({ length: 40 }, () => pickMaxScore([2, 1, 2, 2], rand));
    };
    expect(new Set(picks(4))).toEqual(new Set([0, 2, 3]));
    expect(picks(4)).toEqual(picks(4));
  });
});

describe('the approximate prefix scorer prompt and block hashes', () => {
  it('renders chat messages as GIE v1.0 does (string contents only)', () => {
    const body = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'ignored' }] },
        { role: 'user', content: 'Hi' },
      ],
    };
    expect(promptOf('/v1/chat/completions', body)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
  });

  it.each([
    ['/v1/completions', { prompt: 'Once upon' }, 'Once upon'],
    ['/v1/completions', { prompt: ['a', 'b'] }, ''],
    ['/v1/chat/completions', { prompt: 'x' }, ''],
    ['/v1/chat/completions', null, ''],
  ])('%s body %p has prompt %p', (path, body, expected) => {
    expect(promptOf(path, body)).toBe(expected);
  });

  it.each([
    [63, 0],
    [64, 1],
    [127, 1],
    [128, 2],
    [64 * 300, 256],
  ])('a %i-byte prompt has %i blocks (partial block dropped, at most 256)', (bytes, blocks) => {
    expect(hashPrompt('m', 'x'.repeat(bytes))).toHaveLength(blocks);
  });

  it('chains: a change in block k changes block k and every later hash, never earlier ones', () => {
    const base = 'a'.repeat(64 * 4);
    const edited = base.slice(0, 64 * 2 + 5) + 'Z' + base.slice(64 * 2 + 6);
    const h1 = hashPrompt('m', base);
    const h2 = hashPrompt('m', edited);
    expect(h2.slice(0, 2)).toEqual(h1.slice(0, 2));
    expect(h2.slice(2).every((h, i) => h !== h1[i + 2])).toBe(true);
    expect(new Set(h1).size).toBe(4); // same bytes in every block, still distinct chained hashes
  });

  it('starts the chain from the model name', () => {
    const p = 'b'.repeat(128);
    const a = hashPrompt('model-a', p);
    const b = hashPrompt('model-b', p);
    expect(a.every((h, i) => h !== b[i])).toBe(true);
  });

  it('hashes bytes, so a multi-byte character counts for its UTF-8 length', () => {
    expect(hashPrompt('m', 'é'.repeat(32))).toHaveLength(1);
  });
});

describe('the per-pod LRU indexer', () => {
  it('matches the leading run of blocks only', () => {
    const ix = new PrefixIndexer();
    ix.add('llm-d/a', [1, 2, 3]);
    expect(ix.matchLength('llm-d/a', [1, 2, 3, 4])).toBe(3);
    expect(ix.matchLength('llm-d/a', [9, 2, 3])).toBe(0);
    expect(ix.matchLength('llm-d/b', [1])).toBe(0);
  });

  it('evicts the least recently added hash at capacity', () => {
    const ix = new PrefixIndexer(3);
    ix.add('s', [1, 2, 3]);
    ix.add('s', [1]); // touch 1: now 2 is the oldest
    ix.add('s', [4]);
    expect(ix.size('s')).toBe(3);
    expect(ix.matchLength('s', [2])).toBe(0);
    expect(ix.matchLength('s', [1])).toBe(1);
  });

  it('forgets servers that left', () => {
    const ix = new PrefixIndexer();
    ix.add('a', [1]);
    ix.add('b', [1]);
    ix.retain(new Set(['b']));
    expect(ix.size('a')).toBe(0);
    expect(ix.size('b')).toBe(1);
  });

  it('scores match length over the prompt block count', () => {
    const ix = new PrefixIndexer();
    ix.add('a', [1, 2]);
    expect(prefixScores(ix, ['a', 'b'], [1, 2, 3, 4])).toEqual([0.5, 0]);
    expect(prefixScores(ix, ['a'], [])).toEqual([0]);
  });
});

describe('prefix-aware routing', () => {
  const sys = 'You are a careful assistant. '.repeat(8);
  const chat = (turns: string[]): RequestInfo => ({
    method: 'POST',
    path: '/v1/chat/completions',
    clientAddress: '127.0.0.1',
    model: 'm',
    prompt: promptOf('/v1/chat/completions', {
      messages: [{ role: 'system', content: sys }, ...turns.map((t) => ({ role: 'user', content: t }))],
    }),
  });

  it('keeps a growing conversation on the pod that saw its prefix', () => {
    const eps = fakeEndpoints(['a', 'b', 'c']);
    const r = new PrefixAwareRouter(mulberry32(3));
    const turns: string[] = [];
    const served = new Set<string>();
    for (let t = 0; t < 8; t++) {
      turns.push(`Question number ${t}: tell me about block hashing in some detail, please.`);
      served.add(r.pick(chat(turns), eps).name);
    }
    expect(served.size).toBe(1);
  });

  it('lets a much lower queue win over a partial prefix match (weights 3 vs 2)', () => {
    const eps = fakeEndpoints(['a', 'b']);
    const r = new PrefixAwareRouter(mulberry32(3));
    const first = r.pick(chat(['hello there, a first question of reasonable length']), eps);
    const other = eps.find((e) => e !== first)!;
    first.load = () => load(10, 0.9);
    other.load = () => load(0, 0);
    // A new conversation shares only the system prompt: its prefix score on `first` is partial.
    expect(r.pick(chat(['a different question entirely, with other words in it']), eps).name).toBe(
      other.name,
    );
  });

  it('starts a replacement pod with an empty LRU and drops the pod that left', () => {
    const [a, b] = fakeEndpoints(['a', 'b']);
    const r = new PrefixAwareRouter(mulberry32(3));
    r.pick(chat(['x'.repeat(200)]), [a!]);
    expect(r.indexer.size('llm-d/a')).toBeGreaterThan(0);
    expect(r.pick(chat(['x'.repeat(200)]), [b!]).name).toBe('b');
    expect(r.indexer.size('llm-d/a')).toBe(0);
  });
});
