// The one request body autocannon and wrk send: built by ramp-load's own code (session pool + chat
// client) for the bench's workload shape, so the fixed-body tools and ramp-load send the same JSON.
import type { ChatClient } from '../src/load/client.ts';
import type { WorkloadShape } from '../src/workload/sessions.ts';
import { code, importFrom } from './code.ts';

export interface BenchShape extends WorkloadShape {
  maxTokens: number;
  model: string;
}

/** The first request of session 0, as ramp-load --no-stream would send it (pinned date). */
export async function firstRequestBody(shape: BenchShape, stream: boolean, epochMs: number): Promise<string> {
  const { buildSessionPool } = await importFrom<typeof import('../src/load/driver.ts')>(
    code().module('load/driver'),
  );
  const { ChatClient } = await importFrom<typeof import('../src/load/client.ts')>(
    code().module('load/client'),
  );
  const { templateDate } = await importFrom<typeof import('../src/tokenize/chat-template.ts')>(
    code().module('tokenize/chat-template'),
  );
  const { WHOLE } = await importFrom<typeof import('../src/workload/plan.ts')>(
    code().module('workload/plan'),
  );
  const pool = await buildSessionPool({ shape, tokenizer: 'approx', part: WHOLE });
  const state = pool.acquire();
  if (!state) throw new Error('the bench shape has no session');
  const turn = pool.prepare(state, templateDate(epochMs));
  const client = bodyWriter(ChatClient, shape, stream);
  const body = client.body(turn);
  await client.close();
  return body;
}

/**
 * A ChatClient used only for body(): the JSON ramp-load sends for a turn, with the date pinned. Its
 * pool points nowhere and no request goes out. `Client` is the code under test's class (bench/code.ts).
 */
export function bodyWriter(Client: typeof ChatClient, shape: BenchShape, stream: boolean): ChatClient {
  return new Client({
    gatewayUrl: 'http://127.0.0.1:1',
    model: shape.model,
    maxTokens: shape.maxTokens,
    stream,
    pinDate: true,
    requestTimeoutMs: 30_000,
    connections: 1,
  });
}

/** ramp-load's workload flags for a shape; `approx` tokenizes as the pods do, `llama3` as users run it. */
export function shapeFlags(shape: BenchShape, tokenizer: 'approx' | 'llama3' = 'approx'): string[] {
  return [
    '--model',
    shape.model,
    '--seed',
    String(shape.seed),
    '--sessions',
    String(shape.sessions),
    '--turns',
    String(shape.turns),
    '--system-prompt-tokens',
    String(shape.systemPromptTokens),
    '--user-tokens',
    String(shape.userTokens),
    '--max-tokens',
    String(shape.maxTokens),
    '--tokenizer',
    tokenizer,
  ];
}
