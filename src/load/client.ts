// One chat request over undici (a keep-alive Pool sized for the concurrency; not fetch, whose extra
// layers cost CPU at high rates): send, time the first content and the end, read usage, turn every
// failure into a short one-line error. Timing uses performance.now() (monotonic).
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { PreparedTurn } from '../workload/sessions.ts';
import {
  applyStreamEvent,
  errorMessageOf,
  newStreamState,
  oneLine,
  parseCompletion,
  type Usage,
} from './chat-response.ts';
import { headerValue, podFromSessionToken, SESSION_TOKEN_HEADER } from './served-by.ts';
import { SseParser } from './sse.ts';

export interface ChatClientOptions {
  gatewayUrl: string;
  hostHeader?: string;
  /** Only ever placed in the Authorization header; never logged or written. */
  apiKey?: string;
  model: string;
  maxTokens: number;
  stream: boolean;
  /** Send chat_template_kwargs.date_string (the turn's date) so every request renders the same date. */
  pinDate: boolean;
  requestTimeoutMs: number;
  servedByHeader?: string;
  connections: number;
}

export interface ChatOutcome {
  /** HTTP status, 0 when no response arrived. */
  status: number;
  error?: string;
  /** Node/undici error code of a failure before any response (ECONNREFUSED, …). */
  errorCode?: string;
  /** Stopped by the caller's signal (run aborted): not a result, not recorded. */
  aborted?: boolean;
  /** From send to the first chunk with content; null when not streaming or no content came. */
  ttftMs: number | null;
  e2eMs: number;
  content: string | null;
  usage: Usage | null;
  sessionToken?: string;
  servedBy?: string;
  /** Durations that came out negative and were clamped to 0. */
  clampedDurations: number;
}

/** What the runner needs of a client: the embedded tests and the undici client both satisfy it. */
export interface ChatTransport {
  send(turn: PreparedTurn, signal: AbortSignal): Promise<ChatOutcome>;
  close(): Promise<void>;
}

const MAX_ERROR_BODY_BYTES = 8192;

export class ChatClient implements ChatTransport {
  private readonly opts: ChatClientOptions;
  private readonly pool: Pool;
  private readonly path: string;

  constructor(opts: ChatClientOptions) {
    this.opts = opts;
    const url = new URL(opts.gatewayUrl);
    this.path = `${url.pathname.replace(/\/+$/, '')}/v1/chat/completions`;
    this.pool = new Pool(url.origin, {
      connections: opts.connections,
      // Our own timer bounds the whole request; undici's only guard idle sockets.
      headersTimeout: opts.requestTimeoutMs,
      bodyTimeout: opts.requestTimeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  body(turn: PreparedTurn): string {
    const body: Record<string, unknown> = {
      model: this.opts.model,
      messages: turn.messages,
      max_tokens: this.opts.maxTokens,
      stream: this.opts.stream,
      // No temperature: the server's default (the model's generation_config) is what real clients get,
      // and nothing here needs determinism — the upper bound re-tokenizes whatever answer comes back.
    };
    if (this.opts.stream) body.stream_options = { include_usage: true };
    // vLLM passes chat_template_kwargs to the template; Llama 3.2's honours date_string
    // (../shared/research/vllm-llmd-semantics.md §2.3), so a midnight does not split the cache.
    if (this.opts.pinDate) body.chat_template_kwargs = { date_string: turn.dateString };
    return JSON.stringify(body);
  }

  private headers(turn: PreparedTurn): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
    };
    if (this.opts.hostHeader) headers.host = this.opts.hostHeader;
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    // Echo the gateway's session token as an llm-d client does, so session affinity can work.
    if (turn.sessionToken) headers[SESSION_TOKEN_HEADER] = turn.sessionToken;
    return headers;
  }

  async send(turn: PreparedTurn, signal: AbortSignal): Promise<ChatOutcome> {
    // One controller per request, aborted by the run's stop signal or by the timeout. Not
    // AbortSignal.any([signal, timeout]): every composite stays registered on the run-long stop signal
    // (nodejs/node#55351, #64476), ~10 µs each and young-generation GC pauses of 30–40 ms at 2k req/s.
    const abort = new AbortController();
    let timedOut = false;
    const onStop = (): void => abort.abort();
    if (signal.aborted) abort.abort();
    else signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.opts.requestTimeoutMs);
    const t0 = performance.now();
    let clamped = 0;
    const since = (): number => {
      const d = performance.now() - t0;
      if (d >= 0) return d;
      clamped++;
      return 0;
    };
    const outcome = (o: Omit<ChatOutcome, 'e2eMs' | 'clampedDurations'>): ChatOutcome => ({
      ...o,
      e2eMs: since(),
      clampedDurations: clamped,
    });
    let status = 0;
    let ttftMs: number | null = null;
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: this.headers(turn),
        body: this.body(turn),
        signal: abort.signal,
      });
      status = res.statusCode;
      if (status < 200 || status >= 300) {
        const error = oneLine(
          `HTTP ${status}: ${(await readErrorBody(res.body)) || res.statusText || 'no body'}`,
        );
        return outcome({
          status,
          error,
          ttftMs: null,
          content: null,
          usage: null,
          ...this.routing(res.headers, {}),
        });
      }
      const answer = this.opts.stream
        ? await readStream(res.body, () => (ttftMs = since()))
        : await readJson(res.body);
      return outcome({
        status,
        ttftMs,
        content: answer.error === undefined ? answer.content : null,
        usage: answer.usage,
        ...(answer.error !== undefined ? { error: answer.error } : {}),
        ...this.routing(res.headers, res.trailers),
      });
    } catch (err) {
      if (signal.aborted) return outcome({ status, aborted: true, ttftMs, content: null, usage: null });
      const failure = timedOut
        ? { error: `timeout after ${formatMs(this.opts.requestTimeoutMs)}`, errorCode: 'TIMEOUT' }
        : describeFailure(err, status);
      return outcome({ status, ...failure, ttftMs, content: null, usage: null });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  private routing(
    headers: Record<string, string | string[] | undefined>,
    trailers: Record<string, string | undefined>,
  ): { sessionToken?: string; servedBy?: string } {
    // llm-d writes the token at end of stream in current versions: look in trailers too (research §8).
    const sessionToken =
      headerValue(headers, SESSION_TOKEN_HEADER) ?? headerValue(trailers, SESSION_TOKEN_HEADER);
    const servedBy = this.opts.servedByHeader
      ? (headerValue(headers, this.opts.servedByHeader) ?? headerValue(trailers, this.opts.servedByHeader))
      : sessionToken !== undefined
        ? podFromSessionToken(sessionToken)
        : undefined;
    const out: { sessionToken?: string; servedBy?: string } = {};
    if (sessionToken !== undefined) out.sessionToken = sessionToken;
    if (servedBy !== undefined) out.servedBy = servedBy;
    return out;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

interface Answer {
  content: string;
  usage: Usage | null;
  error?: string;
}

/** Reads an SSE answer to its end (trailers come after it); calls onFirstContent when content starts. */
async function readStream(body: AsyncIterable<unknown>, onFirstContent: () => void): Promise<Answer> {
  const parser = new SseParser();
  const state = newStreamState();
  for await (const chunk of body) {
    for (const data of parser.push(chunk as Buffer)) if (applyStreamEvent(state, data)) onFirstContent();
  }
  for (const data of parser.end()) if (applyStreamEvent(state, data)) onFirstContent();
  const error = state.error ?? (state.done ? undefined : 'stream ended before [DONE]');
  return { content: state.content, usage: state.usage, ...(error !== undefined ? { error } : {}) };
}

async function readJson(body: { text(): Promise<string> }): Promise<Answer> {
  const text = await body.text();
  try {
    const parsed = parseCompletion(JSON.parse(text));
    return 'error' in parsed ? { content: '', usage: null, error: oneLine(parsed.error) } : parsed;
  } catch {
    return { content: '', usage: null, error: oneLine(`unreadable response body: ${text.slice(0, 80)}`) };
  }
}

/** The message of an error response: the JSON error's message, else the text. */
async function readErrorBody(body: AsyncIterable<unknown> & { destroy(): unknown }): Promise<string> {
  const text = await readLimited(body);
  try {
    return errorMessageOf(JSON.parse(text)) ?? text;
  } catch {
    return text;
  }
}

/**
 * Connection failures keep their code (ECONNREFUSED: …). A connection dropped after the status line is a
 * cut stream, worded like one that closed cleanly without its [DONE] so the report counts them together.
 */
function describeFailure(err: unknown, status: number): { error: string; errorCode?: string } {
  const e = err as Error & { code?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const error = oneLine(
    status === 0
      ? code
        ? `${code}: ${e.message}`
        : e.message
      : `stream ended before [DONE] (connection dropped: ${e.message})`,
  );
  return code !== undefined ? { error, errorCode: code } : { error };
}

async function readLimited(body: AsyncIterable<unknown> & { destroy(): unknown }): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    parts.push(buf);
    size += buf.length;
    if (size >= MAX_ERROR_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
}

export function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
