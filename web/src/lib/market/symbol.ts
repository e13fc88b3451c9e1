// What the dashboard shows of one watched symbol, kept outside Svelte reactivity: a plain object the
// store mutates per applied record (quote, session stats, candles per interval, recent trades). Which
// records apply — seq, epoch, gaps, freshness — is the client's business (@tickwire/client MarketFeed);
// the UI reads this once per render flush through the store's immutable views.
import { CANDLE_INTERVALS, type SnapshotFrame, type Tick } from '@tickwire/protocol/messages';
import type { HistoryInterval } from '@tickwire/protocol/candles';
import { barsFromCandles, foldTick, mergeBars, trimBars, MAX_BARS, type Bar } from '../chart/candles.js';
import { SparkSeries } from './spark.js';

/** Any interval the server keeps history for; snapshots carry only CANDLE_INTERVALS' four. */
export type ChartInterval = HistoryInterval;

/** Most bars a book grows to as the user scrolls back: the server's month of 1 m bars and then some. */
export const MAX_HISTORY_BARS = 50_000;

/** Bars of one interval plus change counters the chart sync reads. */
export interface BarBook {
  readonly intervalSec: ChartInterval;
  bars: Bar[];
  /** Bumped when `bars` is replaced (snapshot merge, older page): charts must reload instead of appending. */
  generation: number;
  /** Bumped on every change. */
  version: number;
  /** Bars kept: MAX_BARS, raised as older pages are loaded so live trimming never drops what was fetched. */
  maxBars: number;
  /** The server's cursor for the next older page: undefined before the first fetch, null when none is left. */
  next: number | null | undefined;
  /** A history request for this book is in flight. */
  loading: boolean;
  /** Loads of older history so far: each fetches twice the pages of the one before (store.loadOlder). */
  olderLoads: number;
  /**
   * The newest bars must come from the history service (an interval snapshots do not carry, or one after a
   * repair): until they do, ticks do not fold in, so the page and local bars never count a trade twice.
   */
  needsSeed: boolean;
  /** After a failed request, no other before this time (epoch ms). */
  retryAt: number;
}

function newBook(intervalSec: ChartInterval, needsSeed: boolean): BarBook {
  return { intervalSec, bars: [], generation: 0, version: 0, maxBars: MAX_BARS, next: undefined, loading: false, olderLoads: 0, needsSeed, retryAt: 0 };
}

/** One trade of the tape; ring slots are reused, so readers copy what they keep. */
export interface Trade {
  seq: number;
  timeMs: number;
  price: number;
  size: number;
  /** +1 uptick, −1 downtick; a zero tick keeps the previous direction (the "tick test"). */
  dir: 1 | -1 | 0;
}

export const TAPE_CAPACITY = 128;

/** A brief mark on the row: repaired with a fresh snapshot after lost data, or jumped by conflation. */
export type RowMark = 'resynced' | 'conflated';

export class SymbolState {
  /** Set once a snapshot has ever arrived (rows show dashes until then). */
  seeded = false;
  /** The server refused the symbol (unknown, limit reached): why, for the row. */
  rejected: string | null = null;
  mark: RowMark | null = null;
  markUntil = 0;

  id = -1;
  priceScale = 2;
  sizeScale = 0;
  last = 0;
  lastSize = 0;
  lastTimeMs = 0;
  bid = 0;
  ask = 0;
  open = 0;
  high = 0;
  low = 0;
  volume = 0;
  /** Bumped on any visible change (row re-format is skipped when unchanged). */
  version = 0;
  /** One-minute closes for the row's sparkline. */
  readonly spark = new SparkSeries();

  /**
   * The snapshot intervals from the start; the others only once a chart shows them (bookFor), so ticks
   * fold into no more books than are on screen.
   */
  readonly books: Map<ChartInterval, BarBook>;

  private readonly tape: Trade[] = [];
  private tapeNext = 0;
  tapeVersion = 0;

  /**
   * `fromHistory`: a history service is there, so every book takes its newest page from it on first
   * display (a snapshot's series hold only `history` bars, and none at all for the longer intervals).
   */
  constructor(
    readonly ticker: string,
    private readonly fromHistory = false,
  ) {
    this.books = new Map(CANDLE_INTERVALS.map((intervalSec) => [intervalSec, newBook(intervalSec, fromHistory)]));
  }

  /** The book of `interval`, created (empty, to be seeded from the history service) on first use. */
  bookFor(interval: ChartInterval): BarBook {
    let book = this.books.get(interval);
    if (book === undefined) {
      book = newBook(interval, this.fromHistory);
      this.books.set(interval, book);
    }
    return book;
  }

  /** Applies a snapshot: quote and session stats replaced, candle history merged (see mergeBars). */
  applySnapshot(s: SnapshotFrame): void {
    this.id = s.symbolId;
    this.priceScale = s.priceScale;
    this.sizeScale = s.sizeScale;
    this.last = s.last;
    this.lastSize = s.lastSize;
    this.lastTimeMs = s.lastTimeMs;
    this.bid = s.bid;
    this.ask = s.ask;
    this.open = s.open;
    this.high = s.high;
    this.low = s.low;
    this.volume = s.volume;
    this.seeded = true;
    this.rejected = null;
    const minutes = s.candles.find((c) => c.intervalSec === 60);
    if (minutes !== undefined && minutes.candles.length > 0) this.spark.seed(barsFromCandles(minutes.candles));
    if (s.lastTimeMs > 0) this.spark.add(s.lastTimeMs, s.last);
    for (const book of this.books.values()) {
      const series = s.candles.find((c) => c.intervalSec === book.intervalSec);
      // Not in the snapshot: ticks may have been missed (this is a repair or a first load), so the
      // newest page comes from the history service again.
      if (series === undefined) {
        book.needsSeed = this.fromHistory;
        continue;
      }
      book.bars = mergeBars(book.bars, barsFromCandles(series.candles), book.maxBars);
      book.generation++;
      book.version++;
    }
    this.version++;
  }

  /**
   * Folds a conflated record: the latest trade and quote after ticks skipped on purpose. Price, quote
   * and the current bar's high/low/close follow it; volumes do not, since the skipped trades' sizes are
   * unknown (a later snapshot brings exact figures back).
   */
  applyConflated(t: Tick): void {
    this.fold(t, 0);
  }

  /** Folds one in-sequence trade (the caller has classified it as 'apply'). */
  applyTick(t: Tick): void {
    this.fold(t, t.size);
  }

  /** Takes a trade as the latest state; `volume` is what it adds to session and bar volumes. */
  private fold(t: Tick, volume: number): void {
    const previous = this.last;
    this.last = t.price;
    this.lastSize = t.size;
    this.lastTimeMs = t.eventTimeMs;
    this.bid = t.bid;
    this.ask = t.ask;
    // A symbol with no trade yet this session (a new ingested one) opens at its first trade, as the server's state does.
    if (this.open === 0) this.open = t.price;
    if (t.price > this.high || this.high === 0) this.high = t.price;
    if (t.price < this.low || this.low === 0) this.low = t.price;
    this.volume += volume;
    this.spark.add(t.eventTimeMs, t.price);
    for (const book of this.books.values()) {
      if (book.needsSeed) continue;
      foldTick(book.bars, t.eventTimeMs, t.price, volume, book.intervalSec);
      if (trimBars(book.bars, book.maxBars) > 0) book.generation++;
      book.version++;
    }
    // A conflated record is a real trade too, the latest one: the tape shows it.
    this.pushTrade(t, previous);
    this.version++;
  }

  private pushTrade(t: Tick, previousPrice: number): void {
    const prevTrade = this.tape[(this.tapeNext + TAPE_CAPACITY - 1) % TAPE_CAPACITY];
    const dir: 1 | -1 | 0 = t.price > previousPrice ? 1 : t.price < previousPrice ? -1 : (prevTrade?.dir ?? 0);
    let slot = this.tape[this.tapeNext];
    if (slot === undefined) {
      slot = { seq: 0, timeMs: 0, price: 0, size: 0, dir: 0 };
      this.tape[this.tapeNext] = slot;
    }
    slot.seq = t.seq;
    slot.timeMs = t.eventTimeMs;
    slot.price = t.price;
    slot.size = t.size;
    slot.dir = dir;
    this.tapeNext = (this.tapeNext + 1) % TAPE_CAPACITY;
    this.tapeVersion++;
  }

  /** Newest trades first (at most `limit`), only those with seq > `afterSeq`, copied out of the ring. */
  recentTrades(limit: number, afterSeq = -1): Trade[] {
    const out: Trade[] = [];
    const n = Math.min(limit, this.tape.length);
    for (let i = 1; i <= n; i++) {
      const t = this.tape[(this.tapeNext - i + TAPE_CAPACITY) % TAPE_CAPACITY];
      if (t === undefined || t.seq <= afterSeq) break;
      out.push({ ...t });
    }
    return out;
  }

  /** Forgets the tape (after a gap or an epoch change its continuity is unknown). */
  clearTape(): void {
    this.tape.length = 0;
    this.tapeNext = 0;
    this.tapeVersion++;
  }
}
