// --workers N: the partition's sessions split over N worker threads (worker w takes index ≡ i + K·w mod
// K·W, see plan.ts), so tokenizing and SSE parsing use more than one core. Each worker runs a
// LocalExecutor on its share; records come back to the parent as messages and go through the parent's
// sinks, so `--out` and the stage marks stay single files. Stages start in all workers on one message
// (skew: well under a millisecond on loopback messaging).
import { Worker } from 'node:worker_threads';
import { subPartition } from '../workload/plan.ts';
import type { StageSpec } from '../workload/stages.ts';
import type { ExecutorSetup, StageExecutor } from './executor.ts';
import type { StagePartial } from './runner.ts';
import type { RequestRecord } from '../types.ts';

export type ToWorker = { t: 'stage'; stage: number; spec: StageSpec } | { t: 'stop' } | { t: 'close' };
export type FromWorker =
  | { t: 'ready' }
  | { t: 'record'; record: RequestRecord; errorCode?: string }
  | { t: 'done'; stage: number; partial: StagePartial }
  | { t: 'closed' };

/** What a worker gets: the setup without the emit callback (records travel as messages). */
export type WorkerSetup = Omit<ExecutorSetup, 'emit'>;

// Built output is .js next to .js; from source (node's type stripping, jest) it is .ts next to .ts.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './worker-main.ts' : './worker-main.js',
  import.meta.url,
);

interface Handle {
  worker: Worker;
  next(kind: FromWorker['t']): Promise<FromWorker>;
}

function spawn(data: WorkerSetup, setup: ExecutorSetup): Handle {
  const worker = new Worker(WORKER_URL, { workerData: data });
  const waiting = new Map<string, (m: FromWorker) => void>();
  let failure: Error | undefined;
  const failAll = (err: Error): void => {
    failure = err;
    for (const resolve of waiting.values()) resolve({ t: 'closed' });
    waiting.clear();
  };
  worker.on('message', (m: FromWorker) => {
    if (m.t === 'record') {
      setup.emit(m.record, m.errorCode);
      return;
    }
    const resolve = waiting.get(m.t);
    waiting.delete(m.t);
    resolve?.(m);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`load worker exited with code ${code}`)));
  return {
    worker,
    next: (kind) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        waiting.set(kind, (m) =>
          failure && m.t === 'closed' && kind !== 'closed' ? reject(failure) : resolve(m),
        );
      }),
  };
}

export async function workerExecutor(setup: ExecutorSetup, workers: number): Promise<StageExecutor> {
  const { emit: _emit, ...shared } = setup;
  const handles = Array.from({ length: workers }, (_, w) =>
    spawn({ ...shared, part: subPartition(setup.part, w, workers) }, setup),
  );
  await Promise.all(handles.map((h) => h.next('ready')));
  const post = (m: ToWorker): void => {
    for (const h of handles) h.worker.postMessage(m);
  };
  return {
    async runStage(stage, spec) {
      const done = handles.map((h) => h.next('done'));
      post({ t: 'stage', stage, spec });
      const replies = await Promise.all(done);
      return replies.map((m) => (m as Extract<FromWorker, { t: 'done' }>).partial);
    },
    stop: () => post({ t: 'stop' }),
    async close() {
      const closed = handles.map((h) => h.next('closed').catch(() => undefined));
      post({ t: 'close' });
      await Promise.all(closed);
      await Promise.all(handles.map((h) => h.worker.terminate()));
    },
  };
}
