// What ramp-load spends per request on top of its HTTP client: the same runner, session pool, request
// body, answer parse and record file as a real run, with every answer handed back in-process (one
// event-loop turn later) instead of over HTTP. Next to undici alone's CPU per request, it shows where
// ramp-load's own cost goes. Run by the bench as
//   node bench/workload-cost.ts '<json WorkloadCostOptions>'
// prints `{"requests","cpuMsPerRequest"}` for the measured run (after a warm-up run in the same process).
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ChatOutcome, ChatTransport } from '../src/load/client.ts';
import { bodyWriter, type BenchShape } from './body.ts';

export interface WorkloadCostOptions {
  shape: BenchShape;
  concurrency: number;
  requests: number;
  /** the code under test: a module's file with `@` for its path under src/ (bench/code.ts) */
  modulePattern: string;
  /** where the records go (deleted after each run) */
  out: string;
}

const opts = JSON.parse(process.argv[2] ?? '') as WorkloadCostOptions;
const load = <T>(rel: string): Promise<T> =>
  import(pathToFileURL(opts.modulePattern.replace('@', rel)).href) as Promise<T>;

const { buildSessionPool } = await load<typeof import('../src/load/driver.ts')>('load/driver');
const { ChatClient } = await load<typeof import('../src/load/client.ts')>('load/client');
const { parseCompletion } = await load<typeof import('../src/load/chat-response.ts')>('load/chat-response');
const { runStage, stageWork } = await load<typeof import('../src/load/runner.ts')>('load/runner');
const { recordFileSink } = await load<typeof import('../src/load/sinks.ts')>('load/sinks');
const { parseStages } = await load<typeof import('../src/workload/stages.ts')>('workload/stages');
const { WHOLE } = await load<typeof import('../src/workload/plan.ts')>('workload/plan');
const { templateDate } =
  await load<typeof import('../src/tokenize/chat-template.ts')>('tokenize/chat-template');
const { chatCompletionJson, usageJson } =
  await load<typeof import('../src/sim/vllm/responses.ts')>('sim/vllm/responses');

// The answer a pod gives at the bench's shape (about 12 of the 16 max tokens), as bytes off the socket.
const ANSWER = 'Most of the time the answer is short, a sentence or two about the question.';
const RESPONSE = Buffer.from(
  chatCompletionJson(
    { id: 'chatcmpl-0123456789abcdef0123456789abcdef', created: 1767225600, model: opts.shape.model },
    ANSWER,
    'stop',
    usageJson({ promptTokens: 125, completionTokens: 14, cachedTokens: 64 }, false, false),
  ),
);

async function runOnce(requests: number): Promise<number> {
  const pool = await buildSessionPool({ shape: opts.shape, tokenizer: 'approx', part: WHOLE });
  const client = bodyWriter(ChatClient, opts.shape, false);
  let bodyBytes = 0;
  const transport: ChatTransport = {
    send(turn) {
      const t0 = performance.now();
      bodyBytes += client.body(turn).length;
      return new Promise<ChatOutcome>((resolve) =>
        setImmediate(() => {
          const answer = parseCompletion(JSON.parse(RESPONSE.toString('utf8')));
          if ('error' in answer) throw new Error(answer.error);
          resolve({
            status: 200,
            ttftMs: null,
            e2eMs: performance.now() - t0,
            content: answer.content,
            usage: answer.usage,
            clampedDurations: 0,
          });
        }),
      );
    },
    close: () => client.close(),
  };
  const records = recordFileSink(opts.out);
  const spec = parseStages(`${opts.concurrency}x${requests}`)[0];
  if (!spec) throw new Error('no stage');
  const date = templateDate(Date.now());
  const cpu0 = process.cpuUsage();
  const partial = await runStage(
    {
      runId: 'kvb-bench-workload',
      phase: 'measure',
      pool,
      transport,
      dateString: () => date,
      now: () => Date.now(),
      emit: (record) => records.record(record),
      stop: new AbortController().signal,
    },
    1,
    stageWork(spec, WHOLE),
  );
  records.close?.();
  const cpu = process.cpuUsage(cpu0);
  await transport.close();
  rmSync(opts.out, { force: true });
  if (partial.completed !== requests || bodyBytes === 0)
    throw new Error(`ran ${partial.completed} of ${requests} requests`);
  return (cpu.user + cpu.system) / 1000;
}

// A warm-up run first, so the measured one runs optimised code as a long ramp-load does.
await runOnce(Math.min(opts.requests, 20_000));
const cpuMs = await runOnce(opts.requests);
process.stdout.write(
  `${JSON.stringify({ requests: opts.requests, cpuMsPerRequest: cpuMs / opts.requests })}\n`,
);
