// English-like text of about N tokens, from a seeded PRNG and a token counter (the real tokenizer or the
// approximate one). Pure: the same seed and target give the same text.
import type { Prng } from './prng.ts';
import { WORDS } from './words.ts';

export type CountTokens = (text: string) => number;

/** Endless stream of words grouped in sentences of 6–14 words, capitalised, ending in . or ? */
class WordStream {
  private readonly prng: Prng;
  private left = 0;
  private length = 0;

  constructor(prng: Prng) {
    this.prng = prng;
  }

  next(): string {
    if (this.left === 0) this.left = this.length = 6 + this.prng.int(9);
    let word = this.prng.pick(WORDS);
    if (this.left === this.length) word = word.charAt(0).toUpperCase() + word.slice(1);
    if (--this.left === 0) word += this.prng.int(5) === 0 ? '?' : '.';
    return word;
  }
}

/**
 * Words from the stream until the text reaches `targetTokens` (passing it by at most the last word's
 * tokens). Grows in chunks sized from the tokens-per-word seen so far and recounts, so a 2,000-token text
 * costs a dozen encodings, not one per word.
 */
export function generateText(prng: Prng, targetTokens: number, count: CountTokens, prefix = ''): string {
  const stream = new WordStream(prng);
  // Words are joined once per round: a string grown word by word is a chain of cons strings.
  const words: string[] = prefix ? [prefix] : [];
  let text = prefix;
  let tokens = prefix ? count(prefix) : 0;
  let added = 0;
  let addedTokens = 0;
  while (tokens < targetTokens) {
    const perWord = added > 0 ? addedTokens / added : 1.3;
    // 90 % of the estimated gap: undershooting costs one more round, overshooting cannot be undone.
    const take = Math.max(1, Math.floor(((targetTokens - tokens) / perWord) * 0.9));
    for (let i = 0; i < take; i++) words.push(stream.next());
    text = words.join(' ');
    const before = tokens;
    tokens = count(text);
    added += take;
    addedTokens += tokens - before;
  }
  return text;
}
