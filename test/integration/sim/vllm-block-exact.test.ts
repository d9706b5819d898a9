// The prefix counters of one pod, checked block for block against the real Llama 3 token ids: a
// multi-turn conversation over real HTTP, /metrics read before and after each turn.
import { ZERO_LATENCY, type VllmPodHandle } from '../../../src/sim/contracts.ts';
import { startVllmPod } from '../../../src/sim/vllm/pod.ts';
import type { ChatMessage } from '../../../src/tokenize/chat-template.ts';
import { ChatEncoder, loadTokenizer } from '../../../src/tokenize/tokenizer.ts';

const B = 16;
const EOT = 128009;
const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  if (!line) throw new Error(`${name} missing from /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

let pod: VllmPodHandle;
let encoder: ChatEncoder;
/** Every token sequence the pod has cached: prompt + output minus the last sampled token. */
const cachedSequences: number[][] = [];

async function counters(): Promise<{ queries: number; hits: number }> {
  const text = await (await fetch(`${pod.url}/metrics`)).text();
  return {
    queries: metric(text, 'vllm:prefix_cache_queries_total'),
    hits: metric(text, 'vllm:prefix_cache_hits_total'),
  };
}

interface Turn {
  content: string;
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  deltaQueries: number;
  deltaHits: number;
}

async function sendTurn(messages: ChatMessage[], dateString: string, stream: boolean): Promise<Turn> {
  const before = await counters();
  const res = await fetch(`${pod.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      messages,
      max_tokens: 48,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      chat_template_kwargs: { date_string: dateString },
    }),
  });
  expect(res.status).toBe(200);
  let content = '';
  let finishReason = '';
  let usage: { prompt_tokens: number; completion_tokens: number };
  if (stream) {
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    for (const c of chunks) {
      const choice = c.choices[0];
      if (choice?.delta?.content) content += choice.delta.content;
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    }
    usage = chunks.at(-1).usage;
  } else {
    const body = await res.json();
    content = body.choices[0].message.content;
    finishReason = body.choices[0].finish_reason;
    usage = body.usage;
  }
  const after = await counters();
  return {
    content,
    finishReason,
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    deltaQueries: after.queries - before.queries,
    deltaHits: after.hits - before.hits,
  };
}

/** What vLLM must report for a prompt: the longest cached run of whole blocks, capped at N−1. */
function expectedHits(promptIds: readonly number[]): number {
  const reusable = Math.max(0, ...cachedSequences.map((s) => commonPrefix(promptIds, s)));
  return Math.floor(Math.min(reusable, promptIds.length - 1) / B) * B;
}

/** Sends a turn, checks N and the counter deltas against the hand computation, records what got cached. */
async function checkedTurn(
  messages: ChatMessage[],
  dateString: string,
  stream = false,
): Promise<Turn & { hits: number }> {
  const promptIds = encoder.encodeChat(messages, dateString);
  const hits = expectedHits(promptIds);
  const turn = await sendTurn(messages, dateString, stream);
  expect(turn.promptTokens).toBe(promptIds.length);
  expect(turn.deltaQueries).toBe(promptIds.length);
  expect(turn.deltaHits).toBe(hits);
  // The answer as the next turn's template will hold it; vLLM counts <|eot_id|> as a completion token.
  const output = [...encoder.encodeText(turn.content), ...(turn.finishReason === 'stop' ? [EOT] : [])];
  expect(output).toHaveLength(turn.completionTokens);
  cachedSequences.push([...promptIds, ...output].slice(0, -1));
  return { ...turn, hits };
}

beforeAll(async () => {
  const tokenizer = await loadTokenizer('llama3');
  encoder = new ChatEncoder(tokenizer);
  pod = await startVllmPod({
    name: 'decode-0',
    namespace: 'llm-d',
    model: MODEL,
    tokenizer,
    blockSizeTokens: B,
    numBlocks: 512,
    maxNumSeqs: 8,
    maxModelLen: 4096,
    latency: ZERO_LATENCY,
    enablePromptTokensDetails: false,
    seed: 42,
    host: '127.0.0.1',
  });
});

afterAll(() => pod.close());

describe('prefix-cache counters over a conversation (Llama 3 ids, 16-token blocks)', () => {
  const system = {
    role: 'system' as const,
    content:
      'You are a concise assistant for an infrastructure team. Answer in plain sentences, keep every reply short, ' +
      'and never repeat the question back to the user.',
  };
  const date = '26 Jul 2024';
  const history: ChatMessage[] = [system];

  it('hits the previous prompt and answer on every turn, whole blocks only', async () => {
    history.push({
      role: 'user',
      content: 'What does a prefix cache keep between two requests that share a system prompt?',
    });
    const t1 = await checkedTurn(history, date);
    expect(t1.hits).toBe(0);

    history.push({ role: 'assistant', content: t1.content });
    history.push({
      role: 'user',
      content: 'And what happens to those blocks when the pod restarts in the middle of a run?',
    });
    const t2 = await checkedTurn(history, date);
    // The whole first prompt and its answer come back as hits: more than the first prompt alone.
    expect(t2.hits).toBeGreaterThan(t1.promptTokens);

    history.push({ role: 'assistant', content: t2.content });
    history.push({ role: 'user', content: 'Summarise both answers in one line.' });
    const t3 = await checkedTurn(history, date, true);
    expect(t3.hits).toBeGreaterThan(t2.promptTokens);
    history.push({ role: 'assistant', content: t3.content });
  });

  it('never counts the last token of a fully cached prompt: N = 16k hits N − 16', async () => {
    // Pad the question until the prompt is a whole number of blocks, then send it twice.
    let question = 'Is the cache warm';
    let messages: ChatMessage[] = [system, { role: 'user', content: question }];
    while (encoder.encodeChat(messages, date).length % B !== 0) {
      question += ' now';
      messages = [system, { role: 'user', content: question }];
    }
    const n = encoder.encodeChat(messages, date).length;
    await checkedTurn(messages, date);
    const again = await checkedTurn(messages, date);
    expect(again.hits).toBe(n - B);
  });

  it('hits only the first block when the template date changes (a turn across midnight)', async () => {
    const messages: ChatMessage[] = [
      ...history,
      { role: 'user', content: 'One more question, after midnight.' },
    ];
    const next = await checkedTurn(messages, '27 Jul 2024');
    expect(next.hits).toBe(B);
  });
});
