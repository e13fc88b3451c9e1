// Gateway mode: the server's ticks come from the feed process over the bus instead of an in-process
// simulator. Only symbols with local subscribers are subscribed on the bus (with a linger, so reconnects
// and polls do not churn subscriptions). Everything read from the bus goes through one queue to the
// stitcher (stitcher.ts), which keeps each symbol's seq unbroken; this file owns the bus side: interest,
// the queue and its bound, snapshot requests and their retries, feed health. Metrics: gateway-metrics.ts.
import type { SimulatorState } from '@tickwire/feeds/index';
import type { Fanout } from '@tickwire/core/fanout';
import type { BusSourceOptions, FeedHealth, FeedHooks, FeedSource } from '../feed-source.js';
import type { Logger } from '@tickwire/core/log';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { StartupAbortedError, backoffDelay, connectNatsBus, sleep, type Bus, type BusSubscription } from '@tickwire/core/nats/bus';
import { HEARTBEAT_SUBJECT, META_SUBJECT, marketDataSubject, parseFeedMeta, snapshotSubject, type FeedMeta } from '@tickwire/core/nats/subjects';
import { registerGatewayMetrics, type GatewayMetrics } from './gateway-metrics.js';
import { Stitcher, type StitchEvents } from './stitcher.js';

/** A symbol stays subscribed this long after its last local subscriber left (reconnects, polls). */
export const DEFAULT_LINGER_MS = 5000;
/** Snapshot requests time out after this; the request is retried with backoff. */
export const SNAPSHOT_TIMEOUT_MS = 3000;
/**
 * Frames read from the bus but not yet relayed (one event-loop turn's worth, normally a few KiB). Past
 * this, frames are dropped and counted; the seq gap they leave resyncs their symbols. The other bound
 * sits in nats-server: a gateway whose socket falls `max_pending` (default 64 MiB) behind is cut off
 * as a slow consumer, which the gateway sees as a disconnect and answers with a resync.
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;
/** The feed is considered gone after this many heartbeat intervals without one. */
const HEARTBEAT_MISSES = 3;

type Queued =
  | { kind: 'frame'; id: number; data: Uint8Array }
  | { kind: 'heartbeat'; data: Uint8Array }
  | { kind: 'snapshot'; id: number; generation: number; data: Uint8Array };

/** The bus side of one symbol: its subscription and the timers around it. */
class SymbolLink {
  /** A local subscriber holds the symbol (or a poll asked for it recently: see linger). */
  wanted = false;
  sub: BusSubscription | null = null;
  linger: NodeJS.Timeout | null = null;
  retry: NodeJS.Timeout | null = null;
  /** Snapshot requests of the current sync that failed so far (drives the retry backoff). */
  attempts = 0;
}

export async function openGatewaySource(options: BusSourceOptions): Promise<FeedSource> {
  const bus =
    options.bus ??
    (await connectNatsBus({ servers: options.nats ?? '', name: options.name, log: options.log, ...(options.signal ? { signal: options.signal } : {}) }));
  let meta: FeedMeta;
  try {
    meta = await fetchMeta(bus, options.log, options.signal);
  } catch (error) {
    if (options.bus === undefined) await bus.close();
    throw error;
  }
  options.log.info({ bus: bus.name, feed: meta.feedId, epoch: meta.epoch, symbols: meta.symbols.length }, 'feed found on the bus');
  return new GatewaySource(bus, meta, options, options.bus === undefined);
}

/** Asks the feed for its instruments and epoch until one answers (TW_NO_FEED is logged meanwhile). */
async function fetchMeta(bus: Bus, log: Logger, signal?: AbortSignal): Promise<FeedMeta> {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new StartupAbortedError('stopped while waiting for a feed');
    let reason: string;
    try {
      const meta = parseFeedMeta(await bus.request(META_SUBJECT, new Uint8Array(0), SNAPSHOT_TIMEOUT_MS));
      if (meta !== null) return meta;
      reason = 'the feed answered with malformed JSON';
    } catch (error) {
      reason = (error as Error).message;
    }
    const delay = backoffDelay(attempt, 500, 10_000);
    log.warn(
      { code: 'TW_NO_FEED', bus: bus.name, attempt: attempt + 1, retryInMs: delay, reason },
      `TW_NO_FEED: no feed answers on ${META_SUBJECT} (${reason}); is "npm run feed" running against this NATS? retrying in ${delay} ms`,
    );
    await sleep(delay, signal);
  }
}

/**
 * The FeedSource seam over a bus. The fan-out and the server's hooks only exist once start() is called,
 * so everything that needs them lives in GatewayRelay, built there with all its fields set.
 */
class GatewaySource implements FeedSource {
  readonly kind = 'bus' as const;
  readonly instruments: readonly InstrumentInfo[];
  readonly epoch: number;
  private relay: GatewayRelay | null = null;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly meta: FeedMeta,
    private readonly options: BusSourceOptions,
    private readonly ownsBus: boolean,
  ) {
    this.instruments = meta.symbols;
    this.epoch = meta.epoch;
  }

  warmUp(): number {
    return 0;
  }

  poll(): number {
    return 0;
  }

  exportState(): SimulatorState {
    throw new Error('a gateway holds no simulator: the feed process owns the market state');
  }

  start(fanout: Fanout, hooks: FeedHooks): void {
    if (this.relay !== null) throw new Error('the gateway source was already started');
    this.relay = new GatewayRelay(this.bus, this.meta.heartbeatMs, this.options, fanout, hooks);
  }

  private started(): GatewayRelay {
    // createServer starts the feed before it listens, so no client can reach a gateway that is not started.
    if (this.relay === null) throw new Error('the gateway source is not started');
    return this.relay;
  }

  ready(symbolId: number): boolean {
    return this.relay?.stitcher.ready(symbolId) ?? false;
  }

  whenReady(symbolIds: readonly number[], ready: () => void): void {
    this.started().stitcher.whenReady(symbolIds, ready);
  }

  interest(symbolId: number, held: boolean): void {
    if (!this.closed) this.started().interest(symbolId, held);
  }

  health(nowMs: number): FeedHealth {
    if (this.relay !== null) return this.relay.health(nowMs);
    return { stalled: true, detail: { source: 'bus', bus: this.bus.name, connected: this.bus.connected, started: false } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.relay?.close();
    if (this.ownsBus) await this.bus.close();
  }
}

class GatewayRelay {
  readonly stitcher: Stitcher;
  private readonly metrics: GatewayMetrics;
  private readonly links: SymbolLink[];
  private readonly heartbeatSub: BusSubscription;
  private readonly lingerMs: number;
  private readonly maxPendingBytes: number;
  private readonly stallMs: number;
  private readonly snapshotRequest: Uint8Array;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private drainScheduled = false;
  /** Last time the feed was heard from: a heartbeat, or a frame of its epoch. */
  private lastFeedAt: number;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    heartbeatMs: number,
    private readonly options: BusSourceOptions,
    private readonly fanout: Fanout,
    private readonly hooks: FeedHooks,
  ) {
    this.lingerMs = options.tuning?.lingerMs ?? DEFAULT_LINGER_MS;
    this.maxPendingBytes = options.tuning?.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.stallMs = Math.max(3000, HEARTBEAT_MISSES * heartbeatMs);
    this.snapshotRequest = new TextEncoder().encode(JSON.stringify({ candles: options.candleCapacity, ticks: options.resumeTicks }));
    this.lastFeedAt = options.now();
    this.links = fanout.states.map(() => new SymbolLink());
    this.metrics = registerGatewayMetrics(hooks.metrics.registry, this);
    this.stitcher = new Stitcher(fanout, this.stitchEvents(), options.now);
    this.heartbeatSub = bus.subscribe(HEARTBEAT_SUBJECT, (data) => this.enqueue({ kind: 'heartbeat', data: data.slice() }));
    bus.onStatus((status) => {
      if (this.closed) return;
      if (status === 'disconnected') this.metrics.disconnects.inc();
      // Whatever was published while we were away is lost to us: every held symbol resyncs (and
      // bridges the hole with the feed's recent ticks when it can).
      else this.stitcher.resyncHeld('reconnect');
    });
  }

  private stitchEvents(): StitchEvents {
    return {
      requestSnapshot: (id, generation, reason) => {
        const link = this.links[id];
        if (link === undefined) return;
        link.attempts = 0;
        if (link.retry !== null) clearTimeout(link.retry);
        link.retry = null;
        this.metrics.resyncs.inc({ reason });
        this.requestSnapshot(id, generation);
      },
      frame: (outcome, ticks) => {
        this.metrics.frames.inc({ result: outcome });
        if (ticks > 0) this.hooks.metrics.ticksIn.inc(ticks);
      },
      epochChanged: (from, to, seenIn) => {
        this.options.log.warn({ from, to, seenIn }, 'feed epoch changed (the feed restarted): resyncing every held symbol');
        this.metrics.epochChanges.inc();
      },
      refreshed: (id) => {
        this.metrics.refreshes.inc();
        this.hooks.refreshed(id);
      },
    };
  }

  // ---- Interest: subscribe on the bus while local clients hold a symbol ----

  interest(id: number, held: boolean): void {
    const link = this.links[id];
    if (link === undefined || this.closed) return;
    link.wanted = held;
    if (held) {
      if (link.linger !== null) clearTimeout(link.linger);
      link.linger = null;
      if (link.sub === null) {
        link.sub = this.bus.subscribe(marketDataSubject(id), (data) => this.enqueue({ kind: 'frame', id, data }));
        this.stitcher.hold(id);
      }
    } else if (link.linger === null) {
      this.armLinger(id, link);
    }
  }

  private armLinger(id: number, link: SymbolLink): void {
    link.linger = setTimeout(() => {
      link.linger = null;
      if (link.wanted) return;
      // A poll may still wait for the first snapshot: keep the symbol until it was served.
      if (this.stitcher.awaited(id)) return this.armLinger(id, link);
      this.shut(id, link);
    }, this.lingerMs);
    link.linger.unref();
  }

  /** No local interest left: leave the subject and forget the state (the next subscriber resyncs). */
  private shut(id: number, link: SymbolLink): void {
    link.sub?.unsubscribe();
    link.sub = null;
    if (link.retry !== null) clearTimeout(link.retry);
    link.retry = null;
    this.stitcher.release(id);
  }

  // ---- Bus input: everything goes through one queue, so frames, heartbeats and snapshot replies are
  // handled in the order the bus delivered them, and a group of frames ends as one batch for the sinks. ----

  private enqueue(item: Queued): void {
    if (this.closed) return;
    if (this.queuedBytes + item.data.length > this.maxPendingBytes && item.kind === 'frame') {
      this.metrics.dropped.inc({ reason: 'pending-overflow' });
      return;
    }
    this.queue.push(item);
    this.queuedBytes += item.data.length;
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    if (this.closed) return;
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const item of queue) {
      if (item.kind === 'frame') {
        if (this.stitcher.frame(item.id, item.data)) this.lastFeedAt = this.options.now();
      } else if (item.kind === 'heartbeat') {
        if (this.stitcher.heartbeat(item.data)) this.lastFeedAt = this.options.now();
      } else {
        this.onSnapshot(item.id, item.generation, item.data);
      }
    }
    this.fanout.endRelay(this.options.now());
  };

  // ---- Snapshot requests ----

  private requestSnapshot(id: number, generation: number): void {
    this.bus.request(snapshotSubject(id), this.snapshotRequest, SNAPSHOT_TIMEOUT_MS).then(
      (data) => this.enqueue({ kind: 'snapshot', id, generation, data: data.slice() }),
      (error: unknown) => {
        if (!this.stitcher.current(id, generation) || this.closed) return;
        this.options.log.debug({ symbolId: id, reason: (error as Error).message }, 'snapshot request failed');
        this.retryLater(id, generation);
      },
    );
  }

  private onSnapshot(id: number, generation: number, data: Uint8Array): void {
    const outcome = this.stitcher.snapshot(id, generation, data);
    if (outcome === 'malformed') this.options.log.warn({ symbolId: id }, 'the feed answered a snapshot request with something else; retrying');
    if (outcome === 'malformed' || outcome === 'retired') this.retryLater(id, generation);
  }

  /** Asks again after a backoff, unless the attempt was superseded or the symbol dropped meanwhile. */
  private retryLater(id: number, generation: number): void {
    const link = this.links[id];
    if (link === undefined) return;
    this.metrics.snapshotFailures.inc();
    if (link.retry !== null) clearTimeout(link.retry);
    link.retry = setTimeout(
      () => {
        link.retry = null;
        if (this.stitcher.current(id, generation) && !this.closed) this.requestSnapshot(id, generation);
      },
      backoffDelay(link.attempts++, 200, 5000),
    );
  }

  // ---- Status ----

  health(nowMs: number): FeedHealth {
    const sinceFeed = nowMs - this.lastFeedAt;
    const { held, syncing } = this.stitcher.counts();
    return {
      stalled: !this.bus.connected || sinceFeed > this.stallMs,
      detail: {
        source: 'bus',
        bus: this.bus.name,
        connected: this.bus.connected,
        msSinceFeed: Math.round(sinceFeed),
        heldSymbols: held,
        syncingSymbols: syncing,
      },
    };
  }

  /** Symbols subscribed on the bus right now (metrics, tests). */
  subscribedCount(): number {
    let n = 0;
    for (const link of this.links) if (link.sub !== null) n++;
    return n;
  }

  pendingFrames(): number {
    return this.queue.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, link] of this.links.entries()) {
      if (link.linger !== null) clearTimeout(link.linger);
      link.linger = null;
      if (link.sub !== null) this.shut(id, link);
    }
    this.heartbeatSub.unsubscribe();
  }
}
