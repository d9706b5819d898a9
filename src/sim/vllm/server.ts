// The HTTP face of one simulated vLLM pod (vllm/entrypoints/openai/api_server.py, v0.10.x).
//
// Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health (200, empty),
// GET /version, GET /metrics (text/plain; version=0.0.4). Unknown paths get FastAPI's
// 404 {"detail":"Not Found"}, a known path with the wrong method 405 {"detail":"Method Not Allowed"}.
//
// Request fields honoured:
// - both routes: `model` (absent = the served model; another name → 404), `max_tokens`
//   (chat also `max_completion_tokens`, which wins), `stream`, `stream_options.include_usage`, `n`
//   (only 1).
// - chat: `messages` (roles system/user/assistant/tool; content a string, null or text parts),
//   `chat_template_kwargs.date_string` (else today's UTC date from the pod's clock, as a vLLM
//   container with TZ=UTC renders `strftime_now("%d %b %Y")`).
// - completions: `prompt` (one string, tokenized with BOS like add_special_tokens=True, or one list
//   of token ids, used as given).
// Everything else (temperature, top_p, seed, stop, logprobs, tools, …) is accepted and ignored: the
// answer is a deterministic function of the prompt ids and the pod seed (./answer.ts).
//
// Errors use vLLM's ErrorResponse (./openai.ts errorBody). Bodies above maxBodyBytes are drained
// without being kept and answered 413. A client that disconnects aborts its request (blocks freed).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { VllmPodFaults } from '../contracts.ts';
import { templateDate } from '../../tokenize/chat-template.ts';
import { BOS_ID, type ChatEncoder } from '../../tokenize/tokenizer.ts';
import { generateAnswer } from './answer.ts';
import type { Engine } from './engine.ts';
import { METRICS_CONTENT_TYPE, type MetricsFormat, type PodMetrics } from './metrics.ts';
import {
  checkContextLength,
  checkModel,
  effectiveMaxTokens,
  errorBody,
  parseChatRequest,
  parseCompletionRequest,
  parseJsonBody,
  type ApiError,
  type ParsedRequest,
} from './openai.ts';
import {
  chatChunk,
  chatCompletionJson,
  completionChunk,
  completionJson,
  DONE_EVENT,
  modelsJson,
  usageChunk,
  usageJson,
  type ResponseMeta,
} from './responses.ts';

export interface VllmServerDeps {
  model: string;
  maxModelLen: number;
  enablePromptTokensDetails: boolean;
  seed: number;
  encoder: ChatEncoder;
  engine: Engine;
  metrics: PodMetrics;
  metricsFormat: MetricsFormat;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  maxBodyBytes: number;
  startedAtSeconds: number;
  faults?: VllmPodFaults;
}

/** The reported vLLM version (GET /version). */
export const VLLM_VERSION = '0.10.1.1';

type Body = { text: string } | { tooLarge: true } | { gone: true };

/** Reads at most `limit` bytes; a larger body is drained and dropped (never buffered), up to 4× the limit. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let size = 0;
    let chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks = [];
      }
      if (!tooLarge) chunks.push(c);
      else if (size > 4 * limit) resolve({ tooLarge: true }); // answered now; the socket is closed after
    });
    req.on('end', () => {
      if (tooLarge) return resolve({ tooLarge: true });
      // Most bodies arrive in one chunk: decode it in place rather than copy it first.
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      resolve({ text: body.toString('utf8') });
    });
    req.on('close', () => resolve({ gone: true }));
  });
}

function sendJson(res: http.ServerResponse, status: number, body: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res: http.ServerResponse, e: ApiError, close = false): void {
  sendJson(res, e.status, errorBody(e), close);
}

const FAULT_TYPES: Record<number, string> = {
  429: 'TooManyRequestsError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

/** What a broken exporter or a proxy's error page looks like where an exposition was expected. */
const GARBAGE = Buffer.from(
  '<html><head><title>502 Bad Gateway</title></head>\n' + 'vllm:prefix_cache_queries_total{engine="0" 12 x\n',
);

/** Waits `ms` with the request open; false when the client left (or the pod closed) meanwhile. */
function holdOpen(res: http.ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (open: boolean): void => {
      clearTimeout(timer);
      res.off('close', onClose);
      resolve(open);
    };
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(!res.destroyed), ms);
    res.once('close', onClose);
  });
}

const ROUTES: Record<string, string> = {
  '/health': 'GET',
  '/metrics': 'GET',
  '/version': 'GET',
  '/v1/models': 'GET',
  '/v1/chat/completions': 'POST',
  '/v1/completions': 'POST',
};

export function createVllmServer(deps: VllmServerDeps): http.Server {
  const memo = new Map<string, number>();
  // Answer drafts are only counted. The approx tokenizer counts from the text's length; BPE has to
  // encode to count, so its drafts go through the encoder's cache and the final encode is a hit.
  const { encoder } = deps;
  const answerTokenizer = {
    encode: (t: string) => encoder.encodeText(t),
    count:
      encoder.tokenizer.kind === 'approx'
        ? (t: string) => encoder.tokenizer.count(t)
        : (t: string) => encoder.encodeText(t).length,
  };

  function promptIds(req: ParsedRequest, wallMs: number): number[] {
    if (req.kind === 'chat')
      return deps.encoder.encodeChat(req.messages, req.dateString ?? templateDate(wallMs));
    if (typeof req.prompt === 'string') return [BOS_ID, ...deps.encoder.encodeText(req.prompt)];
    return req.prompt;
  }

  /** `cut`: drop the connection half-way, as a pod that dies mid-answer (fault injection). */
  function serveGeneration(req: ParsedRequest, res: http.ServerResponse, cut: boolean): void {
    const wallMs = deps.now();
    const ids = promptIds(req, wallMs);
    const tooLong = checkContextLength(ids.length, req.maxTokens, deps.maxModelLen);
    if (tooLong) return sendError(res, tooLong);
    const maxTokens = effectiveMaxTokens(req, ids.length, deps.maxModelLen);
    const answer = generateAnswer({
      promptIds: ids,
      maxTokens,
      seed: deps.seed,
      tokenizer: answerTokenizer,
      memo,
    });
    const chat = req.kind === 'chat';
    // The closures below outlive this call by the whole answer: they take these two flags, not `req`,
    // so the parsed messages can be collected once the prompt is tokenized.
    const { stream, includeUsage } = req;
    const meta: ResponseMeta = {
      id: `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`,
      created: Math.floor(wallMs / 1000),
      model: deps.model,
    };
    const contentTokens = answer.contentIds.length;
    const total = answer.outputIds.length;
    let sent = 0;
    const takePieces = (upTo: number): string => {
      let text = '';
      // vLLM's incremental detokenizer streams each token's text as it is sampled, so content leaves
      // with the first token (vllm/v1/engine/detokenizer.py). Pieces here are whole words: the first
      // one goes out at token 1 even when it spans more tokens, or a client's TTFT would read
      // (tokens of the first word − 1) × inter-token latency too late.
      while (
        sent < answer.pieces.length &&
        ((answer.endToken[sent] as number) <= upTo || (sent === 0 && upTo >= 1))
      )
        text += answer.pieces[sent++];
      return text;
    };
    let started = false;
    let done = false;
    const cutAt = Math.max(1, Math.floor(total / 2));
    const startStream = (): void => {
      if (started) return;
      started = true;
      if (chat) res.write(chatChunk(meta, { role: 'assistant', content: '' }));
    };
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.flushHeaders();
    }
    const handle = deps.engine.submit({
      promptIds: ids,
      outputIds: answer.outputIds,
      finishReason: answer.finishReason,
      maxTokens,
      onTokens(emitted) {
        // vLLM's first streamed bytes (the role chunk) leave with the first token.
        if (!stream || emitted >= total || res.destroyed) return;
        if (cut && emitted >= cutAt) return void res.destroy();
        startStream();
        const text = takePieces(Math.min(emitted, contentTokens));
        if (text) res.write(chat ? chatChunk(meta, { content: text }) : completionChunk(meta, text));
      },
      onFinish(reason) {
        done = true;
        if (res.destroyed) return;
        if (cut) return void res.destroy();
        const usage = {
          promptTokens: ids.length,
          completionTokens: total,
          cachedTokens: handle.cachedTokens,
        };
        if (!stream) {
          const u = usageJson(usage, deps.enablePromptTokensDetails, false);
          const body = chat
            ? chatCompletionJson(meta, answer.text, reason, u)
            : completionJson(meta, answer.text, reason, u);
          return sendJson(res, 200, body);
        }
        startStream();
        const rest = takePieces(Infinity);
        res.write(chat ? chatChunk(meta, { content: rest }, reason) : completionChunk(meta, rest, reason));
        if (includeUsage) {
          const u = usageJson(usage, deps.enablePromptTokensDetails, true);
          res.write(usageChunk(meta, chat ? 'chat.completion.chunk' : 'text_completion', u));
        }
        res.end(DONE_EVENT);
      },
    });
    res.on('close', () => {
      if (!done) handle.abort();
    });
  }

  async function handlePost(
    path: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const body = await readBody(req, deps.maxBodyBytes);
    if ('gone' in body) return;
    if ('tooLarge' in body) {
      const message = `request body exceeds ${deps.maxBodyBytes} bytes`;
      return sendError(res, { status: 413, type: 'RequestEntityTooLarge', message }, true);
    }
    const fault = deps.faults?.failRequest?.(path);
    if (fault !== undefined) {
      const type = FAULT_TYPES[fault] ?? 'InternalServerError';
      return sendError(res, { status: fault, type, message: `injected fault: ${fault}` });
    }
    const json = parseJsonBody(body.text);
    if ('status' in json) return sendError(res, json as ApiError);
    const parsed = path === '/v1/chat/completions' ? parseChatRequest(json) : parseCompletionRequest(json);
    if ('status' in parsed) return sendError(res, parsed);
    const wrongModel = checkModel(json, deps.model);
    if (wrongModel) return sendError(res, wrongModel);
    const stallMs = deps.faults?.stallMs?.(path);
    if (stallMs && !(await holdOpen(res, stallMs))) return;
    serveGeneration(parsed, res, deps.faults?.cutResponse?.(path) ?? false);
  }

  async function handleGet(path: string, res: http.ServerResponse): Promise<void> {
    if (path === '/health') {
      const healthy = deps.faults?.healthy?.() ?? true;
      res.writeHead(healthy ? 200 : 503, { 'content-length': 0 });
      return void res.end();
    }
    if (path === '/metrics') {
      const fault = deps.faults?.metricsFault?.();
      // No answer at all: the scraper's deadline must end the wait; close() drops the socket.
      if (fault === 'hang') return;
      if (fault === 'garbage') {
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': GARBAGE.length });
        return void res.end(GARBAGE);
      }
      const text = await deps.metrics.render(deps.metricsFormat);
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    if (path === '/version') return sendJson(res, 200, JSON.stringify({ version: VLLM_VERSION }));
    const permissionId = `modelperm-${randomUUID().replaceAll('-', '')}`;
    sendJson(res, 200, modelsJson(deps.model, deps.maxModelLen, deps.startedAtSeconds, permissionId));
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const method = ROUTES[path];
    const work =
      method === undefined
        ? Promise.resolve(sendJson(res, 404, '{"detail":"Not Found"}'))
        : req.method !== method
          ? Promise.resolve(sendJson(res, 405, '{"detail":"Method Not Allowed"}'))
          : method === 'POST'
            ? handlePost(path, req, res)
            : handleGet(path, res);
    if (method !== 'POST') req.resume();
    work.catch((err: unknown) => {
      // Mid-stream there is no way to send a status any more: drop the connection, as uvicorn does.
      if (res.headersSent) return void res.destroy();
      sendError(res, {
        status: 500,
        type: 'InternalServerError',
        message: err instanceof Error ? err.message : String(err),
      });
    });
  });
  return server;
}
