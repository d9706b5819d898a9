// Response bodies and SSE chunks as vLLM 0.10.x writes them (vllm/entrypoints/openai/protocol.py,
// serving_chat.py, serving_completion.py, api_server.py show_available_models). Pure: values in, text out.

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/**
 * UsageInfo. `prompt_tokens_details` only with --enable-prompt-tokens-details and cached tokens > 0
 * (serving_chat.py: `if self.enable_prompt_tokens_details and num_cached_tokens`); otherwise null in
 * full responses and absent from the streamed usage chunk (research note §8).
 */
export function usageJson(u: Usage, enableDetails: boolean, streaming: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    prompt_tokens: u.promptTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    completion_tokens: u.completionTokens,
  };
  if (enableDetails && u.cachedTokens > 0) out.prompt_tokens_details = { cached_tokens: u.cachedTokens };
  else if (!streaming) out.prompt_tokens_details = null;
  return out;
}

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

// The bodies below are written as text around JSON.stringify'd values: a pod builds one per request or
// streamed chunk, and stringifying the whole nested objects took ~5 % of its CPU (bench/, issue #8).
// Key order is vLLM's (pydantic field order).
const json = JSON.stringify;

/** `{"id":…,"object":…,"created":…,"model":…` — the head every body and chunk starts with. */
function head(m: ResponseMeta, object: string): string {
  return `{"id":${json(m.id)},"object":"${object}","created":${m.created},"model":${json(m.model)}`;
}

export function chatCompletionJson(
  m: ResponseMeta,
  text: string,
  finishReason: string,
  usage: Record<string, unknown>,
): string {
  return (
    `${head(m, 'chat.completion')},"choices":[{"index":0,` +
    `"message":{"role":"assistant","reasoning_content":null,"content":${json(text)},"tool_calls":[]},` +
    `"logprobs":null,"finish_reason":${json(finishReason)},"stop_reason":null}],` +
    `"usage":${json(usage)},"prompt_logprobs":null,"kv_transfer_params":null}`
  );
}

export function completionJson(
  m: ResponseMeta,
  text: string,
  finishReason: string,
  usage: Record<string, unknown>,
): string {
  return (
    `${head(m, 'text_completion')},"choices":[{"index":0,"text":${json(text)},"logprobs":null,` +
    `"finish_reason":${json(finishReason)},"stop_reason":null,"prompt_logprobs":null}],` +
    `"usage":${json(usage)},"kv_transfer_params":null}`
  );
}

/** One SSE event. Chunks serialise with exclude_unset, so unset keys are absent rather than null. */
export function chatChunk(m: ResponseMeta, delta: Record<string, unknown>, finishReason?: string): string {
  const finish = json(finishReason ?? null) + (finishReason ? ',"stop_reason":null' : '');
  return (
    `data: ${head(m, 'chat.completion.chunk')},"choices":[{"index":0,"delta":${json(delta)},` +
    `"logprobs":null,"finish_reason":${finish}}]}\n\n`
  );
}

export function completionChunk(m: ResponseMeta, text: string, finishReason?: string): string {
  return (
    `data: ${head(m, 'text_completion')},"choices":[{"index":0,"text":${json(text)},"logprobs":null,` +
    `"finish_reason":${json(finishReason ?? null)},"stop_reason":null}]}\n\n`
  );
}

/** The `stream_options.include_usage` chunk: `choices: []`, right before `[DONE]`. */
export function usageChunk(m: ResponseMeta, object: string, usage: Record<string, unknown>): string {
  return `data: ${head(m, object)},"choices":[],"usage":${json(usage)}}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';

export function modelsJson(
  model: string,
  maxModelLen: number,
  created: number,
  permissionId: string,
): string {
  return JSON.stringify({
    object: 'list',
    data: [
      {
        id: model,
        object: 'model',
        created,
        owned_by: 'vllm',
        root: model,
        parent: null,
        max_model_len: maxModelLen,
        permission: [
          {
            id: permissionId,
            object: 'model_permission',
            created,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: '*',
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  });
}
