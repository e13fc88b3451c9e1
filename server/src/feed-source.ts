// The embedded feed: the simulator running in this process, warmed up over a stretch of simulated past
// so charts and session stats have content the moment the dashboard opens.
import { LiveFeed, MarketSimulator, defaultUniverse, type Clock, type Instrument, type SimulatorState } from '@tickwire/feeds/index';
import type { Fanout } from '@tickwire/core/fanout';
import type { Logger } from '@tickwire/core/log';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { Metrics } from './metrics.js';
import type { Bus } from '@tickwire/core/nats/bus';
import type { SymbolGate } from './subscriptions.js';

/** Warm-up never replays more ticks than this, whatever the rate (keeps start-up near a second). */
export const MAX_WARMUP_TICKS = 1_500_000;

export interface EmbeddedFeed {
  readonly instruments: readonly Instrument[];
  readonly epoch: number;
  /** Ingests every tick due by now into the fan-out. */
  poll(fanout: Fanout): number;
  /** Replays the warm-up period into published state (before the server accepts clients). */
  warmUp(fanout: Fanout): number;
  /** The simulator's state, to save on a graceful shutdown. */
  exportState(): SimulatorState;
}

export function createEmbeddedFeed(options: {
  seed: number;
  symbols: number;
  tickRate: number;
  warmupSec: number;
  clock: Clock;
  epoch?: number;
  /** Continue a saved stream instead of starting a new one (warm-up is skipped). */
  restore?: SimulatorState;
}): EmbeddedFeed {
  const instruments = defaultUniverse(options.symbols);
  const warmupMs = Math.min(options.warmupSec * 1000, (MAX_WARMUP_TICKS / options.tickRate) * 1000);
  const now = options.clock.now();
  const simulator = new MarketSimulator({
    seed: options.seed,
    instruments,
    ticksPerSecond: options.tickRate,
    startTimeMs: options.restore?.startTimeMs ?? now - warmupMs,
  });
  if (options.restore) simulator.importState(options.restore);
  const feed = new LiveFeed({ simulator, clock: options.clock, ...(options.epoch !== undefined ? { epoch: options.epoch } : {}) });
  return {
    instruments,
    epoch: feed.epoch,
    poll(fanout) {
      return feed.poll((tick) => fanout.ingest(tick));
    },
    exportState() {
      return simulator.exportState();
    },
    warmUp(fanout) {
      if (options.restore) return 0;
      let total = 0;
      // In one-second slices so pending buffers stay small.
      for (let t = now - warmupMs + 1000; t < now; t += 1000) {
        total += simulator.advanceTo(t, (tick) => fanout.ingest(tick));
        fanout.absorb();
      }
      total += simulator.advanceTo(now, (tick) => fanout.ingest(tick));
      fanout.absorb();
      return total;
    },
  };
}

// ---- The FeedSource seam: where a server's ticks come from. Embedded: the simulator above, in this
// process, every symbol always ready. Bus: a feed process over NATS (or the in-process hub of --workers),
// relayed frame for frame, symbols subscribed on local interest (server/src/nats/gateway-source.ts, opened
// through bus-source.ts so this module never imports it back). ----

/** A feed silent for this long makes /healthz answer 503. */
export const FEED_STALL_MS = 5000;

export interface FeedHealth {
  stalled: boolean;
  detail: Record<string, unknown>;
}

export interface FeedHooks {
  now: () => number;
  metrics: Metrics;
  /** A symbol's continuity was lost and its state replaced from a fresh snapshot: its holders need one too. */
  refreshed(symbolId: number): void;
}

export interface FeedSource extends SymbolGate {
  readonly kind: 'embedded' | 'bus';
  readonly instruments: readonly InstrumentInfo[];
  /** Epoch at start (a bus feed may move the fan-out to a new one later, when the feed restarts). */
  readonly epoch: number;
  /** Folds simulated past into state before clients arrive (0 for a bus feed: the feed process did it). */
  warmUp(fanout: Fanout): number;
  /** Once per batch window: moves due ticks into the fan-out (0 for a bus feed, whose frames arrive on their own). */
  poll(fanout: Fanout): number;
  /** Starts delivering into `fanout` (a bus feed subscribes to its heartbeat here). */
  start(fanout: Fanout, hooks: FeedHooks): void;
  health(nowMs: number, fanout: Fanout): FeedHealth;
  /** The simulator's state for --state-file (embedded only; the feed process owns a bus feed's state). */
  exportState(): SimulatorState;
  close(): Promise<void>;
}

export function embeddedSource(feed: EmbeddedFeed, tickRate: number): FeedSource {
  return {
    kind: 'embedded',
    instruments: feed.instruments,
    epoch: feed.epoch,
    warmUp: (fanout) => feed.warmUp(fanout),
    poll: (fanout) => feed.poll(fanout),
    exportState: () => feed.exportState(),
    start() {},
    ready: () => true,
    whenReady: (_ids, ready) => ready(),
    interest() {},
    health(nowMs, fanout) {
      const sinceTick = nowMs - fanout.stats.lastTickAtMs;
      return { stalled: sinceTick > Math.max(FEED_STALL_MS, 50_000 / tickRate), detail: { source: 'embedded' } };
    },
    close: async () => {},
  };
}

export interface BusSourceOptions {
  /** NATS URL(s); ignored when `bus` is given. */
  nats: string | null;
  /** An already-connected bus (the in-process hub's port in a worker thread). */
  bus?: Bus;
  /** Client name on the NATS server (monitoring shows it). */
  name: string;
  log: Logger;
  now: () => number;
  /** Candles per interval to take over in snapshots (the gateway's ring size). */
  candleCapacity: number;
  /** Recent ticks to take over per symbol (the gateway's resume window). */
  resumeTicks: number;
  /** Tuning knobs (tests); defaults in nats/gateway-source.ts. */
  tuning?: GatewayTuning;
  /** Stops waiting for NATS or a feed at start-up. */
  signal?: AbortSignal;
}

export interface GatewayTuning {
  /** How long a symbol stays subscribed after its last local subscriber left, ms. */
  lingerMs?: number;
  /** Bytes read from the bus and not yet relayed, past which frames are dropped (and their symbols resync). */
  maxPendingBytes?: number;
}
