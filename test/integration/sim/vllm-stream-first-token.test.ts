// A streamed answer's first content leaves with the first token, as vLLM's incremental detokenizer
// sends it, even when the first word spans several tokens: a client's TTFT then equals the pod's.
import type { VllmPodHandle } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import { approxTokenizer } from '../../../src/tokenize/tokenizer.ts';

const PREFILL_MS = 30;
const INTER_TOKEN_MS = 500;
let pod: VllmPodHandle;

beforeAll(async () => {
  pod = await startVllmPod({
    name: 'decode-0',
    namespace: 'llm-d',
    model: 'm',
    tokenizer: approxTokenizer(),
    blockSizeTokens: 16,
    numBlocks: 256,
    maxNumSeqs: 64,
    maxModelLen: 2048,
    latency: { prefillOverheadMs: PREFILL_MS, prefillPerTokenMs: 0, interTokenMs: INTER_TOKEN_MS },
    enablePromptTokensDetails: false,
    seed: 1,
    host: '127.0.0.1',
  });
});
afterAll(() => pod.close());

function chat(content: string, stream: boolean): Promise<Response> {
  return fetch(`${pod.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }], max_tokens: 3, stream }),
  });
}

it('streams the first word at the first token although the word spans several tokens', async () => {
  // With ~4.2 characters per token, a first word of 5+ characters is 2+ tokens.
  const answers = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const body = (await (await chat(`question ${i}`, false)).json()) as {
        choices: { message: { content: string } }[];
      };
      return { prompt: `question ${i}`, answer: body.choices[0]?.message.content ?? '' };
    }),
  );
  const pick = answers.find((a) => (a.answer.split(' ')[0] ?? '').replace(/\W/g, '').length >= 5);
  const prompt = pick?.prompt;
  const answer = pick?.answer;
  expect(prompt).toBeDefined();

  const t0 = performance.now();
  const res = await chat(prompt as string, true);
  const decoder = new TextDecoder();
  let text = '';
  let firstContentMs: number | undefined;
  let content = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    const events = text.split('\n\n');
    text = events.pop() ?? '';
    for (const e of events) {
      const data = e.replace(/^data: /, '');
      if (data === '[DONE]') continue;
      const delta = (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta;
      if (delta?.content) {
        firstContentMs ??= performance.now() - t0;
        content += delta.content;
      }
    }
  }
  expect(content).toBe(answer);
  // Before the second token (prefill + one inter-token gap), with room for a busy machine.
  expect(firstContentMs).toBeLessThan(PREFILL_MS + INTER_TOKEN_MS * 0.8);
});
