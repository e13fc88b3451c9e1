// The feed bus as the feed and the gateways see it: publish, subscribe, request/reply and connection
// status. Two implementations: NATS (this file; feed and gateways in separate processes or machines) and
// an in-process hub over MessagePorts (port-bus.ts; --workers without --nats). Gateway and feed logic is
// written once against this interface.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { fullJitterMs } from '@tickwire/protocol/backoff';
import type { Logger } from '../log.js';

export interface BusSubscription {
  unsubscribe(): void;
}

/**
 * disconnected: messages are being missed; reconnected: subscriptions are back. (A gateway that NATS cuts
 * off as a slow consumer sees exactly this pair: nats-server closes the connection without a reason.)
 */
export type BusStatus = 'disconnected' | 'reconnected';

export interface Bus {
  /** Where it connects, for logs. */
  readonly name: string;
  readonly connected: boolean;
  /** Largest payload the bus accepts, bytes. */
  readonly maxPayload: number;
  publish(subject: string, data: Uint8Array): void;
  /**
   * `data` may be a view into a larger buffer that is reused later: copy what outlives the callback.
   * `reply` is set when the sender asked for an answer (a NATS request) and the bus can route one.
   */
  subscribe(subject: string, onMessage: (data: Uint8Array, subject: string, reply?: (answer: Uint8Array) => void) => void): BusSubscription;
  /** Answers requests on `subject` (may end in `.*`) with what `handler` returns. */
  serve(subject: string, handler: (data: Uint8Array, subject: string) => Uint8Array): BusSubscription;
  /** Rejects on timeout, on no responders, and when the connection drops meanwhile. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  onStatus(listener: (status: BusStatus) => void): void;
  /** Resolves once the bus has taken everything published so far (backpressure for fast publishers). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Start-up gave up waiting for NATS or a feed because it was told to stop (a signal). */
export class StartupAbortedError extends Error {
  override readonly name = 'StartupAbortedError';
}

export interface NatsBusOptions {
  /** Comma-separated NATS URLs, e.g. nats://127.0.0.1:4222. */
  servers: string;
  /** Client name shown by the NATS server's monitoring (connz). */
  name: string;
  log: Logger;
  /** First retry delay and cap of the connect backoff, ms. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Stop retrying (close() during start-up). */
  signal?: AbortSignal;
}

/** Full-jitter exponential backoff (protocol/src/backoff.ts): a random delay in [min, min(max, min·2^attempt)]. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(fullJitterMs(attempt, { baseMs: minMs, capMs: maxMs, floorMs: minMs }, random));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Connects to NATS, retrying with backoff for as long as it takes (each failed attempt logs TW_NATS
 * with the reason and the next delay). Once connected, the client reconnects by itself forever; the
 * bus reports the gaps through onStatus so the gateway can resync.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<Bus> {
  const servers = options.servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const minMs = options.retryMinMs ?? 500;
  const maxMs = options.retryMaxMs ?? 10_000;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw new StartupAbortedError('stopped while connecting to NATS');
    try {
      const nc = await connect({
        servers,
        name: options.name,
        // After the first connection: never give up, retry every ~second (plus jitter).
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        reconnectJitter: 500,
        // A server that stops answering (frozen, network cut) is noticed within ~10 s, not the default 4 min.
        pingInterval: 5000,
        maxPingOut: 2,
        timeout: 3000,
        noAsyncTraces: true,
      });
      if (attempt > 0) options.log.info({ nats: options.servers }, 'connected to NATS');
      return new NatsBus(nc, options.servers, options.log);
    } catch (error) {
      const delay = backoffDelay(attempt, minMs, maxMs);
      options.log.warn(
        { code: 'TW_NATS', nats: options.servers, attempt: attempt + 1, retryInMs: delay, reason: (error as Error).message },
        `TW_NATS: cannot reach NATS at ${options.servers} (${(error as Error).message}); retrying in ${delay} ms`,
      );
      await sleep(delay, options.signal);
    }
  }
}

class NatsBus implements Bus {
  private readonly listeners: Array<(status: BusStatus) => void> = [];
  private readonly subs = new Set<Subscription>();
  connected = true;

  constructor(
    private readonly nc: NatsConnection,
    readonly name: string,
    private readonly log: Logger,
  ) {
    void this.watch();
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.log.warn({ code: 'TW_NATS', nats: this.name }, 'TW_NATS: lost the NATS connection; reconnecting');
          this.emit('disconnected');
          break;
        case 'reconnect':
          this.connected = true;
          this.log.info({ nats: this.name, server: s.server }, 'reconnected to NATS');
          this.emit('reconnected');
          break;
        case 'error':
          this.log.warn({ nats: this.name, err: s.error.message }, 'NATS error');
          break;
        default:
          break;
      }
    }
  }

  private emit(status: BusStatus): void {
    for (const l of this.listeners) l(status);
  }

  onStatus(listener: (status: BusStatus) => void): void {
    this.listeners.push(listener);
  }

  publish(subject: string, data: Uint8Array): void {
    this.nc.publish(subject, data);
  }

  subscribe(subject: string, onMessage: (data: Uint8Array, subject: string, reply?: (answer: Uint8Array) => void) => void): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) onMessage(msg.data, msg.subject, msg.reply ? (answer) => msg.respond(answer) : undefined);
      },
    });
    this.subs.add(sub);
    return {
      unsubscribe: () => {
        this.subs.delete(sub);
        if (!this.nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  serve(subject: string, handler: (data: Uint8Array, subject: string) => Uint8Array): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err !== null || !msg.reply) return;
        let reply: Uint8Array;
        try {
          reply = handler(msg.data, msg.subject);
        } catch (error) {
          this.log.error({ err: error, subject: msg.subject }, 'bus request handler failed');
          return;
        }
        msg.respond(reply);
      },
    });
    this.subs.add(sub);
    return {
      unsubscribe: () => {
        this.subs.delete(sub);
        if (!this.nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const msg = await this.nc.request(subject, data, { timeout: timeoutMs });
    return msg.data;
  }

  async flush(): Promise<void> {
    // While disconnected a flush would wait for the reconnect; a publisher must not stall on it.
    if (this.connected) await this.nc.flush().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    // drain() flushes what was published, so a feed's last frames and replies still go out.
    await this.nc.drain().catch(() => this.nc.close());
  }
}
