// Token ids for prompts and answers. `llama3` gives the real Llama 3 ids (llama3-tokenizer-js ships the
// vocabulary), so 16-token block boundaries fall where vLLM's do. `approx` (~4.2 characters per token,
// ../shared/research/vllm-llmd-semantics.md §6) serves throughput work, where BPE cost would dominate.
import { BOS, EOT, headerFor, messageHeader, systemBlock, type ChatMessage } from './chat-template.ts';

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

/** Deterministic, prefix-stable pseudo-ids: chunks of 4,4,4,4,5 characters (4.2 on average). */
function approxEncodePlain(text: string, out: number[]): void {
  let pos = 0;
  let k = 0;
  while (pos < text.length) {
    const end = Math.min(text.length, pos + (k % 5 === 4 ? 5 : 4));
    // FNV-1a of the chunk, read in place (no substring per token).
    let h = 0x811c9dc5;
    for (let i = pos; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    out.push((h >>> 0) % 128000);
    pos = end;
    k++;
  }
}

/** approxEncodePlain(text).length without encoding: whole groups of 21 characters are 5 chunks. */
function approxCountPlain(length: number): number {
  const rest = length % 21;
  return 5 * Math.floor(length / 21) + (rest > 16 ? 5 : Math.ceil(rest / 4));
}

function encodeWithSpecials(text: string, plain: (t: string, out: number[]) => void): number[] {
  const out: number[] = [];
  // Most texts (every message the workload writes) hold no special token: no regex scan for them.
  if (!text.includes('<|')) {
    plain(text, out);
    return out;
  }
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
  // Text generation counts as it grows; most texts hold no special token and need no encoding.
  const count = (t: string): number => (t.includes('<|') ? encode(t).length : approxCountPlain(t.length));
  return { kind: 'approx', encode, count };
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

/** One array of all the parts' ids, allocated once at its final length. */
function concatIds(parts: readonly (readonly number[])[]): number[] {
  let length = 0;
  for (let p = 0; p < parts.length; p++) length += (parts[p] as readonly number[]).length;
  const ids = new Array<number>(length);
  let at = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p] as readonly number[];
    for (let i = 0; i < part.length; i++) ids[at++] = part[i] as number;
  }
  return ids;
}

/**
 * Encodes Llama 3.2 chat prompts part by part (renderLlama32Segments' segments, each encoded on its own),
 * remembering what recurs: a conversation resends its history every turn. Content ids are kept per
 * message object (a session's history holds the same objects turn after turn) and, for the BPE
 * tokenizer, per text (a server sees the same history as new objects each time). The approximate
 * tokenizer re-encodes faster than a string-keyed lookup hashes its key, so it keeps no text cache.
 */
export class ChatEncoder {
  readonly tokenizer: Tokenizer;
  private readonly texts: SegmentCache | null;
  private readonly messageIds = new WeakMap<ChatMessage, number[]>();
  private readonly headers = new Map<string, number[]>();
  /** system segment ids by date, then by system message */
  private readonly systems = new Map<string, Map<string, number[]>>();
  private readonly eot: number[];

  constructor(tokenizer: Tokenizer) {
    this.tokenizer = tokenizer;
    this.texts = tokenizer.kind === 'approx' ? null : new SegmentCache(20000);
    this.eot = tokenizer.encode(EOT);
  }

  encodeChat(messages: readonly ChatMessage[], dateString: string, addGenerationPrompt = true): number[] {
    const first = messages[0];
    const hasSystem = first !== undefined && first.role === 'system';
    const parts = [
      this.header('system', true),
      this.system(dateString, hasSystem ? first.content.trim() : ''),
      this.eot,
    ];
    for (let i = hasSystem ? 1 : 0; i < messages.length; i++) {
      const m = messages[i] as ChatMessage;
      parts.push(this.header(m.role), this.content(m), this.eot);
    }
    if (addGenerationPrompt) parts.push(this.header('assistant'));
    return concatIds(parts);
  }

  /** Ids of an answer as the next turn's template will contain it (content trimmed, then `<|eot_id|>`). */
  encodeText(text: string): number[] {
    return this.texts ? this.texts.get(text, (s) => this.tokenizer.encode(s)) : this.tokenizer.encode(text);
  }

  /** An assistant message whose content ids are already known (the answer just encoded). */
  remember(message: ChatMessage, contentIds: number[]): void {
    this.messageIds.set(message, contentIds);
  }

  private content(m: ChatMessage): number[] {
    let ids = this.messageIds.get(m);
    if (!ids) {
      ids = this.encodeText(m.content.trim());
      this.messageIds.set(m, ids);
    }
    return ids;
  }

  /** A role's header ids; the system header opens the prompt, after <|begin_of_text|>. */
  private header(role: ChatMessage['role'], opening = false): number[] {
    const key = opening ? '' : role;
    let ids = this.headers.get(key);
    if (!ids) {
      ids = this.tokenizer.encode(opening ? `${BOS}${headerFor(role)}` : messageHeader(role));
      this.headers.set(key, ids);
    }
    return ids;
  }

  private system(dateString: string, systemMessage: string): number[] {
    let byText = this.systems.get(dateString);
    if (!byText) {
      // A new day: yesterday's segments will not be asked for again.
      if (this.systems.size >= 4) this.systems.clear();
      this.systems.set(dateString, (byText = new Map()));
    }
    let ids = byText.get(systemMessage);
    if (!ids) {
      if (byText.size >= 64) byText.clear();
      ids = this.tokenizer.encode(systemBlock(dateString, systemMessage));
      byText.set(systemMessage, ids);
    }
    return ids;
  }
}
