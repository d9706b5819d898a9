// The official `openai` client (v7) against a pod, streaming and not, chat and completions.
import OpenAI from 'openai';
import { ZERO_LATENCY, type VllmPodHandle } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { loadTokenizer } from '../../../src/tokenize/tokenizer.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
const pods: VllmPodHandle[] = [];

async function pod(enablePromptTokensDetails: boolean): Promise<OpenAI> {
  const p = await startVllmPod({
    name: `decode-${pods.length}`,
    namespace: 'llm-d',
    model: MODEL,
    tokenizer: await loadTokenizer('llama3'),
    blockSizeTokens: 16,
    numBlocks: 256,
    maxNumSeqs: 4,
    maxModelLen: 2048,
    latency: ZERO_LATENCY,
    enablePromptTokensDetails,
    seed: 5,
    host: '127.0.0.1',
  });
  pods.push(p);
  return new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'x', maxRetries: 0 });
}

afterAll(() => Promise.all(pods.map((p) => p.close())));

const messages = [
  {
    role: 'system' as const,
    content: 'You answer questions about caches in short sentences, one idea per sentence.',
  },
  { role: 'user' as const, content: 'Why does a repeated system prompt get cheaper to process?' },
];
const pinned = { chat_template_kwargs: { date_string: '26 Jul 2024' } };

describe('openai client against a pod', () => {
  it('lists the served model with its context length', async () => {
    const client = await pod(false);
    const models = await client.models.list();
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({
      id: MODEL,
      object: 'model',
      owned_by: 'vllm',
      max_model_len: 2048,
    });
  });

  it('creates a chat completion; without the details flag prompt_tokens_details is null', async () => {
    const client = await pod(false);
    const body = { model: MODEL, messages, max_tokens: 30, ...pinned };
    const first = await client.chat.completions.create(body);
    const second = await client.chat.completions.create(body);
    expect(second.choices[0]?.message.content).toBe(first.choices[0]?.message.content);
    expect(['stop', 'length']).toContain(second.choices[0]?.finish_reason);
    expect(second.usage?.completion_tokens).toBeGreaterThanOrEqual(15);
    expect(second.usage?.total_tokens).toBe(
      (second.usage?.prompt_tokens ?? 0) + (second.usage?.completion_tokens ?? 0),
    );
    expect(second.usage?.prompt_tokens_details).toBeNull();
  });

  it('streams a chat completion with a final usage chunk carrying cached_tokens when enabled', async () => {
    const client = await pod(true);
    const body = { model: MODEL, messages, max_tokens: 30, ...pinned };
    const plain = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let role: string | undefined;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let lastChoices = -1;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      role ??= chunk.choices[0]?.delta.role;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
      lastChoices = chunk.choices.length;
    }
    expect(role).toBe('assistant');
    expect(text).toBe(plain.choices[0]?.message.content);
    expect(finish).toBe(plain.choices[0]?.finish_reason);
    expect(lastChoices).toBe(0);
    const n = plain.usage?.prompt_tokens ?? 0;
    expect(usage?.prompt_tokens).toBe(n);
    expect(usage?.prompt_tokens_details?.cached_tokens).toBe(Math.floor((n - 1) / 16) * 16);
    // The first request of a fresh pod had nothing cached: no details at all, as vLLM.
    expect(plain.usage?.prompt_tokens_details).toBeNull();
  });

  it('serves legacy completions, streaming and not, 16 tokens by default', async () => {
    const client = await pod(false);
    const done = await client.completions.create({ model: MODEL, prompt: 'The cache holds' });
    expect(done.object).toBe('text_completion');
    expect(done.usage?.completion_tokens).toBeLessThanOrEqual(16);
    expect(done.usage?.completion_tokens).toBeGreaterThanOrEqual(8);
    const stream = await client.completions.create({ model: MODEL, prompt: 'The cache holds', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(done.choices[0]?.text);
  });

  it('surfaces vLLM errors as the client’s typed errors', async () => {
    const client = await pod(false);
    await expect(client.chat.completions.create({ model: 'nope', messages })).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('The model `nope` does not exist.'),
    });
  });
});
