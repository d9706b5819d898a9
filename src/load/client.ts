// One chat request over undici (a keep-alive Pool sized for the concurrency, driven through its dispatch
// API: not fetch or request(), whose extra layers cost CPU at high rates — see exchange.ts): send, time
// the first content and the end, read usage, turn every failure into a short one-line error. Timing
// uses performance.now() (monotonic).
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
import { startExchange, type ResponseHeaders } from './exchange.ts';
import { InflightRequests } from './inflight.ts';
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
  private readonly inflight: InflightRequests;
  private readonly fixedHeaders: Readonly<Record<string, string>>;

  constructor(opts: ChatClientOptions) {
    this.opts = opts;
    this.inflight = new InflightRequests(opts.requestTimeoutMs);
    // The same for every request (undici reads them, never writes them).
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
    };
    if (opts.hostHeader) headers.host = opts.hostHeader;
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    this.fixedHeaders = Object.freeze(headers);
    const url = new URL(opts.gatewayUrl);
    this.path = `${url.pathname.replace(/\/+$/, '')}/v1/chat/completions`;
    this.pool = new Pool(url.origin, {
      connections: opts.connections,
      // Our own deadline (InflightRequests) bounds every request from send to end; undici's per-request
      // header and body timers would only duplicate it, at a timer object and its upkeep per request.
      headersTimeout: 0,
      bodyTimeout: 0,
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
    // Echo the gateway's session token as an llm-d client does, so session affinity can work.
    return turn.sessionToken
      ? { ...this.fixedHeaders, [SESSION_TOKEN_HEADER]: turn.sessionToken }
      : this.fixedHeaders;
  }

  async send(turn: PreparedTurn, signal: AbortSignal): Promise<ChatOutcome> {
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
    if (signal.aborted)
      return outcome({ status: 0, aborted: true, ttftMs: null, content: null, usage: null });
    let status = 0;
    let statusText = '';
    let headers: ResponseHeaders = {};
    let ttftMs: number | null = null;
    let reader: BodyReader | undefined;
    const exchange = startExchange(
      this.pool,
      { path: this.path, method: 'POST', headers: this.headers(turn), body: this.body(turn) },
      {
        onStart: (s, h, text) => {
          status = s;
          headers = h;
          statusText = text;
          reader =
            s < 200 || s >= 300
              ? new ErrorBodyReader()
              : this.opts.stream
                ? new StreamReader(() => (ttftMs = since()))
                : new JsonReader();
        },
        onData: (chunk) => {
          if (reader?.push(chunk) === false) exchange.abort(ERROR_BODY_CUT);
        },
      },
    );
    // The run's stop signal and the timeout end the exchange directly: no AbortSignal.any per request
    // (each composite stays registered on the run-long stop signal: nodejs/node#55351, #64476).
    let timedOut = false;
    const entry = this.inflight.add(
      signal,
      () => {
        timedOut = true;
        exchange.abort(new Error('timeout'));
      },
      () => exchange.abort(new Error('stopped')),
    );
    try {
      let trailers: ResponseHeaders = {};
      try {
        trailers = await exchange.done;
      } catch (err) {
        if (err !== ERROR_BODY_CUT) throw err;
      }
      if (reader instanceof ErrorBodyReader) {
        const error = oneLine(`HTTP ${status}: ${reader.message() || statusText || 'no body'}`);
        return outcome({
          status,
          error,
          ttftMs: null,
          content: null,
          usage: null,
          ...this.routing(headers, {}),
        });
      }
      const answer = (reader as StreamReader | JsonReader).finish();
      return outcome({
        status,
        ttftMs,
        content: answer.error === undefined ? answer.content : null,
        usage: answer.usage,
        ...(answer.error !== undefined ? { error: answer.error } : {}),
        ...this.routing(headers, trailers),
      });
    } catch (err) {
      if (signal.aborted) return outcome({ status, aborted: true, ttftMs, content: null, usage: null });
      const failure = timedOut
        ? { error: `timeout after ${formatMs(this.opts.requestTimeoutMs)}`, errorCode: 'TIMEOUT' }
        : describeFailure(err, status);
      return outcome({ status, ...failure, ttftMs, content: null, usage: null });
    } finally {
      this.inflight.remove(entry);
    }
  }

  private routing(
    headers: ResponseHeaders,
    trailers: ResponseHeaders,
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
    this.inflight.close();
    await this.pool.close();
  }
}

interface Answer {
  content: string;
  usage: Usage | null;
  error?: string;
}

/** What a response body is read into, chunk by chunk; push() returns false to stop reading. */
interface BodyReader {
  push(chunk: Buffer): boolean;
}

/** An SSE answer; calls onFirstContent when the first chunk with content arrives. */
class StreamReader implements BodyReader {
  private readonly parser = new SseParser();
  private readonly state = newStreamState();
  private readonly onFirstContent: () => void;
  constructor(onFirstContent: () => void) {
    this.onFirstContent = onFirstContent;
  }
  push(chunk: Buffer): boolean {
    for (const data of this.parser.push(chunk)) if (applyStreamEvent(this.state, data)) this.onFirstContent();
    return true;
  }
  finish(): Answer {
    for (const data of this.parser.end()) if (applyStreamEvent(this.state, data)) this.onFirstContent();
    const state = this.state;
    const error = state.error ?? (state.done ? undefined : 'stream ended before [DONE]');
    return { content: state.content, usage: state.usage, ...(error !== undefined ? { error } : {}) };
  }
}

/** A non-streamed chat completion. */
class JsonReader implements BodyReader {
  private readonly chunks: Buffer[] = [];
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  finish(): Answer {
    // Most answers arrive in one chunk: no copy for those.
    const text = (
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks)
    ).toString('utf8');
    try {
      const parsed = parseCompletion(JSON.parse(text));
      return 'error' in parsed ? { content: '', usage: null, error: oneLine(parsed.error) } : parsed;
    } catch {
      return { content: '', usage: null, error: oneLine(`unreadable response body: ${text.slice(0, 80)}`) };
    }
  }
}

/** Ends an error response's body once MAX_ERROR_BODY_BYTES are in: the message is at its start. */
const ERROR_BODY_CUT = new Error('error body cut at its limit');

/** An error response: the JSON error's message, else the text, from its first MAX_ERROR_BODY_BYTES. */
class ErrorBodyReader implements BodyReader {
  private readonly parts: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer): boolean {
    this.parts.push(chunk);
    this.size += chunk.length;
    return this.size < MAX_ERROR_BODY_BYTES;
  }
  message(): string {
    const text = Buffer.concat(this.parts).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
    try {
      return errorMessageOf(JSON.parse(text)) ?? text;
    } catch {
      return text;
    }
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

export function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
