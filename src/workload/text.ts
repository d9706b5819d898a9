// English-like text of about N tokens, from a seeded PRNG and a token counter (the real tokenizer or the
// approximate one). Pure: the same seed and target give the same text.
import type { Prng } from './prng.ts';
import { WORDS } from './words.ts';

export type CountTokens = (text: string) => number;

/** Endless stream of words grouped in sentences of 6–14 words, capitalised, ending in . or ? */
function* wordStream(prng: Prng): Generator<string> {
  for (;;) {
    const length = 6 + prng.int(9);
    for (let i = 0; i < length; i++) {
      let word = prng.pick(WORDS);
      if (i === 0) word = word.charAt(0).toUpperCase() + word.slice(1);
      if (i === length - 1) word += prng.int(5) === 0 ? '?' : '.';
      yield word;
    }
  }
}

/**
 * Words from the stream until the text reaches `targetTokens` (passing it by at most the last word's
 * tokens). Grows in chunks sized from the tokens-per-word seen so far and recounts, so a 2,000-token text
 * costs a dozen encodings, not one per word.
 */
export function generateText(prng: Prng, targetTokens: number, count: CountTokens, prefix = ''): string {
  const words = wordStream(prng);
  let text = prefix;
  let tokens = prefix ? count(prefix) : 0;
  let added = 0;
  let addedTokens = 0;
  while (tokens < targetTokens) {
    const perWord = added > 0 ? addedTokens / added : 1.3;
    // 90 % of the estimated gap: undershooting costs one more round, overshooting cannot be undone.
    const take = Math.max(1, Math.floor(((targetTokens - tokens) / perWord) * 0.9));
    const chunk: string[] = [];
    for (let i = 0; i < take; i++) chunk.push(words.next().value as string);
    text = text ? `${text} ${chunk.join(' ')}` : chunk.join(' ');
    const before = tokens;
    tokens = count(text);
    added += take;
    addedTokens += tokens - before;
  }
  return text;
}
