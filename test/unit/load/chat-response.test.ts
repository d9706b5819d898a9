import {
  applyStreamEvent,
  errorMessageOf,
  newStreamState,
  oneLine,
  parseCompletion,
  parseUsage,
} from '../../../src/load/chat-response.ts';

describe('chat responses', () => {
  it.each([
    [
      { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      { promptTokens: 10, completionTokens: 5 },
    ],
    [
      { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 8 } },
      { promptTokens: 10, completionTokens: 5, cachedTokens: 8 },
    ],
    [
      { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: null },
      { promptTokens: 10, completionTokens: 5 },
    ],
    [{ prompt_tokens: 10 }, null],
    [null, null],
  ])('reads usage %j as %j (cached tokens only when reported)', (raw, expected) => {
    expect(parseUsage(raw)).toEqual(expected);
  });

  it('times the first chunk with content, not the empty role chunk, and lets the last usage win', () => {
    const state = newStreamState();
    expect(applyStreamEvent(state, '{"choices":[{"delta":{"role":"assistant","content":""}}]}')).toBe(false);
    expect(applyStreamEvent(state, '{"choices":[{"delta":{"content":"Hel"}}]}')).toBe(true);
    expect(applyStreamEvent(state, '{"choices":[{"delta":{"content":"lo"}}]}')).toBe(false);
    applyStreamEvent(
      state,
      '{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2}}',
    );
    applyStreamEvent(
      state,
      '{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":0}}}',
    );
    applyStreamEvent(state, '[DONE]');
    expect(state).toEqual({
      content: 'Hello',
      sawContent: true,
      usage: { promptTokens: 9, completionTokens: 2, cachedTokens: 0 },
      done: true,
      error: null,
    });
  });

  it.each([
    ['{"error":{"message":"out of KV blocks","code":500}}', 'stream error: out of KV blocks'],
    ['{"object":"error","message":"bad request","code":400}', 'stream error: bad request'],
    ['not json', 'unreadable stream chunk: not json'],
  ])('turns the stream chunk %s into an error', (data, error) => {
    const state = newStreamState();
    applyStreamEvent(state, data);
    expect(state.error).toBe(error);
  });

  it.each([
    [{ error: { message: 'model not found' } }, 'model not found'],
    [{ object: 'error', message: 'too long' }, 'too long'],
    [{ detail: 'Not Found' }, 'Not Found'],
    [{ error: 'plain' }, 'plain'],
    [{ something: 1 }, undefined],
  ])('finds the message of error body %j', (body, message) => {
    expect(errorMessageOf(body)).toBe(message);
  });

  it('reads a non-streaming answer', () => {
    expect(
      parseCompletion({
        choices: [{ message: { role: 'assistant', content: 'Hi' } }],
        usage: { prompt_tokens: 3, completion_tokens: 1, prompt_tokens_details: null },
      }),
    ).toEqual({ content: 'Hi', usage: { promptTokens: 3, completionTokens: 1 } });
    expect(parseCompletion({ nope: true })).toEqual({ error: 'unexpected response: no choices' });
  });

  it('keeps errors on one short line', () => {
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('x'.repeat(300))).toHaveLength(200);
  });
});
