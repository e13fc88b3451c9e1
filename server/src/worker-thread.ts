// Entry of one --workers gateway thread (started by workers.ts): a complete gateway on the shared port,
// fed by NATS or by the main thread's in-process hub. Reports listening/closed to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { StartupError } from './errors.js';
import { createLogger } from '@tickwire/core/log';
import { PortBus } from './nats/port-bus.js';
import { createServer } from './server.js';
import type { WorkerData, WorkerMessage } from './workers.js';

const { config, index, port } = workerData as WorkerData;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const log = createLogger(config.logLevel).child({ worker: index });
const bus = port === undefined ? undefined : new PortBus(port);

try {
  const server = await createServer(config, { logger: log, worker: index, ...(bus !== undefined ? { bus } : {}) });
  parentPort!.on('message', (m: { t: string }) => {
    if (m.t !== 'close') return;
    void server
      .close()
      .then(() => bus?.close())
      .finally(() => post({ t: 'closed' }));
  });
  post({ t: 'listening', port: server.port });
} catch (error) {
  post({ t: 'error', code: error instanceof StartupError ? error.code : null, message: (error as Error).message });
  // Ends this thread only (not the process), once the message is on its way; a half-started server
  // (e.g. a NATS connection) must not keep it alive.
  setTimeout(() => process.exit(1), 100);
}
