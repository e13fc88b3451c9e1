// The embedded feed: the simulator running in this process, warmed up over a stretch of simulated past
// so charts and session stats have content the moment the dashboard opens.
import { LiveFeed, MarketSimulator, defaultUniverse, type Clock, type Instrument } from '../../feeds/src/index.js';
import type { Fanout } from './fanout.js';

/** Warm-up never replays more ticks than this, whatever the rate (keeps start-up near a second). */
export const MAX_WARMUP_TICKS = 1_500_000;

export interface EmbeddedFeed {
  readonly instruments: readonly Instrument[];
  readonly epoch: number;
  /** Ingests every tick due by now into the fan-out. */
  poll(fanout: Fanout): number;
  /** Replays the warm-up period into published state (before the server accepts clients). */
  warmUp(fanout: Fanout): number;
}

export function createEmbeddedFeed(options: {
  seed: number;
  symbols: number;
  tickRate: number;
  warmupSec: number;
  clock: Clock;
  epoch?: number;
}): EmbeddedFeed {
  const instruments = defaultUniverse(options.symbols);
  const warmupMs = Math.min(options.warmupSec * 1000, (MAX_WARMUP_TICKS / options.tickRate) * 1000);
  const now = options.clock.now();
  const simulator = new MarketSimulator({
    seed: options.seed,
    instruments,
    ticksPerSecond: options.tickRate,
    startTimeMs: now - warmupMs,
  });
  const feed = new LiveFeed({ simulator, clock: options.clock, ...(options.epoch !== undefined ? { epoch: options.epoch } : {}) });
  return {
    instruments,
    epoch: feed.epoch,
    poll(fanout) {
      return feed.poll((tick) => fanout.ingest(tick));
    },
    warmUp(fanout) {
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
