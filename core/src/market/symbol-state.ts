// Published state of one symbol: last trade, quote, session stats and candles. It advances only when a
// batch is published, so a snapshot always ends exactly where the next Updates frame begins (seq + 1).
import type { CandleSeries, Tick } from '@tickwire/protocol/messages';
import { CANDLE_INTERVALS } from '@tickwire/protocol/messages';
import { HISTORY_INTERVALS, type HistoryInterval } from '@tickwire/protocol/candles';
import type { SnapshotBody } from '@tickwire/protocol/codec';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { CandleRing, type CandleRingState } from './candle-ring.js';

export interface SymbolStateSnapshot {
  seq: number;
  lastTimeMs: number;
  last: number;
  lastSize: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  sessionStartMs: number;
  candles: CandleRingState[];
}

/**
 * Bars each history ring keeps (GET /api/candles): the generated past (feeds/src/history.ts DEFAULT_PAST)
 * plus room for live bars. About 68k bars, 1.9 MB a symbol once filled; the oldest drop off as live bars arrive.
 */
export const HISTORY_CAPACITY: Readonly<Record<HistoryInterval, number>> = {
  1: 4096, // 68 min
  5: 2880, // 4 h
  60: 46_080, // 32 days
  300: 9216, // 32 days
  900: 3072, // 32 days
  3600: 2304, // 96 days
  14_400: 576, // 96 days
  86_400: 128,
};

/** A generated past bar source, oldest first (feeds' PastBars has this shape). */
export interface PastBarColumns {
  readonly length: number;
  readonly time: ArrayLike<number>;
  readonly step: ArrayLike<number>;
  readonly open: ArrayLike<number>;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly volume: ArrayLike<number>;
}

export class SymbolState {
  seq = 0;
  lastTimeMs = 0;
  last = 0;
  lastSize = 0;
  bid = 0;
  ask = 0;
  open = 0;
  high = 0;
  low = 0;
  volume = 0;
  sessionStartMs = 0;
  /**
   * Bumped by every change to anything a snapshot shows (ticks, a loaded feed snapshot, a restart's saved
   * state, an epoch reset): the snapshot cache keys on it, since load() and reset() may leave seq as it was.
   */
  version = 0;
  readonly candles: CandleRing[];
  /**
   * The history service's rings, one per HISTORY_INTERVALS entry: deep, never in snapshots or the state
   * file (the past is regenerated from the seed at start), fed by the same ticks as `candles`.
   */
  readonly history: CandleRing[];

  constructor(
    readonly instrument: InstrumentInfo,
    candleCapacity: number,
  ) {
    this.candles = CANDLE_INTERVALS.map((interval) => new CandleRing(interval, candleCapacity));
    this.history = HISTORY_INTERVALS.map((interval) => new CandleRing(interval, HISTORY_CAPACITY[interval]));
  }

  /** The history ring of `intervalSec`, undefined for an interval the service does not keep. */
  historyRing(intervalSec: number): CandleRing | undefined {
    return this.history[HISTORY_INTERVALS.indexOf(intervalSec as HistoryInterval)];
  }

  /**
   * Puts the generated past under the bars live ticks already made (it may arrive after them: seeding runs
   * after start-up): each ring folds in every past bar whose step divides its interval (finer bars
   * aggregate by the bar rule), then its own bars again, so the bar at the seam merges into one.
   */
  loadPast(past: PastBarColumns): void {
    for (let k = 0; k < this.history.length; k++) this.loadPastRing(k, past);
  }

  /** loadPast() for the history ring at index `k` alone: a seeder can spread the rings over turns. */
  loadPastRing(k: number, past: PastBarColumns): void {
    const ring = this.history[k];
    if (ring === undefined) return;
    const live = ring.latest(ring.length);
    ring.load([]);
    for (let j = 0; j < past.length; j++) {
      if (ring.intervalSec % past.step[j]! !== 0) continue;
      ring.foldBar(past.time[j]!, past.open[j]!, past.high[j]!, past.low[j]!, past.close[j]!, past.volume[j]!);
    }
    for (const b of live) ring.foldBar(b.time, b.open, b.high, b.low, b.close, b.volume);
  }

  apply(tick: Tick): void {
    this.version++;
    if (this.seq === 0 && this.sessionStartMs === 0) {
      // The session is the feed epoch (no exchange hours: see docs/protocol.md), so a new epoch's first
      // tick starts every session figure afresh, volume included.
      this.sessionStartMs = tick.eventTimeMs;
      this.open = tick.price;
      this.high = tick.price;
      this.low = tick.price;
      this.volume = 0;
    }
    this.seq = tick.seq;
    this.lastTimeMs = tick.eventTimeMs;
    this.last = tick.price;
    this.lastSize = tick.size;
    this.bid = tick.bid;
    this.ask = tick.ask;
    if (tick.price > this.high) this.high = tick.price;
    if (tick.price < this.low) this.low = tick.price;
    this.volume += tick.size;
    for (const ring of this.candles) ring.add(tick.eventTimeMs, tick.price, tick.size);
    for (const ring of this.history) ring.add(tick.eventTimeMs, tick.price, tick.size);
  }

  exportState(): SymbolStateSnapshot {
    const { seq, lastTimeMs, last, lastSize, bid, ask, open, high, low, volume, sessionStartMs } = this;
    return { seq, lastTimeMs, last, lastSize, bid, ask, open, high, low, volume, sessionStartMs, candles: this.candles.map((r) => r.exportState()) };
  }

  importState(s: SymbolStateSnapshot): void {
    if (s.candles.length !== this.candles.length) throw new RangeError('saved symbol state has other candle intervals');
    this.version++;
    for (const key of ['seq', 'lastTimeMs', 'last', 'lastSize', 'bid', 'ask', 'open', 'high', 'low', 'volume', 'sessionStartMs'] as const) {
      if (typeof s[key] !== 'number' || !Number.isFinite(s[key])) throw new RangeError(`saved symbol state has a bad ${key}`);
      this[key] = s[key];
    }
    s.candles.forEach((c, i) => this.candles[i]!.importState(c));
    this.historyFromSnapshotRings();
  }

  /**
   * Fills empty history rings from the snapshot rings (a restart's saved state, a gateway's snapshot), each
   * from the coarsest ring whose interval divides its own (exact aggregation, the longest reach): the live
   * bars since the feed began are not lost there, and the generated past (loadPast) still goes under them.
   */
  private historyFromSnapshotRings(): void {
    for (const ring of this.history) {
      if (ring.length > 0) continue;
      let source: CandleRing | undefined;
      for (const c of this.candles) if (ring.intervalSec % c.intervalSec === 0 && c.length > 0) source = c;
      for (const b of source?.latest(source.length) ?? []) ring.foldBar(b.time, b.open, b.high, b.low, b.close, b.volume);
    }
  }

  /** Forgets everything after a feed epoch change: the old seq space means nothing in the new one. */
  reset(): void {
    this.version++;
    this.seq = 0;
    this.sessionStartMs = 0;
  }

  /** Takes over the state a snapshot describes (a gateway syncing from the feed process). */
  load(s: SnapshotBody): void {
    this.version++;
    this.seq = s.seq;
    this.lastTimeMs = s.lastTimeMs;
    this.last = s.last;
    this.lastSize = s.lastSize;
    this.bid = s.bid;
    this.ask = s.ask;
    this.open = s.open;
    this.high = s.high;
    this.low = s.low;
    this.volume = s.volume;
    this.sessionStartMs = s.sessionStartMs;
    for (const ring of this.candles) ring.load(s.candles.find((c) => c.intervalSec === ring.intervalSec)?.candles ?? []);
    this.historyFromSnapshotRings();
  }

  snapshot(history: number): SnapshotBody {
    const i = this.instrument;
    const candles: CandleSeries[] = history > 0 ? this.candles.map((ring) => ({ intervalSec: ring.intervalSec, candles: ring.latest(history) })) : [];
    return {
      symbolId: i.id,
      ticker: i.ticker,
      priceScale: i.priceScale,
      sizeScale: i.sizeScale,
      seq: this.seq,
      lastTimeMs: this.lastTimeMs as EpochMs,
      last: this.last as PriceTicks,
      lastSize: this.lastSize as SizeLots,
      bid: this.bid as PriceTicks,
      ask: this.ask as PriceTicks,
      open: this.open as PriceTicks,
      high: this.high as PriceTicks,
      low: this.low as PriceTicks,
      volume: this.volume,
      sessionStartMs: this.sessionStartMs as EpochMs,
      candles,
    };
  }
}
