// The dashboard's market state, fed by the client's ingest (@tickwire/client MarketFeed: its 'snapshot',
// 'record' and 'resync' events) and kept outside Svelte reactivity: records fold straight into plain
// objects (no allocation per tick). The UI gets immutable views built on the render cadence, at most once
// per frame: watchlist rows and health (rows.ts), the tape (tape.ts), stats (stats.ts).
import type { FeedSymbol, MarketFeed, SnapshotEvent, StaleReason, Staleness } from '@tickwire/client';
import { FRESHNESS } from '@tickwire/client/freshness';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import type { FrameHeader, Tick } from '@tickwire/protocol/messages';
import { MAX_CANDLES_PER_PAGE } from '@tickwire/protocol/candles';
import { scaleFactor } from '@tickwire/protocol/units';
import { WatchRows, type FeedHealth, type RowSource, type RowView } from './rows.js';
import { ScreenLatency, type FeedStats } from './stats.js';
import type { Candle } from '@tickwire/protocol/messages';
import { barsFromCandles, spliceNewest, type Bar } from '../chart/candles.js';
import { MAX_HISTORY_BARS, SymbolState, type BarBook, type ChartInterval, type RowMark } from './symbol.js';
import { TapeView, type TapeRow } from './tape.js';
import { AlertBook, type AlertChanges, type PriceAlert } from './alerts.js';
import type { WatchSort } from './columns.js';

/** One symbol as the debug hook (debug.ts) shows it; declared here, where it is built, so the store imports nothing of debug.ts. */
export interface SymbolDebug {
  ready: boolean;
  seq: number;
  epoch: number;
  last: number;
  bid: number;
  ask: number;
  volume: number;
  stale: StaleReason | null;
  mark: RowMark | null;
}

export interface StoreOptions {
  /** The client's ingest (TickwireClient.feed): what applies, when it is stale. */
  feed: MarketFeed;
  /** Something visible changed: schedule a frame. */
  onDirty(): void;
  /** Wall clock in epoch ms with sub-ms precision (the same clock the feed was given). */
  now?: () => number;
  /** A page of the history service (@tickwire/client fetchCandles); without it charts show what snapshots and ticks bring. */
  history?: (symbol: string, interval: ChartInterval, before: number | undefined, limit: number) => Promise<HistoryPage>;
  /** A trade fired or re-armed price alerts (called synchronously from the trade's handler). */
  onAlert?: (changes: AlertChanges, symbol: string) => void;
}

/** What the store needs of a history page (the client's CandleHistory has it). */
export interface HistoryPage {
  candles: readonly Candle[];
  next: number | null;
}

/** Bars per history request: the server's largest page, so a month of 1 m bars is ~45 requests. */
export const HISTORY_PAGE = MAX_CANDLES_PER_PAGE;
/**
 * Older pages fetched by one scroll-back load: 1, 2, 4, … up to this many. Each load re-sets every bar the
 * chart holds (lightweight-charts cannot prepend), so a month of 1 m bars loaded page by page would cost
 * ~45 reloads of a growing set; doubling makes it ~8 and keeps the total work linear in the bars.
 */
export const MAX_PAGES_PER_LOAD = 16;
/** Pause after a failed history request before the next one for that book. */
const HISTORY_RETRY_MS = 5000;

export class MarketStore implements RowSource {
  private readonly symbols = new Map<string, SymbolState>();
  private catalogue = new Map<string, InstrumentInfo>();
  order: readonly string[] = [];
  private readonly feed: MarketFeed;
  private readonly watchRows = new WatchRows(this);
  private readonly tapeView = new TapeView();
  private readonly latency = new ScreenLatency();
  private readonly alerts = new AlertBook();
  private readonly now: () => number;
  private readonly detach: Array<() => void>;

  constructor(private readonly options: StoreOptions) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.feed = options.feed;
    this.detach = [this.feed.on('snapshot', this.onSnapshot), this.feed.on('record', this.onRecord), this.feed.on('resync', this.onResync)];
  }

  /** Stops listening to the feed. */
  dispose(): void {
    for (const off of this.detach.splice(0)) off();
  }

  // -- configuration ------------------------------------------------------------------------------

  setCatalogue(list: readonly InstrumentInfo[]): void {
    this.catalogue = new Map(list.map((s) => [s.ticker, s]));
    this.feed.setInstruments(list);
    for (const s of this.symbols.values()) this.applyInfo(s);
    this.watchRows.invalidate();
    this.options.onDirty();
  }

  /** The price alerts to evaluate on every trade (replaced wholesale when the user edits the list). */
  setAlerts(alerts: readonly PriceAlert[]): void {
    this.alerts.load(alerts);
    this.watchRows.invalidate();
    this.options.onDirty();
  }

  /** Orders the watchlist rows by a column; null keeps the watchlist's order. */
  setSort(sort: WatchSort | null): void {
    this.watchRows.setSort(sort);
    this.options.onDirty();
  }

  /** The current price of `ticker` in price units; NaN before its first snapshot. */
  lastPrice(ticker: string): number {
    const s = this.symbols.get(ticker);
    return s?.seeded === true ? s.last / scaleFactor(s.priceScale) : NaN;
  }

  /** Runs the symbol's alerts against its latest price; cheap when it has none. */
  private checkAlerts(s: SymbolState): void {
    if (!this.alerts.has(s.ticker)) return;
    const changes = this.alerts.onTrade(s.ticker, s.last / scaleFactor(s.priceScale), this.now());
    if (changes === null) return;
    this.watchRows.invalidate();
    this.options.onAlert?.(changes, s.ticker);
  }

  info(ticker: string): InstrumentInfo | undefined {
    return this.catalogue.get(ticker);
  }

  /** The watched symbols, in display order. State of removed symbols is dropped. */
  setWatched(tickers: readonly string[]): void {
    this.order = [...tickers];
    const keep = new Set(tickers);
    for (const ticker of this.symbols.keys()) {
      if (keep.has(ticker)) continue;
      this.symbols.delete(ticker);
      this.watchRows.forget(ticker);
    }
    for (const ticker of tickers) {
      if (this.symbols.has(ticker)) continue;
      const s = new SymbolState(ticker, this.options.history !== undefined);
      this.applyInfo(s);
      this.symbols.set(ticker, s);
    }
    this.watchRows.invalidate();
    this.options.onDirty();
  }

  private applyInfo(s: SymbolState): void {
    const info = this.catalogue.get(s.ticker);
    if (info === undefined || s.seeded) return;
    s.priceScale = info.priceScale;
    s.sizeScale = info.sizeScale;
  }

  symbol(ticker: string): SymbolState | undefined {
    return this.symbols.get(ticker);
  }

  /** The bars of `ticker` at `interval`; a book snapshots do not fill is created and seeded from the history service. */
  book(ticker: string, interval: ChartInterval): BarBook | undefined {
    const s = this.symbols.get(ticker);
    if (s === undefined) return undefined;
    const book = s.bookFor(interval);
    if (book.needsSeed && s.seeded) this.requestHistory(s, book, undefined);
    return book;
  }

  /**
   * The chart was scrolled near its oldest bar: fetch the pages before it (one load at a time, each twice
   * the pages of the last, until none is left or the book holds MAX_HISTORY_BARS).
   */
  loadOlder(ticker: string, interval: ChartInterval): void {
    const s = this.symbols.get(ticker);
    const book = s?.books.get(interval);
    const first = book?.bars[0];
    if (s === undefined || book === undefined || first === undefined || book.needsSeed || book.next === null) return;
    if (book.bars.length >= MAX_HISTORY_BARS) return;
    const room = Math.ceil((MAX_HISTORY_BARS - book.bars.length) / HISTORY_PAGE);
    this.requestHistory(s, book, first.time, Math.min(room, MAX_PAGES_PER_LOAD, 2 ** book.olderLoads));
  }

  /**
   * `before` undefined: the newest page (seeding); otherwise up to `pages` pages older than the book's
   * first bar, fetched one after another and published together (one chart reload).
   */
  private requestHistory(s: SymbolState, book: BarBook, before: number | undefined, pages = 1): void {
    const fetchPage = this.options.history;
    if (fetchPage === undefined || book.loading || this.now() < book.retryAt) return;
    book.loading = true;
    const current = () => this.symbols.get(s.ticker) === s && s.books.get(book.intervalSec) === book;
    const publish = () => {
      book.generation++;
      book.version++;
      this.options.onDirty();
    };
    if (before === undefined) {
      fetchPage(s.ticker, book.intervalSec, undefined, HISTORY_PAGE).then(
        (page) => {
          book.loading = false;
          if (!current()) return;
          book.bars = spliceNewest(book.bars, barsFromCandles(page.candles), book.maxBars);
          book.needsSeed = false;
          if (book.next === undefined) book.next = page.next;
          publish();
        },
        () => {
          book.loading = false;
          book.retryAt = this.now() + HISTORY_RETRY_MS;
        },
      );
      return;
    }
    // Older pages, newest first; each page's `next` is the following one's `before`.
    const older: Bar[][] = [];
    const done = (failed: boolean) => {
      book.loading = false;
      if (failed) book.retryAt = this.now() + HISTORY_RETRY_MS;
      if (!current()) return;
      book.olderLoads++;
      // Only what is older than the book's first bar now (a repair may have moved it meanwhile).
      const first = book.bars[0]?.time ?? Infinity;
      const front = older
        .reverse()
        .flat()
        .filter((b) => b.time < first);
      if (front.length === 0) return;
      book.bars = front.concat(book.bars);
      book.maxBars = Math.min(MAX_HISTORY_BARS, Math.max(book.maxBars, book.bars.length));
      publish();
    };
    const fetchFrom = (cursor: number, left: number): void => {
      fetchPage(s.ticker, book.intervalSec, cursor, HISTORY_PAGE).then(
        (page) => {
          if (!current()) {
            book.loading = false;
            return;
          }
          const bars = barsFromCandles(page.candles);
          older.push(bars);
          book.next = page.next;
          if (left > 1 && page.next !== null && page.next < cursor) fetchFrom(page.next, left - 1);
          else done(false);
        },
        () => done(true),
      );
    };
    fetchFrom(before, pages);
  }

  /** The server refused these symbols: show why instead of waiting forever. */
  markRejected(tickers: readonly string[], why: string): void {
    for (const t of tickers) {
      const s = this.symbols.get(t);
      if (s === undefined) continue;
      s.rejected = why;
      s.version++;
    }
    this.watchRows.invalidate();
    this.options.onDirty();
  }

  // -- the client's events ------------------------------------------------------------------------

  private readonly onSnapshot = (snap: SnapshotEvent): void => {
    const s = this.symbols.get(snap.ticker);
    if (s === undefined) return;
    // New feed epoch: seqs restart, so old trades would collide with new ones on the tape.
    if (snap.epochChanged) s.clearTape();
    s.applySnapshot(snap.raw);
    if (snap.repaired) this.setMark(s, 'resynced', this.now());
    this.checkAlerts(s);
    this.options.onDirty();
  };

  /** Per applied record, allocation-free: `t` is the client's scratch record. */
  private readonly onRecord = (t: Readonly<Tick>, fs: Readonly<FeedSymbol>, header: FrameHeader, conflated: boolean): void => {
    const s = this.symbols.get(fs.ticker);
    if (s === undefined) return;
    if (conflated) {
      // A jump on purpose: the latest state, not a gap. No latency sample (its trade may be old).
      s.applyConflated(t);
      this.setMark(s, 'conflated', this.now());
    } else {
      s.applyTick(t);
      this.latency.trade(t.eventTimeMs, header.sendTimeMs, this.now());
    }
    this.checkAlerts(s);
    this.options.onDirty();
  };

  /** The client voided the symbol (gap, epoch change): the row shows it resyncing until the snapshot. */
  private readonly onResync = (event: { ticker: string }): void => {
    const s = this.symbols.get(event.ticker);
    if (s === undefined) return;
    s.version++;
    this.options.onDirty();
  };

  private setMark(s: SymbolState, mark: RowMark, now: number): void {
    s.mark = mark;
    s.markUntil = now + FRESHNESS.markMs;
    s.version++;
  }

  // -- RowSource ----------------------------------------------------------------------------------

  name(ticker: string): string {
    return this.catalogue.get(ticker)?.name ?? '';
  }

  hasAlert(ticker: string): boolean {
    return this.alerts.has(ticker);
  }

  ready(ticker: string): boolean {
    return this.feed.symbol(ticker)?.ready === true;
  }

  staleness(s: SymbolState, now: number, feedStalledFor: number | null): Staleness | null {
    // Refused rows have nothing that could be stale; the feed judges the rest (unseeded: nothing yet).
    if (s.rejected !== null) return null;
    return this.feed.staleness(s.ticker, now, feedStalledFor);
  }

  feedStalledFor(now: number): number | null {
    return this.feed.feedStalledFor(now);
  }

  // -- views, once per render flush ---------------------------------------------------------------

  get stats(): FeedStats {
    return this.latency.stats(this.feed.counters);
  }

  /** Turns ticks shown by this flush into latency samples and refreshes the rolling stats. */
  sampleFrame(): void {
    this.latency.sampleFrame(this.now());
  }

  rows(): RowView[] {
    return this.watchRows.rows(this.now());
  }

  health(): FeedHealth {
    return this.watchRows.health(this.now());
  }

  freshnessChanged(): boolean {
    return this.watchRows.freshnessChanged(this.now());
  }

  hasFlash(): boolean {
    return this.watchRows.hasFlash();
  }

  /** The display time zone changed: the tape's rows are formatted again on the next frame. */
  reformatTape(): void {
    this.tapeView.invalidate();
  }

  /** Trade tape of `ticker`, newest first; the same array while nothing changed. */
  tape(ticker: string | null): TapeRow[] {
    return this.tapeView.rows(ticker, ticker === null ? undefined : this.symbols.get(ticker));
  }

  /** Small summary for tests and the debug hook. */
  debugSymbols(): Record<string, SymbolDebug> {
    const out: Record<string, SymbolDebug> = {};
    const now = this.now();
    const feedStalledFor = this.feed.feedStalledFor(now);
    for (const [t, s] of this.symbols) {
      const fs = this.feed.symbol(t);
      out[t] = {
        ready: fs?.ready === true,
        seq: fs?.seq ?? 0,
        epoch: fs?.epoch ?? 0,
        last: s.last,
        bid: s.bid,
        ask: s.ask,
        volume: s.volume,
        stale: this.staleness(s, now, feedStalledFor)?.reason ?? null,
        mark: s.mark !== null && now < s.markUntil ? s.mark : null,
      };
    }
    return out;
  }
}
