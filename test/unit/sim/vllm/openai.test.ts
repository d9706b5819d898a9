import {
  checkContextLength,
  checkModel,
  effectiveMaxTokens,
  errorBody,
  parseChatRequest,
  parseCompletionRequest,
  parseJsonBody,
} from '../../../../src/sim/vllm/openai.ts';
import { usageJson } from '../../../../src/sim/vllm/responses.ts';

describe('request validation', () => {
  it.each([
    ['{"messages": [', 400, 'json_invalid'],
    ['[1, 2]', 400, 'valid dictionary'],
  ])('rejects the body %p with %i', (text, status, fragment) => {
    const r = parseJsonBody(text);
    expect(r).toMatchObject({ status, type: 'BadRequestError' });
    expect((r as { message: string }).message).toContain(fragment);
  });

  it.each([
    [{}, 'Field required'],
    [{ messages: 'hi' }, 'valid list'],
    [{ messages: [{ role: 'robot', content: 'x' }] }, 'role must be one of'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, 'only text content'],
    [{ messages: [], max_tokens: 0 }, 'max_tokens must be at least 1, got 0.'],
    [{ messages: [], max_tokens: 1.5 }, 'valid integer'],
    [{ messages: [], n: 2 }, 'n must be 1'],
    [
      { messages: [], stream_options: { include_usage: true } },
      'Stream options can only be defined when `stream=True`.',
    ],
  ])('answers 400 to the chat body %j', (body, fragment) => {
    const r = parseChatRequest(body as Record<string, unknown>);
    expect(r).toMatchObject({ status: 400, type: 'BadRequestError' });
    expect((r as { message: string }).message).toContain(fragment);
  });

  it('reads messages, text parts, the template date and the usage option', () => {
    const r = parseChatRequest({
      messages: [
        { role: 'system', content: 'S' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'assistant', content: null },
      ],
      max_tokens: 7,
      max_completion_tokens: 9,
      stream: true,
      stream_options: { include_usage: true },
      chat_template_kwargs: { date_string: '01 Jan 2025' },
      temperature: 0.7,
    });
    expect(r).toEqual({
      kind: 'chat',
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'a\nb' },
        { role: 'assistant', content: '' },
      ],
      dateString: '01 Jan 2025',
      maxTokens: 9,
      stream: true,
      includeUsage: true,
    });
  });

  it.each([
    [{ prompt: 'hi' }, 'hi'],
    [{ prompt: ['hi'] }, 'hi'],
    [{ prompt: [1, 2, 3] }, [1, 2, 3]],
  ])('accepts the completion prompt %j', (body, prompt) => {
    expect(parseCompletionRequest(body)).toMatchObject({ kind: 'completion', prompt });
  });

  it.each([[{}], [{ prompt: ['a', 'b'] }], [{ prompt: [] }], [{ prompt: 5 }]])(
    'rejects the completion body %j',
    (body) => {
      expect(parseCompletionRequest(body as Record<string, unknown>)).toMatchObject({ status: 400 });
    },
  );

  it.each([
    [undefined, undefined],
    ['m', undefined],
    ['other', 404],
  ])('model %p → %p', (model, status) => {
    const r = checkModel(model === undefined ? {} : { model }, 'm');
    expect(r?.status).toBe(status);
    if (status) expect(r?.message).toBe('The model `other` does not exist.');
  });
});

describe('context length (serving_engine._validate_input)', () => {
  it.each([
    [100, 28, 128, undefined],
    [
      100,
      29,
      128,
      "This model's maximum context length is 128 tokens. However, you requested 129 tokens (100 in the messages, 29 in the completion). Please reduce the length of the messages or completion.",
    ],
    [127, undefined, 128, undefined],
    [
      128,
      undefined,
      128,
      "This model's maximum context length is 128 tokens. However, you requested 128 tokens in the messages, Please reduce the length of the messages.",
    ],
  ])('prompt %i + max_tokens %p against %i', (n, max, len, message) => {
    expect(checkContextLength(n, max, len)?.message).toBe(message);
  });

  it('defaults max_tokens to 16 for completions and to min(256, rest of context) for chat', () => {
    const base = { stream: false, includeUsage: false, maxTokens: undefined };
    expect(effectiveMaxTokens({ ...base, kind: 'completion', prompt: 'x' }, 10, 4096)).toBe(16);
    expect(effectiveMaxTokens({ ...base, kind: 'chat', messages: [], dateString: undefined }, 10, 4096)).toBe(
      256,
    );
    expect(
      effectiveMaxTokens({ ...base, kind: 'chat', messages: [], dateString: undefined }, 4000, 4096),
    ).toBe(96);
  });
});

describe('usage and errors', () => {
  const u = { promptTokens: 40, completionTokens: 10, cachedTokens: 32 };
  it.each([
    [true, false, { cached_tokens: 32 }],
    [false, false, null],
    [true, true, { cached_tokens: 32 }],
  ])('details enabled=%p streaming=%p → prompt_tokens_details %j', (enabled, streaming, details) => {
    expect(usageJson(u, enabled, streaming)).toEqual({
      prompt_tokens: 40,
      total_tokens: 50,
      completion_tokens: 10,
      prompt_tokens_details: details,
    });
  });

  it('leaves prompt_tokens_details out of a streamed usage chunk when disabled or nothing was cached', () => {
    expect(usageJson(u, false, true)).not.toHaveProperty('prompt_tokens_details');
    expect(usageJson({ ...u, cachedTokens: 0 }, true, true)).not.toHaveProperty('prompt_tokens_details');
    expect(usageJson({ ...u, cachedTokens: 0 }, true, false).prompt_tokens_details).toBeNull();
  });

  it('nests errors like OpenAI with the HTTP status as code', () => {
    expect(JSON.parse(errorBody({ status: 404, type: 'NotFoundError', message: 'x' }))).toEqual({
      error: { message: 'x', type: 'NotFoundError', param: null, code: 404 },
    });
  });
});
