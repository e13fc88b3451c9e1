// The candle-bar rule: which bar a trade's event time lands in, per interval. The server's candle rings
// and the dashboard's live bars both fold ticks with it, so a chart rebuilt from a snapshot matches one
// built from live ticks.
import { barStart, type UtcSeconds } from './units.js';

/**
 * The bar a trade at `eventTimeMs` belongs to, given the time of the newest bar (null: no bar yet):
 * its own bar start (floor(sec / interval) · interval, UTC) when that is past the newest bar — a new bar
 * opens — otherwise the newest bar itself. A trade stamped before the newest bar (feed clock stepped
 * back) folds into the newest bar too, so bar times never go backwards. A new bar opens exactly when the
 * answer differs from `newestBarTime`.
 */
export function barTimeFor(eventTimeMs: number, intervalSec: number, newestBarTime: number | null): UtcSeconds {
  const start = barStart(eventTimeMs, intervalSec);
  return newestBarTime !== null && start <= newestBarTime ? (newestBarTime as UtcSeconds) : start;
}

/**
 * Every bar interval the history service (GET /api/candles) serves, in seconds: 1 s, 5 s, 1 m, 5 m, 15 m,
 * 1 h, 4 h, 1 D. Each divides a UTC day, so barStart (floor to a multiple of the interval since the epoch)
 * puts 4 h bars at 00/04/…/20 UTC and daily bars at UTC midnight. Snapshots carry only the first four
 * (CANDLE_INTERVALS in messages.ts), so they stay small.
 */
export const HISTORY_INTERVALS = [1, 5, 60, 300, 900, 3600, 14_400, 86_400] as const;
export type HistoryInterval = (typeof HISTORY_INTERVALS)[number];

/** Labels of the history intervals, as the API accepts them and the dashboard shows them. */
export const HISTORY_INTERVAL_LABELS: Readonly<Record<HistoryInterval, string>> = {
  1: '1s',
  5: '5s',
  60: '1m',
  300: '5m',
  900: '15m',
  3600: '1h',
  14_400: '4h',
  86_400: '1D',
};

/** `text` as a history interval: a label ("15m", "1D") or its seconds ("900"); null for anything else. */
export function parseHistoryInterval(text: string): HistoryInterval | null {
  for (const interval of HISTORY_INTERVALS) {
    if (text === HISTORY_INTERVAL_LABELS[interval] || text === String(interval)) return interval;
  }
  return null;
}

/** Most bars one /api/candles answer holds (and its default). */
export const MAX_CANDLES_PER_PAGE = 1000;
export const DEFAULT_CANDLES_PER_PAGE = 500;

/**
 * A page of GET /api/candles (docs/protocol.md): bars oldest first in columns, prices in integer ticks of
 * 10^-priceScale, volume in lots of 10^-sizeScale. `next` is the `before` of the next older page (the
 * oldest time returned), null when nothing older exists. `openBar` says the newest bar is still forming.
 */
export interface CandlesPage {
  symbol: string;
  interval: number;
  priceScale: number;
  sizeScale: number;
  time: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  next: number | null;
  openBar: boolean;
}
