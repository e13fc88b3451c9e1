// Seeding of the candle history service: the embedded simulator's instruments get their generated past
// (feeds/src/history.ts) under the bars live ticks make. It runs after start-up, one symbol per turn of
// the event loop (≈ 10–20 ms each), so it costs start-up nothing; a request for a symbol not seeded yet
// seeds that one at once. A bus gateway has no simulator here and serves what its rings collect.
import { generatePast } from '@tickwire/feeds/history';
import type { Instrument } from '@tickwire/feeds/universe';
import type { Fanout } from '@tickwire/core/fanout';
import type { Logger } from '@tickwire/core/log';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { FeedSource, LocalInstrument } from './feed-source.js';

/** FeedSource lists instruments as InstrumentInfo; the embedded feed's entries carry the simulator's model too. */
function simulated(info: InstrumentInfo): info is LocalInstrument {
  const i = info as Partial<Instrument> & { source?: string };
  return i.source !== 'ingest' && typeof i.annualVol === 'number' && typeof i.popularity === 'number' && typeof i.sizeMu === 'number';
}

/**
 * Symbols that get a generated past: bounds memory (history rings ≈ 0.8 MB a symbol once filled) and
 * background CPU for huge universes; the rest serve the bars their rings collect live.
 */
export const MAX_PAST_SYMBOLS = 256;

export interface PastSeeder {
  /** Seeds `symbolId` now if it is simulated and not seeded yet (before answering a history request). */
  ensure(symbolId: number): void;
  /** Seeds every remaining symbol in the background; `done` runs once all are. */
  start(done?: (stats: { bars: number; ms: number }) => void): void;
  stop(): void;
}

export function createPastSeeder(feed: FeedSource, fanout: Fanout, seed: number, simulate: boolean, log: Logger): PastSeeder {
  const instruments = feed.kind === 'embedded' && simulate ? feed.instruments.filter(simulated) : [];
  // The simulator's own start and rate: the past ends exactly where its stream (and any restored one) begins.
  const sim = instruments.length > 0 ? feed.exportState() : null;
  const popularity = instruments.reduce((sum, i) => sum + i.popularity, 0);
  // Registry id → the simulator's index (it numbers its instruments 0..k-1 and draws per symbol by it);
  // only the most popular MAX_PAST_SYMBOLS get a generated past (≈ 0.8 MB and 13 ms of CPU each).
  const chosen = instruments.map((inst, k) => ({ inst, k })).sort((a, b) => b.inst.popularity - a.inst.popularity || a.k - b.k);
  const pending = new Map(chosen.slice(0, MAX_PAST_SYMBOLS).map((e) => [e.inst.id, e]));
  let bars = 0;
  let busyMs = 0;
  let timer: NodeJS.Immediate | null = null;

  const seedOne = (symbolId: number): void => {
    const entry = pending.get(symbolId);
    if (entry === undefined || sim === null) return;
    pending.delete(symbolId);
    const t0 = performance.now();
    const { inst, k } = entry;
    const past = generatePast({ ...inst, id: k }, { seed, endMs: sim.startTimeMs, ticksPerSecond: (sim.ticksPerSecond * inst.popularity) / popularity });
    fanout.states[symbolId]?.loadPast(past);
    bars += past.length;
    busyMs += performance.now() - t0;
  };

  return {
    ensure: seedOne,
    start(done) {
      const step = (): void => {
        timer = null;
        const next = pending.keys().next();
        if (next.done === true) {
          log.info({ bars, ms: Math.round(busyMs), symbols: instruments.length }, 'candle history generated');
          done?.({ bars, ms: busyMs });
          return;
        }
        seedOne(next.value);
        timer = setImmediate(step);
      };
      timer = setImmediate(step);
    },
    stop() {
      if (timer !== null) clearImmediate(timer);
      timer = null;
    },
  };
}
