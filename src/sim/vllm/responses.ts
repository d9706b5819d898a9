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

export function chatCompletionJson(
  m: ResponseMeta,
  text: string,
  finishReason: string,
  usage: Record<string, unknown>,
): string {
  return JSON.stringify({
    id: m.id,
    object: 'chat.completion',
    created: m.created,
    model: m.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', reasoning_content: null, content: text, tool_calls: [] },
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
      },
    ],
    usage,
    prompt_logprobs: null,
    kv_transfer_params: null,
  });
}

export function completionJson(
  m: ResponseMeta,
  text: string,
  finishReason: string,
  usage: Record<string, unknown>,
): string {
  return JSON.stringify({
    id: m.id,
    object: 'text_completion',
    created: m.created,
    model: m.model,
    choices: [
      {
        index: 0,
        text,
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
        prompt_logprobs: null,
      },
    ],
    usage,
    kv_transfer_params: null,
  });
}

/** One SSE event. Chunks serialise with exclude_unset, so unset keys are absent rather than null. */
export function chatChunk(m: ResponseMeta, delta: Record<string, unknown>, finishReason?: string): string {
  const choice: Record<string, unknown> = {
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason ?? null,
  };
  if (finishReason) choice.stop_reason = null;
  const chunk = {
    id: m.id,
    object: 'chat.completion.chunk',
    created: m.created,
    model: m.model,
    choices: [choice],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function completionChunk(m: ResponseMeta, text: string, finishReason?: string): string {
  const choice = { index: 0, text, logprobs: null, finish_reason: finishReason ?? null, stop_reason: null };
  const chunk = {
    id: m.id,
    object: 'text_completion',
    created: m.created,
    model: m.model,
    choices: [choice],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The `stream_options.include_usage` chunk: `choices: []`, right before `[DONE]`. */
export function usageChunk(m: ResponseMeta, object: string, usage: Record<string, unknown>): string {
  return `data: ${JSON.stringify({ id: m.id, object, created: m.created, model: m.model, choices: [], usage })}\n\n`;
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
