import { answerLength, EOT_ID, generateAnswer } from '../../../../src/sim/vllm/answer.ts';
import { approxTokenizer, loadTokenizer, type Tokenizer } from '../../../../src/tokenize/tokenizer.ts';

const prompt = (k: number): number[] => Array.from({ length: 40 }, (_, i) => 100 + ((i * 7 + k) % 500));

describe('deterministic answers', () => {
  it('gives the same prompt and seed the same answer, and another seed another one', async () => {
    const tokenizer = await loadTokenizer('llama3');
    const a = generateAnswer({ promptIds: prompt(1), maxTokens: 60, seed: 7, tokenizer });
    const b = generateAnswer({ promptIds: prompt(1), maxTokens: 60, seed: 7, tokenizer });
    const c = generateAnswer({ promptIds: prompt(1), maxTokens: 60, seed: 8, tokenizer });
    expect(b).toEqual(a);
    expect(c.text).not.toBe(a.text);
  });

  it.each([[1], [2], [3], [16], [200]])('draws lengths in [ceil(max/2), max] for max_tokens=%i', (max) => {
    let s = 0;
    const rand = (): number => (s = (s * 9301 + 49297) % 233280) / 233280;
    for (let i = 0; i < 200; i++) {
      const n = answerLength(rand, max);
      expect(n).toBeGreaterThanOrEqual(Math.ceil(max / 2));
      expect(n).toBeLessThanOrEqual(max);
    }
  });
});

describe.each([
  ['llama3', () => loadTokenizer('llama3')],
  ['approx', () => Promise.resolve(approxTokenizer())],
])('answers under the %s tokenizer', (_name, load) => {
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    tokenizer = await load();
  });

  it.each([[1], [2], [5], [16], [64], [200]])(
    'with max_tokens=%i: ids are the re-tokenized text, stop ends with <|eot_id|>, never over the limit',
    (maxTokens) => {
      for (let k = 0; k < 12; k++) {
        const a = generateAnswer({ promptIds: prompt(k), maxTokens, seed: 1, tokenizer });
        expect(a.contentIds).toEqual(tokenizer.encode(a.text));
        expect(a.text).toBe(a.text.trim());
        expect(a.outputIds.length).toBeLessThanOrEqual(maxTokens);
        if (a.finishReason === 'stop') {
          expect(a.outputIds).toEqual([...a.contentIds, EOT_ID]);
        } else {
          expect(a.outputIds).toEqual(a.contentIds);
          expect(a.outputIds).toHaveLength(maxTokens);
        }
        expect(a.pieces.join('')).toBe(a.text);
        expect(a.endToken.at(-1) ?? 0).toBe(a.contentIds.length);
      }
    },
  );
});

it('writes English-looking sentences of at least ceil(max/2) tokens', async () => {
  const tokenizer = await loadTokenizer('llama3');
  for (let k = 0; k < 20; k++) {
    const a = generateAnswer({ promptIds: prompt(k), maxTokens: 100, seed: 3, tokenizer });
    expect(a.outputIds.length).toBeGreaterThanOrEqual(50);
    expect(a.text).toMatch(/^[A-Z][a-z]*( [a-z]+|\. [A-Z][a-z]*)*\.$/);
  }
});
