// The watchlist as the DOM shows it: one row of strings per symbol, rebuilt only when the symbol changed
// or its freshness did (stale seconds, a mark running out), with a calm price flash; and the health view
// (feed stalled, stale symbols) for the status bar and chart overlays. Reads the store, decides nothing
// about the data itself: staleness and readiness come from the client's feed.
import { wholeSeconds, type StaleReason, type Staleness } from '@tickwire/client/freshness';
import { DASH, formatAge, formatChange, formatPercent, formatPrice, formatVolume } from '../format.js';
import type { RowMark, SymbolState } from './symbol.js';
import { sortSymbols, type WatchSort } from './columns.js';
import { sparkPath } from './spark.js';

export type RowStatus = 'pending' | 'live' | 'resync' | 'rejected';

/** One watchlist row as the DOM shows it: strings only, rebuilt only when its symbol changed. */
export interface RowView {
  ticker: string;
  name: string;
  status: RowStatus;
  note: string;
  last: string;
  change: string;
  changePct: string;
  /** Sign of the change since session open: colours change and change %. */
  trend: 1 | -1 | 0;
  bid: string;
  ask: string;
  volume: string;
  /** Session high and low, and the quoted spread (ask − bid), in price units. */
  high: string;
  low: string;
  spread: string;
  /** Sparkline of one-minute closes: SVG polyline points ('' too few) and the session open's y (−1 unknown). */
  spark: string;
  sparkBase: number;
  /** The symbol has a price alert waiting (armed or to re-arm). */
  alert: boolean;
  /** Tint of the last price: +1 just ticked up, −1 down, 0 none. */
  flash: 1 | -1 | 0;
  /** Not current: nothing reached us for the symbol ('silent') or the feed stopped trading ('feed'). */
  stale: StaleReason | null;
  /** Badge text while stale, e.g. "stale 7s". */
  staleLabel: string;
  /** Why, for the tooltip: "no data for 7 s" / "feed stalled: no trades for 7 s". */
  staleNote: string;
  /** Brief mark after a repair or a conflated jump (FRESHNESS.markMs). */
  mark: RowMark | null;
  /** Event time of the last trade (epoch ms; 0 unknown), for the "last trade N s ago" tooltip. */
  lastTradeMs: number;
}

/** Freshness of the whole view, republished only when it changes (status bar, chart overlays). */
export interface FeedHealth {
  /** Seconds without trades while heartbeats still arrive (feed stalled at the source); null otherwise. */
  feedStalledSec: number | null;
  /** Stale symbols → short reason for chart badges ("no data for 7 s", "no trades for 7 s"). */
  stale: Readonly<Record<string, string>>;
  /** Symbols stale because nothing reached us for them (connection, server or conflation). */
  silentCount: number;
}

/** What the rows read of the market state. */
export interface RowSource {
  readonly order: readonly string[];
  symbol(ticker: string): SymbolState | undefined;
  /** Instrument name for the row ('' unknown). */
  name(ticker: string): string;
  /** Whether the client's seq state for the symbol is usable (false while it waits for a repair). */
  ready(ticker: string): boolean;
  /** Whether a live price alert watches the symbol. */
  hasAlert(ticker: string): boolean;
  staleness(s: SymbolState, now: number, feedStalledFor: number | null): Staleness | null;
  feedStalledFor(now: number): number | null;
}

/** At most one flash per row this often: a calm pulse rather than a strobe at 20 ticks/s. */
const FLASH_MIN_INTERVAL_MS = 900;
/**
 * How long a flash tint stays on. It is a discrete on/off (cleared by a later publish), not a CSS
 * animation: a running animation makes the browser render every vsync, which at 50 rows costs more
 * main-thread time than everything else on screen.
 */
const FLASH_ON_MS = 300;
/** The sparkline is redrawn at most this often per row (its newest point moves with every trade). */
const SPARK_REDRAW_MS = 1_000;

interface RowCache {
  version: number;
  /** freshnessKey() when the row was built: staleness and marks change with time alone. */
  fresh: string;
  row: RowView;
  /** Price at the last flash, and when it started. */
  flashRef: number;
  flashAt: number;
  /** Spark series version drawn, and when. */
  sparkVersion: number;
  sparkAt: number;
}

export class WatchRows {
  private readonly cache = new Map<string, RowCache>();
  private view: RowView[] = [];
  /** The list or the catalogue changed: rebuild every row on the next rows(). */
  private dirty = true;
  private healthKey = '';
  private healthView: FeedHealth = { feedStalledSec: null, stale: {}, silentCount: 0 };
  private sort: WatchSort | null = null;
  /** Manual position of each ticker: ties and unknown values keep it. */
  private rank = new Map<string, number>();

  constructor(private readonly source: RowSource) {}

  /** Orders the rows by a column (null: the watchlist's own order). */
  setSort(sort: WatchSort | null): void {
    this.sort = sort;
    this.dirty = true;
  }

  invalidate(): void {
    this.dirty = true;
  }

  forget(ticker: string): void {
    this.cache.delete(ticker);
  }

  /** What the row shows of freshness, as a key: the row is rebuilt when it changes (at most 1/s). */
  private freshnessKey(s: SymbolState, now: number, feedStalledFor: number | null): string {
    const stale = this.source.staleness(s, now, feedStalledFor);
    const mark = s.mark !== null && now < s.markUntil ? s.mark : '';
    return stale === null ? mark : `${stale.reason}${wholeSeconds(stale.forMs)}${mark}`;
  }

  /**
   * True when some row's freshness (stale state, its seconds, a mark running out) changed since rows()
   * last built it: the caller republishes the rows. Cheap: a few comparisons per symbol.
   */
  freshnessChanged(now: number): boolean {
    const feedStalledFor = this.source.feedStalledFor(now);
    for (const ticker of this.source.order) {
      const s = this.source.symbol(ticker);
      const cache = this.cache.get(ticker);
      if (s !== undefined && cache !== undefined && cache.fresh !== this.freshnessKey(s, now, feedStalledFor)) return true;
    }
    return false;
  }

  /** Status bar and chart overlays: the same object while nothing changed. */
  health(now: number): FeedHealth {
    const feedStalledFor = this.source.feedStalledFor(now);
    const stale: Record<string, string> = {};
    let silentCount = 0;
    let key = feedStalledFor === null ? '' : String(wholeSeconds(feedStalledFor));
    for (const ticker of this.source.order) {
      const s = this.source.symbol(ticker);
      const st = s === undefined ? null : this.source.staleness(s, now, feedStalledFor);
      if (st === null) continue;
      if (st.reason === 'silent') silentCount++;
      stale[ticker] = staleNote(st, true);
      key += `|${ticker}:${stale[ticker]}`;
    }
    if (key !== this.healthKey) {
      this.healthKey = key;
      this.healthView = { feedStalledSec: feedStalledFor === null ? null : wholeSeconds(feedStalledFor), stale, silentCount };
    }
    return this.healthView;
  }

  /** Watchlist rows; unchanged symbols keep their previous row object (cheap keyed updates). */
  rows(now: number): RowView[] {
    const feedStalledFor = this.source.feedStalledFor(now);
    let changed = this.dirty;
    if (this.dirty) this.rank = new Map(this.source.order.map((t, i) => [t, i]));
    const symbols: SymbolState[] = [];
    for (const ticker of this.source.order) {
      const s = this.source.symbol(ticker);
      if (s !== undefined) symbols.push(s);
    }
    if (this.sort !== null) sortSymbols(symbols, this.sort, this.rank);
    const next: RowView[] = [];
    for (const s of symbols) {
      const ticker = s.ticker;
      let cache = this.cache.get(ticker);
      const flashEnded = cache !== undefined && cache.row.flash !== 0 && now - cache.flashAt >= FLASH_ON_MS;
      const fresh = this.freshnessKey(s, now, feedStalledFor);
      if (cache === undefined || cache.version !== s.version || cache.fresh !== fresh || this.dirty || flashEnded) {
        cache = this.buildRow(s, cache, now, feedStalledFor, fresh);
        this.cache.set(ticker, cache);
        changed = true;
      }
      if (this.view[next.length] !== cache.row) changed = true; // a row moved (sorted by a live value)
      next.push(cache.row);
    }
    if (next.length !== this.view.length) changed = true;
    this.dirty = false;
    if (changed) this.view = next;
    return this.view;
  }

  /** A flash is showing: rows must be republished once more to clear it. */
  hasFlash(): boolean {
    for (const row of this.view) if (row.flash !== 0) return true;
    return false;
  }

  private buildRow(s: SymbolState, previous: RowCache | undefined, now: number, feedStalledFor: number | null, fresh: string): RowCache {
    let flashRef = previous?.flashRef ?? s.last;
    let flashAt = previous?.flashAt ?? -Infinity;
    let flash: 1 | -1 | 0 = previous !== undefined && now - flashAt < FLASH_ON_MS ? previous.row.flash : 0;
    // Only the symbol's own change flashes (not a rebuild of every row, e.g. when the list changes).
    const moved = previous === undefined || previous.version !== s.version;
    if (moved && s.seeded && s.last !== flashRef && now - flashAt >= FLASH_MIN_INTERVAL_MS) {
      if (flashRef !== 0) flash = s.last > flashRef ? 1 : -1;
      flashRef = s.last;
      flashAt = now;
    }
    const status: RowStatus = s.rejected !== null ? 'rejected' : !s.seeded ? 'pending' : this.source.ready(s.ticker) ? 'live' : 'resync';
    const delta = s.last - s.open;
    const seeded = s.seeded;
    const stale = this.source.staleness(s, now, feedStalledFor);
    let sparkVersion = previous?.sparkVersion ?? -1;
    let sparkAt = previous?.sparkAt ?? -Infinity;
    let spark = previous?.row.spark ?? '';
    let sparkBase = previous?.row.sparkBase ?? -1;
    if (s.spark.version !== sparkVersion && (now - sparkAt >= SPARK_REDRAW_MS || spark === '')) {
      const path = sparkPath(s.spark.values(), seeded ? s.open : 0);
      spark = path.points;
      sparkBase = path.baseY;
      sparkVersion = s.spark.version;
      sparkAt = now;
    }
    const row: RowView = {
      ticker: s.ticker,
      name: this.source.name(s.ticker),
      status,
      note: s.rejected ?? (status === 'resync' ? 'resyncing' : status === 'pending' ? 'waiting for snapshot' : ''),
      last: seeded ? formatPrice(s.last, s.priceScale) : DASH,
      change: seeded ? formatChange(delta, s.priceScale) : DASH,
      changePct: seeded ? formatPercent(delta, s.open) : DASH,
      trend: !seeded || delta === 0 ? 0 : delta > 0 ? 1 : -1,
      bid: seeded && s.bid > 0 ? formatPrice(s.bid, s.priceScale) : DASH,
      ask: seeded && s.ask > 0 ? formatPrice(s.ask, s.priceScale) : DASH,
      volume: seeded ? formatVolume(s.volume, s.sizeScale) : DASH,
      high: seeded && s.high > 0 ? formatPrice(s.high, s.priceScale) : DASH,
      low: seeded && s.low > 0 ? formatPrice(s.low, s.priceScale) : DASH,
      spread: seeded && s.bid > 0 && s.ask > 0 ? formatPrice(s.ask - s.bid, s.priceScale) : DASH,
      spark,
      sparkBase,
      alert: this.source.hasAlert(s.ticker),
      // A stale price does not flash: nothing about it is news.
      flash: stale === null ? flash : 0,
      stale: stale?.reason ?? null,
      staleLabel: stale === null ? '' : `stale ${wholeSeconds(stale.forMs)}s`,
      staleNote: stale === null ? '' : staleNote(stale),
      mark: s.mark !== null && now < s.markUntil ? s.mark : null,
      lastTradeMs: seeded ? s.lastTimeMs : 0,
    };
    return { version: s.version, fresh, row, flashRef, flashAt, sparkVersion, sparkAt };
  }
}

/** Why a symbol is stale, as a tooltip (or, `short`, for a badge). */
export function staleNote(st: Staleness, short = false): string {
  const sec = wholeSeconds(st.forMs);
  if (st.reason === 'silent') return `no data for ${sec} s`;
  return short ? `no trades for ${sec} s` : `feed stalled: no trades for ${sec} s (server connected)`;
}

/**
 * The row's tooltip, built when the pointer arrives (ages change every second; keeping every row's
 * title current would rebuild all rows each second for text nobody is reading). The age of the last
 * trade is what tells a quiet market from frozen data.
 */
export function rowTooltip(row: RowView, now: number): string {
  const parts = [row.name ? `${row.ticker} · ${row.name}` : row.ticker];
  if (row.stale !== null) parts.push(`stale: ${row.staleNote}`);
  else if (row.note) parts.push(row.note);
  if (row.lastTradeMs > 0) parts.push(`last trade ${formatAge(now - row.lastTradeMs)} ago`);
  if (row.mark === 'resynced') parts.push('repaired with a fresh snapshot after lost data');
  if (row.mark === 'conflated') parts.push('caught up by conflation: ticks skipped while the connection was behind');
  return parts.join('\n');
}
