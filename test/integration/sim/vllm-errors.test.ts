// Bad input never takes a pod down: each gets vLLM's status and error shape, and a normal request
// right after it succeeds.
import { ZERO_LATENCY, type VllmPodHandle } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { approxTokenizer } from '../../../src/tokenize/tokenizer.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
let pod: VllmPodHandle;

beforeAll(async () => {
  pod = await startVllmPod({
    name: 'decode-0',
    namespace: 'llm-d',
    model: MODEL,
    tokenizer: approxTokenizer(),
    blockSizeTokens: 16,
    numBlocks: 64,
    maxNumSeqs: 4,
    maxModelLen: 512,
    latency: ZERO_LATENCY,
    enablePromptTokensDetails: false,
    seed: 1,
    host: '127.0.0.1',
  });
});

afterAll(() => pod.close());

function post(path: string, body: string): Promise<Response> {
  return fetch(`${pod.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

async function expectServing(): Promise<void> {
  const res = await post(
    '/v1/chat/completions',
    JSON.stringify({ messages: [{ role: 'user', content: 'still there?' }], max_tokens: 8 }),
  );
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.choices[0].message.content.length).toBeGreaterThan(0);
}

describe('OpenAI-shaped errors', () => {
  it.each([
    ['malformed JSON', '/v1/chat/completions', '{"messages": [', 400, 'BadRequestError', 'JSON decode error'],
    [
      'an unknown model',
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
      404,
      'NotFoundError',
      'The model `gpt-4` does not exist.',
    ],
    [
      'missing messages',
      '/v1/chat/completions',
      JSON.stringify({ model: MODEL }),
      400,
      'BadRequestError',
      'Field required',
    ],
    [
      'a prompt longer than max_model_len',
      '/v1/chat/completions',
      JSON.stringify({ messages: [{ role: 'user', content: 'word '.repeat(800) }] }),
      400,
      'BadRequestError',
      "This model's maximum context length is 512 tokens. However, you requested",
    ],
    [
      'a completion prompt plus max_tokens over max_model_len',
      '/v1/completions',
      JSON.stringify({ prompt: 'x'.repeat(1600), max_tokens: 200 }),
      400,
      'BadRequestError',
      'in the completion). Please reduce the length of the messages or completion.',
    ],
  ])(
    'answers %s with its status and an OpenAI-shaped error',
    async (_what, path, body, status, type, message) => {
      const res = await post(path, body);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json');
      const json = await res.json();
      expect(json).toEqual({
        error: { message: expect.stringContaining(message), type, param: null, code: status },
      });
      await expectServing();
    },
  );

  it('answers a 20 MB body 413 without keeping it, and keeps serving', async () => {
    const huge = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(20 * 1024 * 1024) }] });
    const res = await post('/v1/chat/completions', huge);
    expect(res.status).toBe(413);
    const json = await res.json();
    expect(json.error).toMatchObject({ code: 413, message: 'request body exceeds 16777216 bytes' });
    await expectServing();
  });

  it.each([
    ['GET', '/v1/nothing', 404, { detail: 'Not Found' }],
    ['POST', '/v2/chat/completions', 404, { detail: 'Not Found' }],
    ['GET', '/v1/chat/completions', 405, { detail: 'Method Not Allowed' }],
  ])('answers %s %s with FastAPI’s %i', async (method, path, status, body) => {
    const res = await fetch(`${pod.url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
    await expectServing();
  });
});
