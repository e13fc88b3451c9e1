// --workers N: N uWS gateway threads serving one port. Each worker is a complete gateway (createServer
// in gateway mode) with its own listen socket on the same port, opened with SO_REUSEPORT (uSockets' default),
// so the kernel spreads new connections over the workers. With --nats every worker consumes the feed
// bus itself; without it this (main) thread runs the market core — the same one `npm run feed` runs —
// and fans its frames in to the workers over MessagePorts (nats/port-bus.ts). Either way every worker
// relays the same frames, epoch and seqs, so a client may reconnect to any worker and resume.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createServer as createNetServer } from 'node:net';
import { hostname } from 'node:os';
import type { ServerConfig } from './config.js';
import { StartupError, type StartupErrorCode } from './errors.js';
import type { Logger } from '@tickwire/core/log';
import { PortHub } from './nats/port-bus.js';
import { runFeed, type RunningFeed } from './nats/feed-process.js';
import { portAnswers } from './listen.js';

export interface WorkerData {
  config: ServerConfig;
  index: number;
  /** The in-process feed hub's port (absent with --nats). */
  port?: MessagePort;
}

export type WorkerMessage = { t: 'listening'; port: number } | { t: 'error'; code: StartupErrorCode | null; message: string } | { t: 'closed' };

export interface WorkerPool {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** How long a worker gets to close its clients before it is terminated. */
const WORKER_CLOSE_MS = 4000;

export async function startWorkers(config: ServerConfig, log: Logger): Promise<WorkerPool> {
  // Workers share the port on purpose; another process already serving on it must not join silently.
  if (config.port !== 0 && (await portAnswers(config.host, config.port))) {
    throw new StartupError('TW_LISTEN', `cannot listen on ${config.host}:${config.port}: another process is serving on that port`);
  }
  let hub: PortHub | null = null;
  let feed: RunningFeed | null = null;
  if (config.nats === null) {
    hub = new PortHub();
    feed = await runFeed(
      {
        nats: '',
        seed: config.seed,
        symbols: config.symbols,
        tickRate: config.tickRate,
        batchMs: config.batchMs,
        warmupSec: config.warmupSec,
        candleCapacity: config.candleCapacity,
        resumeTicks: config.resumeTicks,
        heartbeatMs: config.heartbeatMs,
        record: null,
        replay: null,
        speed: 1,
        logLevel: config.logLevel,
      },
      hub,
      log.child({ role: 'feed' }),
    );
  }
  const workers: Worker[] = [];
  const spawn = (index: number, port: number): Promise<number> => {
    const data: WorkerData = { config: { ...config, port, workers: 1 }, index };
    const transfer: MessagePort[] = [];
    if (hub !== null) {
      const channel = new MessageChannel();
      hub.attach(channel.port1);
      data.port = channel.port2;
      transfer.push(channel.port2);
    }
    const worker = new Worker(new URL('./worker-thread.js', import.meta.url), { workerData: data, transferList: transfer });
    workers.push(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.t === 'listening') resolve(m.port);
        else if (m.t === 'error') reject(m.code ? new StartupError(m.code, m.message) : new Error(m.message));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`worker ${index} exited with ${code} before listening`)));
    });
  };
  const stopAll = async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await feed?.close();
    await hub?.close();
  };
  // A worker binding port 0 gets a port the others cannot join (seen with uWS v20.30): pick one here,
  // and pick again should another process take it before the workers bind.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = config.port === 0 ? await freePort(config.host) : config.port;
    try {
      await Promise.all(Array.from({ length: config.workers }, (_, i) => spawn(i, port)));
      break;
    } catch (error) {
      await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
      const taken = error instanceof StartupError && error.code === 'TW_LISTEN';
      if (config.port !== 0 || !taken || attempt >= 3) {
        await stopAll();
        throw error;
      }
    }
  }
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let closing = false;
  for (const w of workers) {
    // A worker dying takes its listen socket out of the group (the kernel stops routing to it); say so.
    w.on('exit', (code) => {
      if (!closing) log.error({ threadId: w.threadId, code }, 'a worker exited; the port is served by the others');
    });
  }
  log.info(
    { port, host: config.host, url, workers: config.workers, feed: config.nats === null ? 'in-process' : 'nats', epoch: feed?.epoch, server: hostname() },
    'listening',
  );
  return {
    port,
    url,
    async close() {
      closing = true;
      await stopAll();
      log.info('closed');
    },
  };
}

/** A port free on `host` right now (the kernel's pick, released at once). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', (error) => reject(new StartupError('TW_LISTEN', `cannot listen on ${host}: ${error.message}`)));
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function stopWorker(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate(), WORKER_CLOSE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.on('message', (m: WorkerMessage) => {
      if (m.t === 'closed') void worker.terminate();
    });
    worker.postMessage({ t: 'close' });
  });
}
