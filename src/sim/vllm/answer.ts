// Deterministic answers: the text is a pure function of (prompt ids, seed, max tokens), so one workload
// gets the same answers on every pod and under every routing policy. Its token ids are what the next
// turn's chat template will contain (content trimmed, re-tokenized, then <|eot_id|>), so a follow-up
// turn hits the blocks that hold this answer, as multi-turn chat does on vLLM (§2.2 "generated tokens
// are cached too").
import { mulberry32 } from '../../hash.ts';
import { hashBlock, NONE_HASH } from './block-cache.ts';

export const EOT_ID = 128009;

export type FinishReason = 'stop' | 'length';

export interface Answer {
  /** The message content (already trimmed, as the template will trim it). */
  text: string;
  /** Token ids of `text` under the pod's tokenizer. */
  contentIds: number[];
  /** What the engine generates: contentIds, plus <|eot_id|> when the model "stopped". */
  outputIds: number[];
  finishReason: FinishReason;
  /** Text pieces for streaming; `endToken[i]` is the output token count after which piece i is out. */
  pieces: string[];
  endToken: number[];
}

export interface AnswerTokenizer {
  encode(text: string): number[];
  /** encode(text).length: buildText only counts its drafts; only the final text is encoded. */
  count(text: string): number;
}

const WORDS = (
  'the a cache block token prefix model pod request answer router session turn query memory latency ' +
  'value key layer batch prompt reply system user engine queue share policy score time data node cluster ' +
  'stream result rate metric counter gateway path weight signal index table record stage load ' +
  'keeps reuses sends holds finds moves counts routes stores builds checks serves takes reads writes ' +
  'fast warm cold long short shared whole same next first last small large stable steady ' +
  'and of to in on for with from by when while then so because after before each every'
).split(' ');
const capitalized = (w: string): string => w[0]!.toUpperCase() + w.slice(1);
// Each word as it can appear: first in the text, first in a later sentence, inside a sentence. Built
// once, so the memo of piece costs is looked up with the same strings every time.
const FIRST = WORDS.map(capitalized);
const SENTENCE = FIRST.map((w) => `. ${w}`);
const SPACED = WORDS.map((w) => ` ${w}`);

/** Answer length in tokens: seeded in [ceil(max/2), max]. */
export function answerLength(rand: () => number, maxTokens: number): number {
  const lo = Math.ceil(maxTokens / 2);
  return lo + Math.floor(rand() * (maxTokens - lo + 1));
}

/**
 * Builds sentences until the piecewise token estimate reaches `target`, then corrects against the real
 * encoding: drop words while too long, add one-token fillers while too short. Llama 3's pre-tokenizer
 * splits at word boundaries, so the estimate is usually exact and the correction a no-op.
 */
function buildText(
  target: number,
  rand: () => number,
  tok: AnswerTokenizer,
  memo: Map<string, number>,
): string {
  if (target <= 0) return '';
  if (target === 1) return tok.count('Yes') === 1 ? 'Yes' : '';
  const cost = (piece: string): number => {
    let c = memo.get(piece);
    if (c === undefined) {
      c = tok.count(piece);
      memo.set(piece, c);
    }
    return c;
  };
  const words: string[] = [];
  let used = 0;
  let sentenceLeft = 0;
  // Reserve one token for the final period.
  while (used < target - 1) {
    const i = Math.floor(rand() * WORDS.length);
    const start = sentenceLeft === 0;
    const piece = (words.length === 0 ? FIRST : start ? SENTENCE : SPACED)[i] as string;
    const c = cost(piece);
    if (used + c > target - 1) {
      if (cost(' a') + used <= target - 1 && words.length > 0) {
        words.push(' a');
        used += cost(' a');
        continue;
      }
      break;
    }
    words.push(piece);
    used += c;
    sentenceLeft = start ? 5 + Math.floor(rand() * 9) : sentenceLeft - 1;
  }
  if (words.length === 0) words.push('Yes');
  const render = (ws: readonly string[]): string => (ws.length === 0 ? '' : `${ws.join('')}.`);
  let text = render(words);
  // Correction for tokenizers whose counts are not additive per word (the approx tokenizer).
  let count = tok.count(text);
  while (words.length > 0 && count > target) {
    words.pop();
    text = render(words);
    count = tok.count(text);
  }
  for (let i = 0; i < 64 && words.length > 0 && count < target; i++) {
    const longer = `${text.slice(0, -1)} a.`;
    const longerCount = tok.count(longer);
    if (longerCount > target) break;
    words.push(' a');
    text = longer;
    count = longerCount;
  }
  return text;
}

/** Splits text into streaming pieces (a word with its leading space and punctuation). */
function splitPieces(text: string, contentTokens: number): { pieces: string[]; endToken: number[] } {
  const pieces = text.match(/\s*\S+/g) ?? [];
  const endToken: number[] = [];
  let chars = 0;
  for (const p of pieces) {
    chars += p.length;
    // Proportional to characters: exact enough for streaming, and the last piece ends at the last token.
    endToken.push(Math.max(1, Math.ceil((contentTokens * chars) / text.length)));
  }
  return { pieces, endToken };
}

export interface AnswerRequest {
  promptIds: readonly number[];
  maxTokens: number;
  seed: number;
  tokenizer: AnswerTokenizer;
  /** Per-tokenizer memo of piece costs; pass one per pod to avoid re-encoding common words. */
  memo?: Map<string, number>;
}

export function generateAnswer(req: AnswerRequest): Answer {
  const seed = hashBlock(NONE_HASH, req.promptIds, req.seed >>> 0) % 0x100000000;
  const rand = mulberry32(seed);
  const length = answerLength(rand, req.maxTokens);
  // Shorter than max_tokens: the model "stopped" with <|eot_id|>, which vLLM counts in completion_tokens.
  const stopped = length < req.maxTokens;
  const target = stopped ? length - 1 : length;
  const text = buildText(target, rand, req.tokenizer, req.memo ?? new Map());
  const contentIds = req.tokenizer.encode(text);
  const finishReason: FinishReason = contentIds.length >= req.maxTokens ? 'length' : 'stop';
  const outputIds = finishReason === 'stop' ? [...contentIds, EOT_ID] : contentIds;
  return { text, contentIds, outputIds, finishReason, ...splitPieces(text, contentIds.length) };
}
