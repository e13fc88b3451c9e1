// Worker-thread entry: runs one Swarm and answers the coordinator's sample/stop messages.
import { parentPort, workerData } from 'node:worker_threads';
import { Swarm } from './swarm.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-messages.js';

const port = parentPort;
if (port === null) throw new Error('loadtest/worker.js must run in a worker thread');

const init = workerData as WorkerInit;
const post = (message: FromWorker): void => port.postMessage(message);

try {
  const swarm = new Swarm(init);
  swarm.start();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'sample') {
      post(swarm.sample(message.seq, message.steady));
    } else if (message.type === 'stop') {
      swarm
        .stop(message.graceMs)
        .then((final) => {
          post(final);
          port.close();
        })
        .catch((error: unknown) => post({ type: 'error', worker: init.workerIndex, message: String(error) }));
    }
  });
} catch (error) {
  post({ type: 'error', worker: init.workerIndex, message: error instanceof Error ? error.message : String(error) });
  port.close();
}
