// Entry of a load worker thread (see workers.ts): a LocalExecutor over this worker's partition,
// driven by the parent's messages. Like src/bin.ts it is a process-boundary module: the clock is Date.now.
import { parentPort, workerData } from 'node:worker_threads';
import { localExecutor } from './executor.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './workers.ts';

const port = parentPort;
if (!port) throw new Error('worker-main.ts runs only as a worker thread');
const send = (m: FromWorker): void => port.postMessage(m);

const setup = workerData as WorkerSetup;
const executor = await localExecutor(
  {
    ...setup,
    emit: (record, errorCode) => send({ t: 'record', record, ...(errorCode ? { errorCode } : {}) }),
  },
  { now: () => Date.now() },
);
port.on('message', (m: ToWorker) => {
  if (m.t === 'stage') {
    void executor.runStage(m.stage, m.spec).then(([partial]) => {
      if (partial) send({ t: 'done', stage: m.stage, partial });
    });
  } else if (m.t === 'stop') {
    executor.stop();
  } else {
    void executor.close().then(() => {
      send({ t: 'closed' });
      port.close();
    });
  }
});
send({ t: 'ready' });
