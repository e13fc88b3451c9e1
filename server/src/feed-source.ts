// The embedded feed: the simulator running in this process, warmed up over a stretch of simulated past
// so charts and session stats have content the moment the dashboard opens, and the ingest core for
// instruments producers write (--instruments entries with source "ingest"; every one with --feed none).
import { randomInt } from 'node:crypto';
import { LiveFeed, MarketSimulator, defaultUniverse, type Clock, type Instrument, type InstrumentSource, type SimulatorState } from '@tickwire/feeds/index';
import type { Tick } from '@tickwire/protocol/messages';
import { U32_MAX } from '@tickwire/protocol/units';
import type { IngestCore } from '@tickwire/core/ingest';
import type { Fanout } from '@tickwire/core/fanout';
import type { Logger } from '@tickwire/core/log';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { Metrics } from './metrics.js';
import type { ReplaySource } from './replay-source.js';
import { metricsSink } from './source-sink.js';
import type { Bus } from '@tickwire/core/nats/bus';
import type { SymbolGate } from './subscriptions.js';

/** Warm-up never replays more ticks than this, whatever the rate (keeps start-up near a second). */
export const MAX_WARMUP_TICKS = 1_500_000;

/** An instrument of this server's registry: built-in ones have no source (simulated). */
export type LocalInstrument = Instrument & { source?: InstrumentSource };

export interface EmbeddedFeed {
  /** Every instrument of the registry (simulated and ingested), ids = indices. */
  readonly instruments: readonly LocalInstrument[];
  /** Instruments the simulator runs (0 with --feed none). */
  readonly simulated: number;
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
  /** The registry from --instruments (default: the built-in universe of `symbols`). */
  instruments?: readonly LocalInstrument[];
  /** --feed none: no simulator at all (every instrument is ingested). */
  simulate?: boolean;
  /** ServerConfig.calendarShiftMs (--market-time). */
  calendarShiftMs?: number;
}): EmbeddedFeed {
  const instruments: readonly LocalInstrument[] = options.instruments ?? defaultUniverse(options.symbols);
  const simulated = options.simulate === false ? [] : instruments.filter((i) => i.source !== 'ingest');
  const warmupMs = Math.min(options.warmupSec * 1000, (MAX_WARMUP_TICKS / options.tickRate) * 1000);
  const now = options.clock.now();
  const epochOption = options.epoch !== undefined ? { epoch: options.epoch } : {};
  if (simulated.length === 0) {
    // Nothing to simulate: the epoch is still this process's, drawn like LiveFeed draws it.
    return {
      instruments,
      simulated: 0,
      epoch: options.epoch ?? randomInt(1, U32_MAX + 1),
      poll: () => 0,
      warmUp: () => 0,
      exportState() {
        throw new Error('no simulator runs: there is no simulator state to save');
      },
    };
  }
  // The simulator numbers its instruments 0..k-1; when some registry entries are ingested, its ids map
  // back to registry ids on the way out (the scratch tick is the simulator's to overwrite next step).
  const remap = simulated.length === instruments.length ? null : Uint16Array.from(simulated, (i) => i.id);
  const simulator = new MarketSimulator({
    seed: options.seed,
    instruments: remap === null ? instruments : simulated.map((inst, k) => ({ ...inst, id: k })),
    ticksPerSecond: options.tickRate,
    startTimeMs: options.restore?.startTimeMs ?? now - warmupMs,
    calendarShiftMs: options.calendarShiftMs ?? 0,
  });
  if (options.restore) simulator.importState(options.restore);
  const feed = new LiveFeed({ simulator, clock: options.clock, ...epochOption });
  const into = (fanout: Fanout): ((tick: Tick) => void) =>
    remap === null
      ? (tick) => fanout.ingest(tick)
      : (tick) => {
          tick.symbolId = remap[tick.symbolId]!;
          fanout.ingest(tick);
        };
  return {
    instruments,
    simulated: simulated.length,
    epoch: feed.epoch,
    poll(fanout) {
      return feed.poll(into(fanout));
    },
    exportState() {
      return simulator.exportState();
    },
    warmUp(fanout) {
      if (options.restore) return 0;
      const emit = into(fanout);
      let total = 0;
      // In one-second slices so pending buffers stay small.
      for (let t = now - warmupMs + 1000; t < now; t += 1000) {
        total += simulator.advanceTo(t, emit);
        fanout.absorb();
      }
      total += simulator.advanceTo(now, emit);
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
  /** Where POST /ingest writes (embedded feed with --ingest-token); absent or null otherwise. */
  readonly ingest?: IngestCore | null;
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

export function embeddedSource(
  feed: EmbeddedFeed,
  tickRate: number,
  ingest: IngestCore | null = null,
  replay: ReplaySource | null = null,
  now: () => number = Date.now,
): FeedSource {
  return {
    kind: 'embedded',
    ingest,
    instruments: feed.instruments,
    epoch: feed.epoch,
    warmUp: (fanout) => feed.warmUp(fanout),
    poll(fanout) {
      // Called right before the fan-out publishes: whatever ingest queued goes out now, so the queue empties.
      ingest?.windowClosed();
      if (ingest !== null) replay?.pump(ingest, now());
      return feed.poll(fanout);
    },
    exportState: () => feed.exportState(),
    start(fanout, hooks) {
      ingest?.start(fanout);
      replay?.attach(metricsSink(hooks.metrics));
    },
    ready: () => true,
    whenReady: (_ids, ready) => ready(),
    interest() {},
    health(nowMs, fanout) {
      const sinceTick = nowMs - fanout.stats.lastTickAtMs;
      const detail: Record<string, unknown> = { source: 'embedded', simulated: feed.simulated };
      if (ingest !== null) {
        const last = ingest.lastAcceptedAtMs;
        detail.ingest = { instruments: ingest.ingestible, accepted: ingest.acceptedTotal, msSinceLastTrade: last === 0 ? null : Math.round(nowMs - last) };
      }
      // A quiet producer is not a stalled server: only a running simulator can stall.
      const stalled = feed.simulated > 0 && sinceTick > Math.max(FEED_STALL_MS, 50_000 / tickRate);
      return { stalled, detail };
    },
    close: async () => {
      replay?.close?.();
    },
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
