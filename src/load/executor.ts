// Who runs a stage's requests: the main thread (LocalExecutor), or worker threads (workers.ts). Both
// take a stage spec, run their partitions' shares of it and hand back one StagePartial per partition;
// records reach the parent's `emit` as each request finishes.
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import type { RequestRecord } from '../types.ts';
import { shareOf, type Partition } from '../workload/plan.ts';
import type { SessionState } from '../workload/sessions.ts';
import type { StageSpec } from '../workload/stages.ts';
import { buildSessionPool, dateSource, newChatClient } from './driver.ts';
import type { LoadOptions } from './options.ts';
import { runStage, stageWork, type StagePartial } from './runner.ts';

export type Emit = (record: RequestRecord, errorCode: string | undefined) => void;

export interface StageExecutor {
  runStage(stage: number, spec: StageSpec): Promise<StagePartial[]>;
  /** Ends the current stage now: in-flight requests are cut short and not recorded. */
  stop(): void;
  close(): Promise<void>;
}

export interface ExecutorSetup {
  opts: LoadOptions;
  part: Partition;
  runId: string;
  shard?: string;
  /** The pinned template date, or null for today's date per request. */
  pinnedDate: string | null;
  carried?: { sessions: readonly SessionState[]; dateString: string };
  /** Largest closed-loop concurrency among the stages (sizes the connection pool). */
  maxConcurrency: number;
  emit: Emit;
}

export function maxConcurrencyOf(stages: readonly StageSpec[]): number {
  return Math.max(0, ...stages.map((s) => (s.kind === 'closed' ? s.concurrency : 0)));
}

export async function localExecutor(setup: ExecutorSetup, io: Pick<Io, 'now'>): Promise<StageExecutor> {
  const { opts, part } = setup;
  const pool = await buildSessionPool({
    shape: opts.shape,
    tokenizer: opts.tokenizer,
    part,
    ...(setup.carried ? { carried: setup.carried } : {}),
  });
  if (pool.size === 0) {
    throw new UsageError(
      `partition ${part.index}/${part.of} has none of the ${opts.shape.sessions} sessions (fewer shards × workers)`,
    );
  }
  // An open loop never has more requests in flight than sessions; a closed one than its slots.
  const client = newChatClient(opts, Math.max(pool.size, shareOf(part, setup.maxConcurrency)));
  const stopper = new AbortController();
  const dateString = dateSource(setup.pinnedDate, () => io.now());
  return {
    async runStage(stage, spec) {
      const partial = await runStage(
        {
          runId: setup.runId,
          ...(setup.shard !== undefined ? { shard: setup.shard } : {}),
          phase: 'measure',
          pool,
          transport: client,
          dateString,
          now: () => io.now(),
          emit: (record, outcome) => setup.emit(record, outcome.errorCode),
          stop: stopper.signal,
        },
        stage,
        stageWork(spec, part),
      );
      return [partial];
    },
    stop: () => stopper.abort(),
    close: () => client.close(),
  };
}
