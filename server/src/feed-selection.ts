// Which feed a server runs: a feed process over the bus (gateway mode: --nats, or a --workers thread's
// hub), else the embedded simulator, which continues a saved stream (--state-file) when one fits, over
// the built-in universe or an --instruments file (plus what was registered at run time: the registry),
// with the ingest core when --ingest-token opens the doors or --source replays a trade file.
import { hostname } from 'node:os';
import type { Clock } from '@tickwire/feeds/clock';
import { InstrumentFileError } from '@tickwire/feeds/instrument-file';
import { InstrumentRegistry } from '@tickwire/feeds/instrument-registry';
import { DEFAULT_INGEST_LIMITS, IngestCore, type IngestInstrument } from '@tickwire/core/ingest';
import { instrumentInfo } from '@tickwire/protocol/instruments';
import { StartupError } from './errors.js';
import type { Bus } from '@tickwire/core/nats/bus';
import type { Logger } from '@tickwire/core/log';
import type { ServerConfig } from './config.js';
import { openBusSource } from './bus-source.js';
import { MAX_WARMUP_TICKS, createEmbeddedFeed, embeddedSource, type FeedSource, type GatewayTuning, type LocalInstrument } from './feed-source.js';
import { openExchange } from './adapters/exchange-source.js';
import { openReplay } from './replay-source.js';
import { takeState, type FeedFingerprint, type SavedState } from './state-file.js';

export interface FeedSelectionOptions {
  clock: Clock;
  log: Logger;
  /** Fixed feed epoch (tests); default random per start. */
  epoch?: number;
  /** Gateway on an already-connected feed bus (a --workers thread on the in-process hub). */
  bus?: Bus;
  /** Suffix of the gateway's bus client name (`-w1` in worker threads). */
  workerTag: string;
  gateway?: GatewayTuning;
  signal?: AbortSignal;
}

export interface SelectedFeed {
  feed: FeedSource;
  /** The saved stream the embedded feed continues (its fan-out state is restored from it too), or null. */
  restored: SavedState | null;
  /** What a saved state must match to be continued; saved again on shutdown. */
  fingerprint: FeedFingerprint;
  /** The --instruments file and what was registered at run time (null: built-in universe or a bus feed). */
  registry: InstrumentRegistry | null;
}

export async function selectFeed(config: ServerConfig, options: FeedSelectionOptions): Promise<SelectedFeed> {
  const { clock, log } = options;
  const fingerprint: FeedFingerprint = {
    seed: config.seed,
    symbols: config.symbols,
    tickRate: config.tickRate,
    candleCapacity: config.candleCapacity,
    resumeTicks: config.resumeTicks,
  };
  const now = () => clock.now();
  if (config.nats !== null || options.bus !== undefined) {
    const feed = await openBusSource({
      nats: config.nats,
      ...(options.bus !== undefined ? { bus: options.bus } : {}),
      name: `tickwire-gateway-${hostname()}-${process.pid}${options.workerTag}`,
      log,
      now,
      candleCapacity: config.candleCapacity,
      resumeTicks: config.resumeTicks,
      ...(options.gateway !== undefined ? { tuning: options.gateway } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    return { feed, restored: null, fingerprint, registry: null };
  }
  // A saved stream is continued only while the catch-up it implies stays a short burst.
  const saved = config.stateFile === null ? null : takeState(config.stateFile, fingerprint, now(), (MAX_WARMUP_TICKS / config.tickRate) * 1000);
  if (saved && !saved.ok && saved.reason !== 'no saved state') log.warn({ reason: saved.reason }, 'starting a new stream instead of the saved one');
  const restored = saved?.ok ? saved.state : null;
  const registry = config.instruments === null ? null : loadRegistry(config.instruments, config.feed === 'none');
  const embedded = createEmbeddedFeed({
    seed: config.seed,
    symbols: config.symbols,
    tickRate: config.tickRate,
    warmupSec: config.warmupSec,
    calendarShiftMs: config.calendarShiftMs,
    clock,
    simulate: config.feed === 'sim',
    // The registry's list itself: it grows as instruments are registered, and the feed serves it as it is.
    ...(registry !== null ? { instruments: registry.list } : {}),
    ...(restored ? { epoch: restored.epoch, restore: restored.simulator } : options.epoch !== undefined ? { epoch: options.epoch } : {}),
  });
  // The core exists for the ingest doors (--ingest-token) and for a replayed file (--source).
  const ingest =
    config.ingestToken === null && config.source === null
      ? null
      : new IngestCore(
          embedded.instruments.map((i) => ingestInstrument(i, config.feed === 'none')),
          { ...DEFAULT_INGEST_LIMITS, queueLength: config.ingestQueue },
        );
  if (ingest !== null && ingest.ingestible === 0) {
    log.warn('ingest is on (--ingest-token or --source) but no instrument has source "ingest": every trade will be refused (not_ingest)');
  }
  const source = config.source;
  const replay =
    source === null || ingest === null ? null : 'file' in source ? openReplay(source, config.replaySpeed, log) : openExchange(source, ingest, log, now);
  return { feed: embeddedSource(embedded, config.tickRate, ingest, replay, now), restored, fingerprint, registry };
}

/** What the ingest core needs of an instrument; with --feed none every instrument is ingested, whatever its entry says. */
export function ingestInstrument(i: LocalInstrument, allIngested: boolean): IngestInstrument {
  return { ...instrumentInfo(i), tickSize: i.tickSize, source: allIngested ? 'ingest' : (i.source ?? 'sim') };
}

function loadRegistry(path: string, allIngested: boolean): InstrumentRegistry {
  try {
    return InstrumentRegistry.load(path, { allIngested });
  } catch (error) {
    if (error instanceof InstrumentFileError) throw new StartupError('TW_INSTRUMENTS', `invalid --instruments ${error.message}`, { cause: error });
    throw error;
  }
}
