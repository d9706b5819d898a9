// Real clients through the gateway to real simulated vLLM pods: undici (streaming and not) and the
// official openai npm client v7 (streaming with include_usage, and not).
import OpenAI from 'openai';
import { Agent, request } from 'undici';
import type { VllmPodHandle } from '../../../src/sim/contracts.ts';
import { startGateway, type GatewayHandle } from '../../../src/sim/gateway/server.ts';
import { DATE, MODEL, SYSTEM_PROMPT, startPods, staticSource } from './gateway-helpers.ts';

let pods: VllmPodHandle[];
let gateway: GatewayHandle;
const client = new Agent();
const messages = [
  { role: 'system' as const, content: SYSTEM_PROMPT },
  { role: 'user' as const, content: 'What does a prefix cache keep, in one sentence?' },
];

beforeAll(async () => {
  pods = await startPods(2);
  gateway = await startGateway({ endpoints: staticSource(pods), policy: 'session-token', seed: 3 });
});

afterAll(async () => {
  await gateway.close();
  await client.close();
  await Promise.all(pods.map((p) => p.close()));
});

function podOf(token: unknown): string {
  return Buffer.from(String(token), 'base64').toString('utf8');
}

describe('clients through the gateway', () => {
  it('undici, non-streaming: an OpenAI chat completion with usage, and the session token of the pod', async () => {
    const res = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-local' },
      body: JSON.stringify({
        model: MODEL,
        messages,
        max_tokens: 24,
        chat_template_kwargs: { date_string: DATE },
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-went-into-resp-headers']).toBe('true');
    expect(pods.map((p) => `llm-d/${p.name}`)).toContain(podOf(res.headers['x-session-token']));
    const body = (await res.body.json()) as {
      object: string;
      choices: { message: { role: string; content: string } }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(body.usage.prompt_tokens).toBeGreaterThan(40);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(24);
  });

  it('undici, streaming: SSE chunks, then the usage chunk, then [DONE]', async () => {
    const res = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages,
        max_tokens: 24,
        stream: true,
        stream_options: { include_usage: true },
        chat_template_kwargs: { date_string: DATE },
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/event-stream/);
    const events = (await res.body.text())
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as { choices: unknown[]; usage?: { completion_tokens: number } });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('undici: /v1/completions and /v1/models pass through', async () => {
    const res = await request(`${gateway.url}/v1/completions`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'The cache', max_tokens: 8 }),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { object: string }).object).toBe('text_completion');
    const models = await request(`${gateway.url}/v1/models`, { dispatcher: client });
    expect(((await models.body.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([MODEL]);
  });

  it('openai v7, non-streaming, reading the response headers too', async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-local', maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: MODEL, messages, max_tokens: 16 })
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(data.usage!.prompt_tokens).toBeGreaterThan(40);
    expect(podOf(response.headers.get('x-session-token'))).toMatch(/^llm-d\/vllm-decode-\d$/);
  });

  it('openai v7, streaming with include_usage: content deltas and a final usage chunk', async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-local', maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
  });

  it("openai v7 sees the gateway's 503 as an APIError when no pod is Ready", async () => {
    const empty = await startGateway({ endpoints: { readyEndpoints: () => [] }, policy: 'round-robin' });
    try {
      const openai = new OpenAI({ baseURL: `${empty.url}/v1`, apiKey: 'sk-local', maxRetries: 0 });
      await expect(openai.chat.completions.create({ model: MODEL, messages })).rejects.toMatchObject({
        status: 503,
      });
    } finally {
      await empty.close();
    }
  });
});
