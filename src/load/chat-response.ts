// What a chat-completions answer says, streamed or not: content, usage, errors. Pure.
// vLLM streams: a first chunk with role "assistant" and empty content, content deltas, a finish chunk,
// then (stream_options.include_usage) a usage chunk with "choices": [] right before `data: [DONE]`.
// Some servers send usage twice; the last one wins (../shared/research/vllm-llmd-semantics.md §8).

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** usage.prompt_tokens_details.cached_tokens; absent when the server does not report it. */
  cachedTokens?: number;
}

export interface StreamState {
  content: string;
  /** True once a chunk carried non-empty content (that chunk's arrival is the TTFT). */
  sawContent: boolean;
  usage: Usage | null;
  done: boolean;
  error: string | null;
}

export function newStreamState(): StreamState {
  return { content: '', sawContent: false, usage: null, done: false, error: null };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseUsage(raw: unknown): Usage | null {
  if (!isObject(raw)) return null;
  const { prompt_tokens: p, completion_tokens: c, prompt_tokens_details: details } = raw;
  if (typeof p !== 'number' || typeof c !== 'number') return null;
  const usage: Usage = { promptTokens: p, completionTokens: c };
  // vLLM sends `prompt_tokens_details: null` without --enable-prompt-tokens-details: that is "unknown".
  if (isObject(details) && typeof details.cached_tokens === 'number')
    usage.cachedTokens = details.cached_tokens;
  return usage;
}

/** One line, short: what goes into a record's `error`. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The message of an OpenAI/vLLM error body: {"error":{"message"}}, {"object":"error","message"}, {"detail"}. */
export function errorMessageOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  if (isObject(body.error) && typeof body.error.message === 'string') return body.error.message;
  if (typeof body.error === 'string') return body.error;
  if (typeof body.message === 'string') return body.message;
  if (typeof body.detail === 'string') return body.detail;
  return undefined;
}

/** Applies one SSE event's data; returns true when this event brought the first content. */
export function applyStreamEvent(state: StreamState, data: string): boolean {
  if (state.done) return false;
  if (data.trim() === '[DONE]') {
    state.done = true;
    return false;
  }
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    state.error ??= `unreadable stream chunk: ${oneLine(data, 80)}`;
    return false;
  }
  if (!isObject(chunk)) return false;
  const message = isObject(chunk.error) || chunk.object === 'error' ? errorMessageOf(chunk) : undefined;
  if (message !== undefined) {
    state.error ??= `stream error: ${oneLine(message)}`;
    return false;
  }
  const usage = parseUsage(chunk.usage);
  if (usage) state.usage = usage;
  let first = false;
  if (Array.isArray(chunk.choices)) {
    for (const choice of chunk.choices) {
      if (!isObject(choice) || !isObject(choice.delta)) continue;
      const piece = choice.delta.content;
      if (typeof piece === 'string' && piece.length > 0) {
        state.content += piece;
        if (!state.sawContent) first = true;
        state.sawContent = true;
      }
    }
  }
  return first;
}

/** A non-streaming answer: content and usage, or an error text. */
export function parseCompletion(body: unknown): { content: string; usage: Usage | null } | { error: string } {
  if (!isObject(body) || !Array.isArray(body.choices)) {
    return { error: `unexpected response: ${errorMessageOf(body) ?? 'no choices'}` };
  }
  const first: unknown = body.choices[0];
  const content = isObject(first) && isObject(first.message) ? first.message.content : undefined;
  return { content: typeof content === 'string' ? content : '', usage: parseUsage(body.usage) };
}
