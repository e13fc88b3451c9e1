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
