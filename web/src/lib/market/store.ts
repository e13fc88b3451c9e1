// Market state of every watched symbol, fed frame by frame by the connection and kept outside Svelte
// reactivity: ticks are decoded straight into plain objects (no allocation per tick), and the UI gets
// immutable views (rows(), tape(), health()) built on the render cadence, at most once per frame.
import { decodeFrame, emptyTick, visitTicks } from '@tickwire/protocol/codec';
import { formatCursor } from '@tickwire/protocol/cursor';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { FrameType, type FrameHeader, type HelloFrame, type Tick } from '@tickwire/protocol/messages';
import { DASH, formatAge, formatChange, formatClockMs, formatPercent, formatPrice, formatVolume } from '../format.js';
import type { FrameSink } from '@tickwire/client/connection';
import { FRESHNESS, FeedWatch, symbolStaleness, wholeSeconds, type StaleReason, type Staleness } from '@tickwire/client/freshness';
import { SampleWindow, RateCounter } from './metrics.js';
import { checkHeartbeat, classifyTick, invalidate, seed } from '@tickwire/client/sequence';
import { SymbolState, type BarBook, type ChartInterval, type RowMark, type Trade } from './symbol.js';

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

export interface TapeRow {
  key: number;
  time: string;
  price: string;
  size: string;
  dir: 1 | -1 | 0;
}

export function emptyStats(): FeedStats {
  return {
    feedToScreenP50: null,
    serverToScreenP50: null,
    updatesPerSec: 0,
    snapshots: 0,
    duplicates: 0,
    gaps: 0,
    resyncs: 0,
    conflations: 0,
    epochChanges: 0,
    decodeErrors: 0,
  };
}

export interface FeedStats {
  /** Median now − tick eventTimeMs when the tick reached the screen (render flush), last 5 s: feed → screen. */
  feedToScreenP50: number | null;
  /** Median now − frame sendTimeMs (server → screen), last 5 s. */
  serverToScreenP50: number | null;
  updatesPerSec: number;
  /** Snapshots applied (initial loads, gap repairs, reconnects that could not resume). */
  snapshots: number;
  duplicates: number;
  gaps: number;
  /** Symbols asked for a fresh snapshot (gap repairs, unresolved epoch changes). */
  resyncs: number;
  /** Frames of conflated records applied: times the connection fell behind and was caught up. */
  conflations: number;
  epochChanges: number;
  decodeErrors: number;
}

export interface StoreOptions {
  /** Ask the connection for fresh snapshots (a subscribe of symbols already held). */
  requestResync(tickers: string[]): void;
  /** Something visible changed: schedule a frame. */
  onDirty(): void;
  /** Wall clock in epoch ms with sub-ms precision. */
  now?: () => number;
}

/** At most one flash per row this often: a calm pulse rather than a strobe at 20 ticks/s. */
const FLASH_MIN_INTERVAL_MS = 900;
/**
 * How long a flash tint stays on. It is a discrete on/off (cleared by a later publish), not a CSS
 * animation: a running animation makes the browser render every vsync, which at 50 rows costs more
 * main-thread time than everything else on screen.
 */
const FLASH_ON_MS = 300;
/** A symbol without a usable snapshot for this long gets a fresh one requested (rate-limited). */
const RESYNC_AFTER_MS = 2_500;
const LATENCY_WINDOW_MS = 5_000;
/** Pending latency samples kept between frames; a background tab (no frames) drops the rest. */
const PENDING_CAPACITY = 16_384;
export const TAPE_ROWS = 60;

interface RowCache {
  version: number;
  /** freshnessKey() when the row was built: staleness and marks change with time alone. */
  fresh: string;
  row: RowView;
  /** Price at the last flash, and when it started. */
  flashRef: number;
  flashAt: number;
}

export class MarketStore implements FrameSink {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly byId = new Map<number, SymbolState>();
  private catalogue = new Map<string, InstrumentInfo>();
  private order: string[] = [];
  private readonly rowCache = new Map<string, RowCache>();
  private readonly resyncAt = new Map<string, number>();
  private readonly resyncQueue = new Set<string>();
  /** Symbols put in the last resume cursor, and its epoch. */
  private resumeOffered: { epoch: number; tickers: Set<string> } | null = null;

  private readonly scratch: Tick = emptyTick();
  private readonly pendingEvent = new Float64Array(PENDING_CAPACITY);
  private readonly pendingSend = new Float64Array(PENDING_CAPACITY);
  private pendingCount = 0;
  private readonly feedLatency = new SampleWindow();
  private readonly serverLatency = new SampleWindow();
  private readonly rate = new RateCounter(5);

  readonly stats: FeedStats = emptyStats();
  private statsAt = 0;
  /** Heartbeat interval of the current session (Hello): staleness is counted in beats. */
  private heartbeatMs = 1000;
  private readonly feed = new FeedWatch();
  /** Local time of the frame being applied (set once per frame, read per tick). */
  private frameAt = 0;
  /** Per frame: ticks applied, and whether any was a conflated record. */
  private frameTrades = 0;
  private frameConflated = false;
  private healthKey = '';
  private healthView: FeedHealth = { feedStalledSec: null, stale: {}, silentCount: 0 };
  private rowsDirty = true;
  private rowsView: RowView[] = [];
  private tapeTicker: string | null = null;
  private tapeVersion = -1;
  private tapeView: TapeRow[] = [];
  private readonly now: () => number;

  constructor(private readonly options: StoreOptions) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  // -- configuration ------------------------------------------------------------------------------

  setCatalogue(list: readonly InstrumentInfo[]): void {
    this.catalogue = new Map(list.map((s) => [s.ticker, s]));
    for (const s of this.symbols.values()) this.applyInfo(s);
    this.rowsDirty = true;
    this.options.onDirty();
  }

  info(ticker: string): InstrumentInfo | undefined {
    return this.catalogue.get(ticker);
  }

  /** The watched symbols, in display order. State of removed symbols is dropped. */
  setWatched(tickers: readonly string[]): void {
    this.order = [...tickers];
    const keep = new Set(tickers);
    for (const [ticker, s] of this.symbols) {
      if (keep.has(ticker)) continue;
      this.symbols.delete(ticker);
      if (this.byId.get(s.id) === s) this.byId.delete(s.id);
      this.rowCache.delete(ticker);
    }
    for (const ticker of tickers) {
      if (this.symbols.has(ticker)) continue;
      const s = new SymbolState(ticker);
      s.voidedAt = this.now();
      this.applyInfo(s);
      this.symbols.set(ticker, s);
    }
    this.rowsDirty = true;
    this.options.onDirty();
  }

  private applyInfo(s: SymbolState): void {
    const info = this.catalogue.get(s.ticker);
    if (info === undefined) return;
    if (!s.seeded) {
      s.priceScale = info.priceScale;
      s.sizeScale = info.sizeScale;
    }
    s.id = info.id;
    this.byId.set(info.id, s);
  }

  symbol(ticker: string): SymbolState | undefined {
    return this.symbols.get(ticker);
  }

  book(ticker: string, interval: ChartInterval): BarBook | undefined {
    return this.symbols.get(ticker)?.books.get(interval);
  }

  /** The server refused these symbols: show why instead of waiting forever. */
  markRejected(tickers: readonly string[], why: string): void {
    for (const t of tickers) {
      const s = this.symbols.get(t);
      if (s === undefined) continue;
      s.rejected = why;
      invalidate(s);
      s.version++;
    }
    this.rowsDirty = true;
    this.options.onDirty();
  }

  // -- frames (FrameSink) -------------------------------------------------------------------------

  resumeCursor(tickers: readonly string[]): string | null {
    const entries: Array<[number, number]> = [];
    let epoch: number | null = null;
    const offered = new Set<string>();
    for (const t of tickers) {
      const s = this.symbols.get(t);
      if (s === undefined || !s.ready || s.id < 0) continue;
      if (epoch !== null && s.epoch !== epoch) continue; // one feed, one epoch: mixed means stale state
      epoch = s.epoch;
      entries.push([s.id, s.seq]);
      offered.add(t);
    }
    this.resumeOffered = epoch === null ? null : { epoch, tickers: offered };
    return epoch === null ? null : formatCursor(epoch, entries);
  }

  sessionStarted(hello: HelloFrame, resumed: boolean): void {
    // Seq state is per connection, except for symbols offered in a resume cursor of the same epoch: the
    // server follows up with exactly the ticks they missed (or a snapshot). The rest wait for snapshots.
    const now = this.now();
    this.heartbeatMs = hello.heartbeatMs > 0 ? hello.heartbeatMs : 1000;
    const offered = resumed && this.resumeOffered?.epoch === hello.epoch ? this.resumeOffered.tickers : null;
    for (const s of this.symbols.values()) {
      if (offered?.has(s.ticker) && s.ready && s.epoch === hello.epoch) continue;
      invalidate(s);
      s.voidedAt = now;
    }
    this.resumeOffered = null;
    this.resyncAt.clear();
  }

  frame(bytes: Uint8Array, header: FrameHeader): void {
    const now = this.now();
    this.frameAt = now;
    switch (header.type) {
      case FrameType.Updates: {
        this.frameTrades = 0;
        this.frameConflated = false;
        const result = visitTicks(bytes, this.onTick, this.scratch);
        if (!result.ok) this.stats.decodeErrors++;
        if (this.frameTrades > 0) this.feed.traded(now);
        if (this.frameConflated) this.stats.conflations++;
        break;
      }
      case FrameType.Snapshot: {
        const decoded = decodeFrame(bytes);
        if (!decoded.ok || decoded.value.type !== FrameType.Snapshot) {
          this.stats.decodeErrors++;
          break;
        }
        const snap = decoded.value;
        const s = this.symbols.get(snap.ticker);
        if (s === undefined) break; // removed while the snapshot was in flight
        if (s.id !== snap.symbolId) {
          if (this.byId.get(s.id) === s) this.byId.delete(s.id);
          this.byId.set(snap.symbolId, s);
        }
        if (s.seeded && s.epoch !== snap.epoch) {
          // New feed epoch: seqs restart, so old trades would collide with new ones on the tape.
          this.stats.epochChanges++;
          s.clearTape();
        }
        s.applySnapshot(snap);
        seed(s, snap.epoch, snap.seq);
        s.coveredAt = now;
        if (s.repairing) {
          s.repairing = false;
          this.setMark(s, 'resynced', now);
        }
        this.stats.snapshots++;
        this.resyncAt.delete(s.ticker);
        this.options.onDirty();
        break;
      }
      case FrameType.Heartbeat: {
        const decoded = decodeFrame(bytes);
        if (!decoded.ok || decoded.value.type !== FrameType.Heartbeat) {
          this.stats.decodeErrors++;
          break;
        }
        this.feed.heartbeat(now);
        for (const entry of decoded.value.symbols) {
          const s = this.byId.get(entry.symbolId);
          if (s === undefined) continue;
          s.coveredAt = now;
          const verdict = checkHeartbeat(s, header.epoch, entry.seq);
          if (verdict === 'lost') this.voidAndResync(s, 'gap');
          else if (verdict === 'epoch') this.voidAndResync(s, 'epoch');
        }
        this.checkUnresolved();
        this.flushResyncs();
        break;
      }
      default:
        break;
    }
  }

  /** Per tick, allocation-free: `t` is a scratch object reused by visitTicks. */
  private readonly onTick = (t: Tick, header: FrameHeader): void => {
    const s = this.byId.get(t.symbolId);
    if (s === undefined) return;
    // Data is flowing for the symbol, whatever becomes of this tick.
    s.coveredAt = this.frameAt;
    switch (classifyTick(s, header.epoch, t.seq, t.flags)) {
      case 'apply':
        s.applyTick(t);
        if (this.pendingCount < PENDING_CAPACITY) {
          this.pendingEvent[this.pendingCount] = t.eventTimeMs;
          this.pendingSend[this.pendingCount] = header.sendTimeMs;
          this.pendingCount++;
        }
        this.frameTrades++;
        this.rate.add(this.frameAt);
        this.options.onDirty();
        return;
      case 'conflated':
        // A jump on purpose: the latest state, not a gap. No latency sample (its trade may be old).
        s.applyConflated(t);
        this.setMark(s, 'conflated', this.frameAt);
        this.frameTrades++;
        this.frameConflated = true;
        this.options.onDirty();
        return;
      case 'duplicate':
        this.stats.duplicates++;
        return;
      case 'gap':
        this.voidAndResync(s, 'gap');
        this.flushResyncs();
        return;
      case 'epoch':
        this.voidAndResync(s, 'epoch');
        this.flushResyncs();
        return;
      case 'not-ready':
        return;
    }
  };

  private voidAndResync(s: SymbolState, why: 'gap' | 'epoch'): void {
    if (why === 'gap') this.stats.gaps++;
    else this.stats.epochChanges++;
    invalidate(s);
    s.voidedAt = this.now();
    s.repairing = true;
    s.version++;
    // A gap needs a fresh snapshot now. An epoch change means the server restarted its feed: it sends
    // snapshots by itself, and checkUnresolved() asks for them if it does not.
    if (why === 'gap') this.resyncQueue.add(s.ticker);
  }

  /** Symbols still without a snapshot long after they were voided get one requested. */
  private checkUnresolved(): void {
    const now = this.now();
    for (const s of this.symbols.values()) {
      if (s.ready || s.rejected !== null || s.id < 0) continue;
      if (now - s.voidedAt >= RESYNC_AFTER_MS) this.resyncQueue.add(s.ticker);
    }
  }

  private setMark(s: SymbolState, mark: RowMark, now: number): void {
    s.mark = mark;
    s.markUntil = now + FRESHNESS.markMs;
    s.version++;
  }

  private flushResyncs(): void {
    if (this.resyncQueue.size === 0) return;
    const now = this.now();
    const list: string[] = [];
    for (const ticker of this.resyncQueue) {
      const last = this.resyncAt.get(ticker) ?? -Infinity;
      if (now - last < RESYNC_AFTER_MS) continue; // one request in flight per symbol
      this.resyncAt.set(ticker, now);
      list.push(ticker);
    }
    this.resyncQueue.clear();
    if (list.length === 0) return;
    this.stats.resyncs += list.length;
    this.options.requestResync(list);
  }

  // -- once per render flush ----------------------------------------------------------------------

  /** Turns ticks shown by this flush into latency samples and refreshes the rolling stats. */
  sampleFrame(): void {
    const now = this.now();
    for (let i = 0; i < this.pendingCount; i++) {
      this.feedLatency.push(now, now - (this.pendingEvent[i] as number));
      this.serverLatency.push(now, now - (this.pendingSend[i] as number));
    }
    this.pendingCount = 0;
    if (now - this.statsAt >= 500) {
      this.statsAt = now;
      const since = now - LATENCY_WINDOW_MS;
      this.stats.feedToScreenP50 = this.feedLatency.quantileSince(since, 0.5);
      this.stats.serverToScreenP50 = this.serverLatency.quantileSince(since, 0.5);
      this.stats.updatesPerSec = this.rate.rate(now);
    }
  }

  /** A flash is showing: rows must be republished once more to clear it. */
  hasFlash(): boolean {
    for (const row of this.rowsView) if (row.flash !== 0) return true;
    return false;
  }

  // -- freshness (stale, feed stalled, marks): changes with time alone -----------------------------

  private staleness(s: SymbolState, now: number, feedStalledFor: number | null): Staleness | null {
    // Rows without numbers yet (pending) or refused have nothing that could be stale.
    if (!s.seeded || s.rejected !== null) return null;
    return symbolStaleness(s.coveredAt, now, this.heartbeatMs, feedStalledFor);
  }

  /** What the row shows of freshness, as a key: the row is rebuilt when it changes (at most 1/s). */
  private freshnessKey(s: SymbolState, now: number, feedStalledFor: number | null): string {
    const stale = this.staleness(s, now, feedStalledFor);
    const mark = s.mark !== null && now < s.markUntil ? s.mark : '';
    return stale === null ? mark : `${stale.reason}${wholeSeconds(stale.forMs)}${mark}`;
  }

  /**
   * True when some row's freshness (stale state, its seconds, a mark running out) changed since rows()
   * last built it: the caller republishes the rows. Cheap: a few comparisons per symbol.
   */
  freshnessChanged(): boolean {
    const now = this.now();
    const feedStalledFor = this.feed.stalledFor(now, this.heartbeatMs);
    for (const [ticker, s] of this.symbols) {
      const cache = this.rowCache.get(ticker);
      if (cache !== undefined && cache.fresh !== this.freshnessKey(s, now, feedStalledFor)) return true;
    }
    return false;
  }

  /** Status bar and chart overlays: the same object while nothing changed. */
  health(): FeedHealth {
    const now = this.now();
    const feedStalledFor = this.feed.stalledFor(now, this.heartbeatMs);
    const stale: Record<string, string> = {};
    let silentCount = 0;
    let key = feedStalledFor === null ? '' : String(wholeSeconds(feedStalledFor));
    for (const ticker of this.order) {
      const s = this.symbols.get(ticker);
      const st = s === undefined ? null : this.staleness(s, now, feedStalledFor);
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
  rows(): RowView[] {
    const now = this.now();
    const feedStalledFor = this.feed.stalledFor(now, this.heartbeatMs);
    let changed = this.rowsDirty;
    const next: RowView[] = [];
    for (const ticker of this.order) {
      const s = this.symbols.get(ticker);
      if (s === undefined) continue;
      let cache = this.rowCache.get(ticker);
      const flashEnded = cache !== undefined && cache.row.flash !== 0 && now - cache.flashAt >= FLASH_ON_MS;
      const fresh = this.freshnessKey(s, now, feedStalledFor);
      if (cache === undefined || cache.version !== s.version || cache.fresh !== fresh || this.rowsDirty || flashEnded) {
        cache = this.buildRow(s, cache, now, feedStalledFor, fresh);
        this.rowCache.set(ticker, cache);
        changed = true;
      }
      next.push(cache.row);
    }
    this.rowsDirty = false;
    if (changed) this.rowsView = next;
    return this.rowsView;
  }

  private buildRow(s: SymbolState, previous: RowCache | undefined, now: number, feedStalledFor: number | null, fresh: string): RowCache {
    const info = this.catalogue.get(s.ticker);
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
    const status: RowStatus = s.rejected !== null ? 'rejected' : !s.seeded ? 'pending' : s.ready ? 'live' : 'resync';
    const delta = s.last - s.open;
    const seeded = s.seeded;
    const stale = this.staleness(s, now, feedStalledFor);
    const row: RowView = {
      ticker: s.ticker,
      name: info?.name ?? '',
      status,
      note: s.rejected ?? (status === 'resync' ? 'resyncing' : status === 'pending' ? 'waiting for snapshot' : ''),
      last: seeded ? formatPrice(s.last, s.priceScale) : DASH,
      change: seeded ? formatChange(delta, s.priceScale) : DASH,
      changePct: seeded ? formatPercent(delta, s.open) : DASH,
      trend: !seeded || delta === 0 ? 0 : delta > 0 ? 1 : -1,
      bid: seeded && s.bid > 0 ? formatPrice(s.bid, s.priceScale) : DASH,
      ask: seeded && s.ask > 0 ? formatPrice(s.ask, s.priceScale) : DASH,
      volume: seeded ? formatVolume(s.volume, s.sizeScale) : DASH,
      // A stale price does not flash: nothing about it is news.
      flash: stale === null ? flash : 0,
      stale: stale?.reason ?? null,
      staleLabel: stale === null ? '' : `stale ${wholeSeconds(stale.forMs)}s`,
      staleNote: stale === null ? '' : staleNote(stale),
      mark: s.mark !== null && now < s.markUntil ? s.mark : null,
      lastTradeMs: seeded ? s.lastTimeMs : 0,
    };
    return { version: s.version, fresh, row, flashRef, flashAt };
  }

  /**
   * Trade tape of `ticker`, newest first; the same array while nothing changed. Only trades newer than
   * the previous view are formatted (a busy symbol adds a few per frame, not sixty).
   */
  tape(ticker: string | null): TapeRow[] {
    const s = ticker === null ? undefined : this.symbols.get(ticker);
    if (s === undefined) {
      this.tapeTicker = ticker;
      if (this.tapeView.length > 0) this.tapeView = [];
      return this.tapeView;
    }
    if (this.tapeTicker === ticker && this.tapeVersion === s.tapeVersion) return this.tapeView;
    const toRow = (t: Trade): TapeRow => ({
      key: t.seq,
      time: formatClockMs(t.timeMs),
      price: formatPrice(t.price, s.priceScale),
      size: formatVolume(t.size, s.sizeScale),
      dir: t.dir,
    });
    const continuing = this.tapeTicker === ticker && this.tapeView.length > 0;
    const added = continuing ? s.recentTrades(TAPE_ROWS, (this.tapeView[0] as TapeRow).key) : [];
    // Nothing newer although the tape changed (another symbol, or seqs restarted with a new feed epoch):
    // rebuild the whole view.
    this.tapeView =
      added.length > 0 ? added.map(toRow).concat(this.tapeView.slice(0, Math.max(0, TAPE_ROWS - added.length))) : s.recentTrades(TAPE_ROWS).map(toRow);
    this.tapeTicker = ticker;
    this.tapeVersion = s.tapeVersion;
    return this.tapeView;
  }

  /** Small summary for tests and the debug hook. */
  debugSymbols(): Record<string, SymbolDebug> {
    const out: Record<string, SymbolDebug> = {};
    const now = this.now();
    const feedStalledFor = this.feed.stalledFor(now, this.heartbeatMs);
    for (const [t, s] of this.symbols) {
      out[t] = {
        ready: s.ready,
        seq: s.seq,
        epoch: s.epoch,
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
