// The OpenAI protocol as vLLM 0.10.x speaks it (vllm/entrypoints/openai/protocol.py, serving_engine.py,
// serving_chat.py, serving_completion.py): request validation with vLLM's messages and status codes.
// Response shapes are in ./responses.ts. Pure: bodies in, values out.
import type { ChatMessage, ChatRole } from '../../tokenize/chat-template.ts';

export interface ApiError {
  status: number;
  type: string;
  message: string;
  param?: string | null;
}

/**
 * vLLM ≥ 0.10.1 nests the error like OpenAI (`ErrorResponse{error: ErrorInfo}`, vllm PR #22099; 0.10.0
 * sent the same fields flat with `"object": "error"`); `code` is the HTTP status as a number.
 */
export function errorBody(e: ApiError): string {
  return JSON.stringify({
    error: { message: e.message, type: e.type, param: e.param ?? null, code: e.status },
  });
}

export const badRequest = (message: string, param: string | null = null): ApiError => ({
  status: 400,
  type: 'BadRequestError',
  message,
  param,
});

/** FastAPI's RequestValidationError, which vLLM turns into a 400 BadRequestError with str(exc). */
function validationError(type: string, loc: string, msg: string): ApiError {
  return badRequest(`[{'type': '${type}', 'loc': ('body', '${loc}'), 'msg': '${msg}'}]`);
}

export interface ChatRequest {
  kind: 'chat';
  messages: ChatMessage[];
  dateString: string | undefined;
  maxTokens: number | undefined;
  stream: boolean;
  includeUsage: boolean;
}

export interface CompletionRequest {
  kind: 'completion';
  /** Text (tokenized with BOS, add_special_tokens=True) or token ids (used as given). */
  prompt: string | number[];
  maxTokens: number | undefined;
  stream: boolean;
  includeUsage: boolean;
}

export type ParsedRequest = ChatRequest | CompletionRequest;

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant', 'tool'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJsonBody(text: string): Record<string, unknown> | ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return badRequest(`[{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error'}]`);
  }
  if (!isRecord(body))
    return validationError('model_attributes_type', '', 'Input should be a valid dictionary or object');
  return body;
}

/** `_check_model`: an absent model means the served one; any other name is a 404. */
export function checkModel(body: Record<string, unknown>, served: string): ApiError | undefined {
  const model = body.model;
  if (model === undefined || model === null || model === served) return undefined;
  return { status: 404, type: 'NotFoundError', message: `The model \`${String(model)}\` does not exist.` };
}

function parseCommon(body: Record<string, unknown>): ApiError | Omit<CompletionRequest, 'kind' | 'prompt'> {
  const maxField = body.max_completion_tokens ?? body.max_tokens;
  let maxTokens: number | undefined;
  if (maxField !== undefined && maxField !== null) {
    if (typeof maxField !== 'number' || !Number.isInteger(maxField))
      return validationError('int_type', 'max_tokens', 'Input should be a valid integer');
    // SamplingParams._verify_args
    if (maxField < 1) return badRequest(`max_tokens must be at least 1, got ${maxField}.`);
    maxTokens = maxField;
  }
  const n = body.n ?? 1;
  if (n !== 1) return badRequest(`n must be 1 on this simulator, got ${JSON.stringify(n)}`, 'n');
  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean')
    return validationError('bool_type', 'stream', 'Input should be a valid boolean');
  const options = body.stream_options;
  if (options !== undefined && options !== null) {
    // ChatCompletionRequest.check_stream_options
    if (!stream) return badRequest('Stream options can only be defined when `stream=True`.');
    if (!isRecord(options))
      return validationError('model_type', 'stream_options', 'Input should be an object');
  }
  const includeUsage = isRecord(options) && options.include_usage === true;
  return { maxTokens, stream, includeUsage };
}

/** Message content: a string, null, or text parts (vLLM joins text parts with "\n"). */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') return undefined;
    texts.push(part.text);
  }
  return texts.join('\n');
}

export function parseChatRequest(body: Record<string, unknown>): ChatRequest | ApiError {
  const raw = body.messages;
  if (raw === undefined) return validationError('missing', 'messages', 'Field required');
  if (!Array.isArray(raw)) return validationError('list_type', 'messages', 'Input should be a valid list');
  const messages: ChatMessage[] = [];
  for (const [i, m] of raw.entries()) {
    if (!isRecord(m) || typeof m.role !== 'string' || !ROLES.includes(m.role as ChatRole))
      return badRequest(`messages[${i}]: role must be one of ${ROLES.join(', ')}`, 'messages');
    const content = contentText(m.content);
    if (content === undefined)
      return badRequest(`messages[${i}]: only text content is supported`, 'messages');
    messages.push({ role: m.role as ChatRole, content });
  }
  const kwargs = body.chat_template_kwargs;
  let dateString: string | undefined;
  if (isRecord(kwargs) && kwargs.date_string !== undefined) {
    if (typeof kwargs.date_string !== 'string')
      return badRequest('chat_template_kwargs.date_string must be a string');
    dateString = kwargs.date_string;
  }
  const common = parseCommon(body);
  if ('status' in common) return common;
  return { kind: 'chat', messages, dateString, ...common };
}

export function parseCompletionRequest(body: Record<string, unknown>): CompletionRequest | ApiError {
  let prompt: unknown = body.prompt;
  if (prompt === undefined) return validationError('missing', 'prompt', 'Field required');
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  const ids = Array.isArray(prompt) && prompt.every((t) => Number.isInteger(t) && t >= 0);
  if (typeof prompt !== 'string' && !ids)
    return badRequest(
      'prompt must be one string or one list of token ids (batched prompts are not supported)',
      'prompt',
    );
  if (ids && (prompt as number[]).length === 0) return badRequest('Prompt cannot be empty', 'prompt');
  const common = parseCommon(body);
  if ('status' in common) return common;
  return { kind: 'completion', prompt: prompt as string | number[], ...common };
}

/** `_validate_input` in serving_engine.py, word for word. */
export function checkContextLength(
  promptTokens: number,
  maxTokens: number | undefined,
  maxModelLen: number,
): ApiError | undefined {
  if (maxTokens === undefined) {
    if (promptTokens < maxModelLen) return undefined;
    return badRequest(
      `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
        `${promptTokens} tokens in the messages, Please reduce the length of the messages.`,
    );
  }
  if (promptTokens + maxTokens <= maxModelLen) return undefined;
  return badRequest(
    `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
      `${maxTokens + promptTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). ` +
      `Please reduce the length of the messages or completion.`,
  );
}

/** vLLM's CompletionRequest default (OpenAI's too). */
export const COMPLETION_DEFAULT_MAX_TOKENS = 16;
/**
 * vLLM lets a chat request without max_tokens run to the end of the context (max_model_len − prompt); a
 * real model stops on its own long before. 256 stands in for that natural stop and keeps the pod cheap.
 */
export const CHAT_DEFAULT_MAX_TOKENS = 256;

export function effectiveMaxTokens(req: ParsedRequest, promptTokens: number, maxModelLen: number): number {
  if (req.maxTokens !== undefined) return req.maxTokens;
  if (req.kind === 'completion') return COMPLETION_DEFAULT_MAX_TOKENS;
  return Math.max(1, Math.min(CHAT_DEFAULT_MAX_TOKENS, maxModelLen - promptTokens));
}
