// Token ids for prompts and answers. `llama3` gives the real Llama 3 ids (llama3-tokenizer-js ships the
// vocabulary), so 16-token block boundaries fall where vLLM's do. `approx` (~4.2 characters per token,
// ../shared/research/vllm-llmd-semantics.md §6) serves throughput work, where BPE cost would dominate.
import { renderLlama32Segments, type ChatMessage } from './chat-template.ts';

export type TokenizerKind = 'llama3' | 'approx';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Encode text; special tokens written in the text (`<|eot_id|>`) map to their ids. No BOS added. */
  encode(text: string): number[];
  /** Count of tokens of `text` (same as encode(text).length). */
  count(text: string): number;
}

export const BOS_ID = 128000;
const SPECIAL_IDS: Record<string, number> = {
  '<|begin_of_text|>': 128000,
  '<|end_of_text|>': 128001,
  '<|start_header_id|>': 128006,
  '<|end_header_id|>': 128007,
  '<|eom_id|>': 128008,
  '<|eot_id|>': 128009,
  '<|python_tag|>': 128010,
};
const SPECIAL_RE =
  /<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eom_id|eot_id|python_tag)\|>/g;

/**
 * Memoises segment encodings: multi-turn prompts resend the same history every turn. Two generations
 * of plain Maps, the older dropped whole, instead of a Map kept as an LRU: re-inserting on every hit and
 * scanning past deleted entries on eviction cost ramp-load half its CPU (bench/, issue #8).
 */
class SegmentCache {
  private current = new Map<string, number[]>();
  private previous = new Map<string, number[]>();
  private readonly generation: number;
  constructor(capacity: number) {
    this.generation = Math.max(1, Math.ceil(capacity / 2));
  }
  get(text: string, encode: (t: string) => number[]): number[] {
    const hit = this.current.get(text);
    if (hit) return hit;
    const ids = this.previous.get(text) ?? encode(text);
    this.current.set(text, ids);
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
    return ids;
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic, prefix-stable pseudo-ids: chunks of 4,4,4,4,5 characters (4.2 on average). */
function approxEncodePlain(text: string, out: number[]): void {
  let pos = 0;
  let k = 0;
  while (pos < text.length) {
    const len = k % 5 === 4 ? 5 : 4;
    out.push(fnv1a(text.slice(pos, pos + len)) % 128000);
    pos += len;
    k++;
  }
}

function encodeWithSpecials(text: string, plain: (t: string, out: number[]) => void): number[] {
  const out: number[] = [];
  let last = 0;
  for (const m of text.matchAll(SPECIAL_RE)) {
    if (m.index > last) plain(text.slice(last, m.index), out);
    out.push(SPECIAL_IDS[m[0]] as number);
    last = m.index + m[0].length;
  }
  if (last < text.length) plain(text.slice(last), out);
  return out;
}

export function approxTokenizer(): Tokenizer {
  const encode = (text: string): number[] => encodeWithSpecials(text, approxEncodePlain);
  return { kind: 'approx', encode, count: (t) => encode(t).length };
}

let llama3Promise: Promise<Tokenizer> | undefined;

/** Loads the 3.2 MB vocabulary lazily (~400 ms) the first time it is asked for. */
export function loadTokenizer(kind: TokenizerKind): Promise<Tokenizer> {
  if (kind === 'approx') return Promise.resolve(approxTokenizer());
  llama3Promise ??= import('llama3-tokenizer-js').then(({ default: lib }) => {
    const encode = (text: string): number[] => lib.encode(text, { bos: false, eos: false });
    return { kind: 'llama3' as const, encode, count: (t: string) => encode(t).length };
  });
  return llama3Promise;
}

/** Encodes the Llama 3.2 chat prompt segment by segment, reusing cached segment ids. */
export class ChatEncoder {
  private readonly cache = new SegmentCache(20000);
  readonly tokenizer: Tokenizer;
  constructor(tokenizer: Tokenizer) {
    this.tokenizer = tokenizer;
  }

  encodeChat(messages: readonly ChatMessage[], dateString: string, addGenerationPrompt = true): number[] {
    const ids: number[] = [];
    for (const segment of renderLlama32Segments(messages, { dateString, addGenerationPrompt })) {
      for (const id of this.cache.get(segment, (s) => this.tokenizer.encode(s))) ids.push(id);
    }
    return ids;
  }

  /** Ids of an answer as the next turn's template will contain it (content trimmed, then `<|eot_id|>`). */
  encodeText(text: string): number[] {
    return this.cache.get(text, (s) => this.tokenizer.encode(s));
  }
}
