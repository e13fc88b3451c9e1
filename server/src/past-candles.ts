// Seeding of the candle history service: the embedded simulator's instruments get their generated past
// (feeds/src/history.ts) under the bars live ticks make. It runs after start-up, a bounded slice of one
// symbol's walk per turn of the event loop (a few ms, so live fan-out never waits long behind it), so it
// costs start-up nothing; a request for a symbol not seeded yet seeds that one at once. A bus gateway has
// no simulator here and serves what its rings collect.
import { PastWalk } from '@tickwire/feeds/history';
import { HISTORY_INTERVALS } from '@tickwire/protocol/candles';
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
 * Symbols that get a generated past: bounds memory (history rings ≈ 1.9 MB a symbol once filled) and
 * background CPU (≈ 40 ms a symbol) for huge universes; the rest serve the bars their rings collect live.
 */
export const MAX_PAST_SYMBOLS = 64;

/** Bar slots generated per turn of the event loop: about 4k slots take 2–4 ms. */
const SLOTS_PER_TURN = 4096;

export interface PastSeeder {
  /** Seeds `symbolId` now if it is simulated and not seeded yet (before answering a history request). */
  ensure(symbolId: number): void;
  /** Seeds every remaining symbol in the background; `done` runs once all are. */
  start(done?: (stats: { bars: number; ms: number }) => void): void;
  stop(): void;
}

export function createPastSeeder(feed: FeedSource, fanout: Fanout, seed: number, simulate: boolean, log: Logger, calendarShiftMs = 0): PastSeeder {
  const instruments = feed.kind === 'embedded' && simulate ? feed.instruments.filter(simulated) : [];
  // The simulator's own start and rate: the past ends exactly where its stream (and any restored one) begins.
  const sim = instruments.length > 0 ? feed.exportState() : null;
  const popularity = instruments.reduce((sum, i) => sum + i.popularity, 0);
  // Registry id → the simulator's index (it numbers its instruments 0..k-1 and draws per symbol by it);
  // only the most popular MAX_PAST_SYMBOLS get a generated past.
  const chosen = instruments.map((inst, k) => ({ inst, k })).sort((a, b) => b.inst.popularity - a.inst.popularity || a.k - b.k);
  const pending = new Map(chosen.slice(0, MAX_PAST_SYMBOLS).map((e) => [e.inst.id, e]));
  let bars = 0;
  let busyMs = 0;
  let timer: NodeJS.Immediate | null = null;
  /** The symbol in progress in the background: its walk, then its rings one per turn once the walk is done. */
  let current: { symbolId: number; walk: PastWalk; ring: number } | null = null;

  const start = (symbolId: number): { symbolId: number; walk: PastWalk; ring: number } | null => {
    if (current?.symbolId === symbolId) return current;
    const entry = pending.get(symbolId);
    if (entry === undefined || sim === null) return null;
    const { inst, k } = entry;
    const walk = new PastWalk(
      { ...inst, id: k },
      {
        seed,
        endMs: sim.startTimeMs,
        ticksPerSecond: (sim.ticksPerSecond * inst.popularity) / popularity,
        calendarShiftMs,
      },
    );
    return { symbolId, walk, ring: 0 };
  };

  /** One bounded step of `symbolId`'s seeding (`all`: the whole rest at once, for a waiting request). */
  const advance = (symbolId: number, all: boolean): void => {
    const job = start(symbolId);
    const state = fanout.states[symbolId];
    if (job === null) return;
    const t0 = performance.now();
    // A request's symbol is finished at once and never displaces the background one.
    if (!all) current = job;
    if (!job.walk.done) job.walk.advance(all ? job.walk.slots : SLOTS_PER_TURN);
    else if (state !== undefined) state.loadPastRing(job.ring++, job.walk.result());
    if (all && state !== undefined) while (job.ring < HISTORY_INTERVALS.length) state.loadPastRing(job.ring++, job.walk.result());
    if (job.walk.done && (job.ring >= HISTORY_INTERVALS.length || state === undefined)) {
      pending.delete(symbolId);
      if (current?.symbolId === symbolId) current = null;
      bars += job.walk.result().length;
    }
    busyMs += performance.now() - t0;
  };

  return {
    ensure: (symbolId) => advance(symbolId, true),
    start(done) {
      const step = (): void => {
        timer = null;
        const next = current !== null ? { done: false as const, value: current.symbolId } : pending.keys().next();
        if (next.done === true) {
          log.info({ bars, ms: Math.round(busyMs), symbols: instruments.length }, 'candle history generated');
          done?.({ bars, ms: busyMs });
          return;
        }
        advance(next.value, false);
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
