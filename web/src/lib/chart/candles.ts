// Client-side bars: folding live ticks into candles with the server's bar rules, merging fresh
// snapshot history into what the chart already shows (reconnects, gap recovery), and bounding history.
// Pure functions over plain arrays so the rules are unit-tested without a chart or a socket.
import { barTimeFor } from '@tickwire/protocol/candles';
import type { Candle } from '@tickwire/protocol/messages';

/** One bar in wire units: UTC-second time, prices in integer ticks, volume in lots. */
export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Bars kept per series (and per chart). */
export const MAX_BARS = 2_000;
/** Trim in chunks so the front splice is amortised rather than paid on every new bar. */
export const TRIM_SLACK = 100;

export type FoldResult = 'updated' | 'appended';

/**
 * Folds one trade into `bars` (mutated in place). A trade opens a new bar when its bar start
 * (floor(sec / interval) · interval, UTC) is past the newest bar; otherwise it updates the newest bar.
 * A trade stamped before the newest bar (feed clock stepped back) is folded into the newest bar, so
 * times never go backwards.
 */
export function foldTick(bars: Bar[], timeMs: number, price: number, size: number, intervalSec: number): FoldResult {
  const last = bars[bars.length - 1];
  const time = barTimeFor(timeMs, intervalSec, last?.time ?? null) as number;
  if (last === undefined || time !== last.time) {
    bars.push({ time, open: price, high: price, low: price, close: price, volume: size });
    return 'appended';
  }
  if (price > last.high) last.high = price;
  if (price < last.low) last.low = price;
  last.close = price;
  last.volume += size;
  return 'updated';
}

/** Drops the oldest bars once there are more than `max` + slack. Returns how many were dropped. */
export function trimBars(bars: Bar[], max = MAX_BARS, slack = TRIM_SLACK): number {
  const excess = bars.length - max;
  if (excess <= slack) return 0;
  bars.splice(0, excess);
  return excess;
}

/** Index of the first bar whose time is >= `time` (bars sorted by time). */
export function lowerBound(bars: readonly Bar[], time: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bars[mid] as Bar).time < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Snapshot candles as bars, sorted by time, one bar per time (a repeated time keeps the later one). */
export function barsFromCandles(candles: readonly Candle[]): Bar[] {
  const out: Bar[] = [];
  let sorted = true;
  for (let i = 1; i < candles.length; i++) {
    if ((candles[i] as Candle).time < (candles[i - 1] as Candle).time) {
      sorted = false;
      break;
    }
  }
  const list = sorted ? candles : [...candles].sort((a, b) => a.time - b.time);
  for (const c of list) {
    const bar: Bar = { time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
    const last = out[out.length - 1];
    if (last !== undefined && last.time === bar.time) out[out.length - 1] = bar;
    else out.push(bar);
  }
  return out;
}

/**
 * Merges fresh snapshot history into existing bars. The snapshot is authoritative from its first bar
 * on (it folds every tick up to its seq, including ones this client missed); older local bars are kept
 * so the chart does not lose history it already had. Result: strictly increasing times, at most `max`
 * bars. An empty snapshot series leaves the existing bars as they are.
 */
export function mergeBars(existing: readonly Bar[], snapshot: readonly Bar[], max = MAX_BARS): Bar[] {
  const first = snapshot[0];
  if (first === undefined) return existing.slice(Math.max(0, existing.length - max));
  const keep = lowerBound(existing, first.time);
  const start = Math.max(0, keep + snapshot.length - max);
  const out: Bar[] = [];
  for (let i = start; i < keep; i++) out.push(existing[i] as Bar);
  const skip = Math.max(0, start - keep);
  for (let i = skip; i < snapshot.length; i++) out.push({ ...(snapshot[i] as Bar) });
  return out;
}

/**
 * Puts a page of the history service's newest bars into `existing`: older local bars stay, the page is
 * authoritative over its own span, and local bars newer than the page (ticks folded after it was served)
 * stay after it. Strictly increasing times, at most `max` bars.
 */
export function spliceNewest(existing: readonly Bar[], page: readonly Bar[], max = MAX_BARS): Bar[] {
  const first = page[0];
  const last = page[page.length - 1];
  if (first === undefined || last === undefined) return existing.slice(Math.max(0, existing.length - max));
  const out = existing.slice(0, lowerBound(existing, first.time));
  for (const bar of page) out.push({ ...bar });
  for (let i = lowerBound(existing, last.time + 1); i < existing.length; i++) out.push(existing[i] as Bar);
  return out.slice(Math.max(0, out.length - max));
}

/** True when times are strictly increasing (no duplicates, no going back): the chart's invariant. */
export function strictlyIncreasing(times: ArrayLike<number>): boolean {
  for (let i = 1; i < times.length; i++) if ((times[i] as number) <= (times[i - 1] as number)) return false;
  return true;
}
