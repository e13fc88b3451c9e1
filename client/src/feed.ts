// The ingest half of the client: what a connection's frames mean for each subscribed symbol. Seq and
// epoch rules (sequence.ts) decide which ticks apply; gaps are found in Updates and — when nothing else
// arrives — in Heartbeats, and repaired by asking for a fresh snapshot (a re-subscribe); a reconnect
// offers a resume cursor of what is held; staleness comes from when a frame last vouched for a symbol.
// The resume-cursor and resync rate-limit rules themselves are continuity.ts (shared with the load tester).
// It keeps no prices: it hands snapshots and records to listeners (events below) and counts what it saw.
// ConnectionManager feeds it (it is the manager's FrameSink); connect() wires the two together.
import { decodeFrame, emptyTick, visitTicks } from '@tickwire/protocol/codec';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { FrameType, type FrameHeader, type HelloFrame, type SnapshotFrame, type Tick } from '@tickwire/protocol/messages';
import { MAX_SCALE } from '@tickwire/protocol/units';
import type { FrameSink } from './connection.js';
import { RESYNC_AFTER_MS, ResyncGuard, resumeOffer, type ResumeEntry } from './continuity.js';
import { decodeSnapshot, decodeTick, type PriceTick, type SnapshotEvent } from './decoded.js';
import { Emitter } from './emitter.js';
import { FeedWatch, TradeRhythm, symbolStaleness, type Staleness } from './freshness.js';
import { checkHeartbeat, classifyTick, invalidate, seed, type SeqState } from './sequence.js';

export { RESYNC_AFTER_MS };

/** What the feed knows of one subscribed symbol. Read-only for listeners. */
export interface FeedSymbol extends SeqState {
  readonly ticker: string;
  /** Symbol id on the wire; −1 until the instrument list or a snapshot names it. */
  id: number;
  priceScale: number;
  sizeScale: number;
  /** A snapshot has arrived at least once. */
  seeded: boolean;
  /** The server refused the symbol for good (unknown, over the limit): why. */
  rejected: string | null;
  /** Local ms when its state was last voided: long-unresolved symbols get a fresh snapshot requested. */
  voidedAt: number;
  /** Voided by a gap or an epoch change: the next snapshot is a repair. */
  repairing: boolean;
  /** Local ms when a frame last vouched for it (snapshot, tick, heartbeat naming it). */
  coveredAt: number;
  /** Staleness last reported in a 'stale' event. */
  stale: Staleness | null;
  /** How often the symbol trades: its own source may stop while the rest of the feed goes on. */
  readonly rhythm: TradeRhythm;
}

export type ResyncReason = 'gap' | 'epoch';

/** A symbol's local state was voided (ticks lost, or the feed restarted); a snapshot will repair it. */
export interface ResyncEvent {
  ticker: string;
  reason: ResyncReason;
}

/** A symbol became stale, or fresh again (`stale` null). */
export interface StaleEvent {
  ticker: string;
  stale: Staleness | null;
}

export interface FeedEvents {
  snapshot: (snapshot: SnapshotEvent) => void;
  /** Applied ticks of one frame, in the instruments' units (built only while someone listens). */
  ticks: (ticks: PriceTick[]) => void;
  /**
   * Hot path, one call per applied record, allocation-free: `record` is a scratch object reused for the
   * next call (copy what you keep), prices in integer ticks (`symbol.priceScale` decimals).
   */
  record: (record: Readonly<Tick>, symbol: Readonly<FeedSymbol>, header: FrameHeader, conflated: boolean) => void;
  resync: (event: ResyncEvent) => void;
  stale: (event: StaleEvent) => void;
}

export interface FeedCounters {
  snapshots: number;
  /** Records dropped because they were already applied (replays after a re-subscribe). */
  duplicates: number;
  gaps: number;
  /** Symbols asked for a fresh snapshot (gap repairs, unresolved epoch changes). */
  resyncs: number;
  /** Frames that carried conflated records (the connection fell behind and was caught up). */
  conflations: number;
  epochChanges: number;
  decodeErrors: number;
}

export interface MarketFeedOptions {
  /** Ask the connection for fresh snapshots of these symbols (a subscribe of symbols already held). */
  requestResync(tickers: string[]): void;
  /** Local clock, ms. */
  now?: () => number;
  onListenerError?: (error: unknown) => void;
}

export function emptyCounters(): FeedCounters {
  return { snapshots: 0, duplicates: 0, gaps: 0, resyncs: 0, conflations: 0, epochChanges: 0, decodeErrors: 0 };
}

export class MarketFeed implements FrameSink {
  readonly counters: FeedCounters = emptyCounters();
  private readonly events: Emitter<FeedEvents>;
  private readonly symbols = new Map<string, FeedSymbol>();
  private readonly byId = new Map<number, FeedSymbol>();
  private catalogue = new Map<string, InstrumentInfo>();
  /** One fresh-snapshot request in flight per ticker. */
  private readonly resyncGuard = new ResyncGuard<string>(RESYNC_AFTER_MS);
  private readonly resyncQueue = new Set<string>();
  /** Symbols put in the last resume cursor, and its epoch. */
  private resumeOffered: { epoch: number; tickers: Set<string> } | null = null;
  private watch = new FeedWatch();
  private heartbeat = 1000;
  private readonly scratch: Tick = emptyTick();
  /** Per Updates frame: local time, applied count, conflated seen, decoded ticks (when listened to). */
  private frameAt = 0;
  private frameTrades = 0;
  private frameConflated = false;
  private frameTicks: PriceTick[] | null = null;
  private readonly now: () => number;

  constructor(private readonly options: MarketFeedOptions) {
    this.now = options.now ?? (() => Date.now());
    this.events = new Emitter<FeedEvents>(options.onListenerError);
  }

  on<K extends keyof FeedEvents>(event: K, listener: FeedEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  clearListeners(): void {
    this.events.clear();
  }

  /** Heartbeat interval of the current session (Hello): staleness is counted in beats. */
  get heartbeatMs(): number {
    return this.heartbeat;
  }

  // -- what to follow -----------------------------------------------------------------------------

  /** The instrument list (`/api/symbols`): ids and scales before any snapshot arrives. */
  setInstruments(list: readonly InstrumentInfo[]): void {
    this.catalogue = new Map(list.map((s) => [s.ticker, s]));
    for (const s of this.symbols.values()) this.applyInfo(s);
  }

  instrument(ticker: string): InstrumentInfo | undefined {
    return this.catalogue.get(ticker);
  }

  /** The symbols followed; state of the others is dropped. */
  setSymbols(tickers: readonly string[]): void {
    const keep = new Set(tickers);
    for (const [ticker, s] of this.symbols) {
      if (keep.has(ticker)) continue;
      this.symbols.delete(ticker);
      if (this.byId.get(s.id) === s) this.byId.delete(s.id);
      this.resyncQueue.delete(ticker);
      this.resyncGuard.forget(ticker);
    }
    // Following nothing, nothing can stall: forget the trading rhythm, a new watchlist warms up afresh.
    if (keep.size === 0) this.watch = new FeedWatch();
    for (const ticker of keep) {
      if (this.symbols.has(ticker)) continue;
      const s: FeedSymbol = {
        ticker,
        id: -1,
        priceScale: 2,
        sizeScale: 0,
        ready: false,
        epoch: 0,
        seq: 0,
        seeded: false,
        rejected: null,
        voidedAt: this.now(),
        repairing: false,
        coveredAt: -Infinity,
        rhythm: new TradeRhythm(),
        stale: null,
      };
      this.applyInfo(s);
      this.symbols.set(ticker, s);
    }
  }

  symbol(ticker: string): Readonly<FeedSymbol> | undefined {
    return this.symbols.get(ticker);
  }

  /** The server refused these symbols for good: no resync requests for them. */
  reject(tickers: readonly string[], why: string): void {
    for (const t of tickers) {
      const s = this.symbols.get(t);
      if (s === undefined) continue;
      s.rejected = why;
      invalidate(s);
    }
  }

  private applyInfo(s: FeedSymbol): void {
    const info = this.catalogue.get(s.ticker);
    if (info === undefined) return;
    if (!s.seeded) {
      s.priceScale = info.priceScale;
      s.sizeScale = info.sizeScale;
    }
    s.id = info.id;
    this.byId.set(info.id, s);
  }

  // -- freshness ----------------------------------------------------------------------------------

  /** ms the whole feed has not traded while heartbeats still arrive (stalled at the source), else null. */
  feedStalledFor(now = this.now()): number | null {
    if (this.symbols.size === 0) return null;
    return this.watch.stalledFor(now, this.heartbeat);
  }

  /** Staleness of a symbol now; null when fresh, not yet seeded or refused (nothing that could be stale). */
  staleness(ticker: string, now = this.now(), feedStalledFor = this.feedStalledFor(now)): Staleness | null {
    const s = this.symbols.get(ticker);
    if (s === undefined || !s.seeded || s.rejected !== null) return null;
    const sourceStalledFor = feedStalledFor ?? (this.watch.beating(now, this.heartbeat) ? s.rhythm.stalledFor(now) : null);
    return symbolStaleness(s.coveredAt, now, this.heartbeat, sourceStalledFor);
  }

  /** Emits 'stale' for every symbol whose stale/fresh state (or reason) changed since the last check. */
  checkStaleness(now = this.now()): void {
    const stalled = this.feedStalledFor(now);
    for (const s of this.symbols.values()) {
      const st = this.staleness(s.ticker, now, stalled);
      if (st?.reason === s.stale?.reason) {
        if (st !== null) s.stale = st;
        continue;
      }
      s.stale = st;
      this.events.emit('stale', { ticker: s.ticker, stale: st });
    }
  }

  // -- FrameSink ----------------------------------------------------------------------------------

  resumeCursor(tickers: readonly string[]): string | null {
    const entries: ResumeEntry[] = [];
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
    const offer = resumeOffer(epoch, entries);
    this.resumeOffered = offer === null ? null : { epoch: offer.epoch, tickers: offered };
    return offer?.cursor ?? null;
  }

  sessionStarted(hello: HelloFrame, resumed: boolean): void {
    // Seq state is per connection, except for symbols offered in a resume cursor of the same epoch: the
    // server follows up with exactly the ticks they missed (or a snapshot). The rest wait for snapshots.
    const now = this.now();
    this.heartbeat = hello.heartbeatMs > 0 ? hello.heartbeatMs : 1000;
    const offered = resumed && this.resumeOffered?.epoch === hello.epoch ? this.resumeOffered.tickers : null;
    for (const s of this.symbols.values()) {
      if (offered?.has(s.ticker) && s.ready && s.epoch === hello.epoch) continue;
      invalidate(s);
      s.voidedAt = now;
    }
    this.resumeOffered = null;
    this.resyncGuard.clear();
  }

  frame(bytes: Uint8Array, header: FrameHeader): void {
    const now = this.now();
    this.frameAt = now;
    switch (header.type) {
      case FrameType.Updates:
      case FrameType.UpdatesCompact: {
        this.frameTrades = 0;
        this.frameConflated = false;
        this.frameTicks = this.events.has('ticks') ? [] : null;
        const result = visitTicks(bytes, this.onTick, this.scratch);
        if (!result.ok) this.counters.decodeErrors++;
        if (this.frameTrades > 0) this.watch.traded(now);
        if (this.frameConflated) this.counters.conflations++;
        if (this.frameTicks !== null && this.frameTicks.length > 0) this.events.emit('ticks', this.frameTicks);
        this.frameTicks = null;
        this.flushResyncs();
        break;
      }
      case FrameType.Snapshot: {
        const decoded = decodeFrame(bytes);
        if (!decoded.ok || decoded.value.type !== FrameType.Snapshot || !validScales(decoded.value)) {
          this.counters.decodeErrors++;
          break;
        }
        this.applySnapshot(decoded.value, now);
        break;
      }
      case FrameType.Heartbeat: {
        const decoded = decodeFrame(bytes);
        if (!decoded.ok || decoded.value.type !== FrameType.Heartbeat) {
          this.counters.decodeErrors++;
          break;
        }
        this.watch.heartbeat(now);
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

  private applySnapshot(snap: SnapshotFrame, now: number): void {
    const s = this.symbols.get(snap.ticker);
    if (s === undefined) return; // unsubscribed while the snapshot was in flight
    if (s.id !== snap.symbolId) {
      if (this.byId.get(s.id) === s) this.byId.delete(s.id);
      s.id = snap.symbolId;
      this.byId.set(snap.symbolId, s);
    }
    const epochChanged = s.seeded && s.epoch !== snap.epoch;
    if (epochChanged) this.counters.epochChanges++;
    const repaired = s.repairing;
    s.repairing = false;
    s.priceScale = snap.priceScale;
    s.sizeScale = snap.sizeScale;
    s.seeded = true;
    s.rejected = null;
    seed(s, snap.epoch, snap.seq);
    s.coveredAt = now;
    this.counters.snapshots++;
    this.resyncGuard.answered(s.ticker);
    if (this.events.has('snapshot')) this.events.emit('snapshot', decodeSnapshot(snap, { repaired, epochChanged }));
  }

  /** Per record, allocation-free: `t` is the scratch object reused by visitTicks. */
  private readonly onTick = (t: Tick, header: FrameHeader): void => {
    const s = this.byId.get(t.symbolId);
    if (s === undefined) return;
    // Data is flowing for the symbol, whatever becomes of this record.
    s.coveredAt = this.frameAt;
    switch (classifyTick(s, header.epoch, t.seq, t.flags)) {
      case 'apply':
        s.seq = t.seq;
        s.rhythm.traded(this.frameAt);
        this.frameTrades++;
        this.deliver(t, s, header, false);
        return;
      case 'conflated':
        // A jump on purpose: the latest state, not a gap.
        s.seq = t.seq;
        s.rhythm.traded(this.frameAt);
        this.frameTrades++;
        this.frameConflated = true;
        this.deliver(t, s, header, true);
        return;
      case 'duplicate':
        this.counters.duplicates++;
        return;
      case 'gap':
        this.voidAndResync(s, 'gap');
        return;
      case 'epoch':
        this.voidAndResync(s, 'epoch');
        return;
      case 'not-ready':
        return;
    }
  };

  private deliver(t: Tick, s: FeedSymbol, header: FrameHeader, conflated: boolean): void {
    this.events.emit('record', t, s, header, conflated);
    if (this.frameTicks !== null) this.frameTicks.push(decodeTick(t, s, header));
  }

  private voidAndResync(s: FeedSymbol, why: ResyncReason): void {
    if (why === 'gap') this.counters.gaps++;
    else this.counters.epochChanges++;
    invalidate(s);
    s.voidedAt = this.now();
    s.repairing = true;
    // A gap needs a fresh snapshot now. An epoch change means the server restarted its feed: it sends
    // snapshots by itself, and checkUnresolved() asks for them if it does not.
    if (why === 'gap') this.resyncQueue.add(s.ticker);
    this.events.emit('resync', { ticker: s.ticker, reason: why });
  }

  /** Symbols still without a snapshot long after they were voided get one requested. */
  private checkUnresolved(): void {
    const now = this.now();
    for (const s of this.symbols.values()) {
      if (s.ready || s.rejected !== null || s.id < 0) continue;
      if (now - s.voidedAt >= RESYNC_AFTER_MS) this.resyncQueue.add(s.ticker);
    }
  }

  private flushResyncs(): void {
    if (this.resyncQueue.size === 0) return;
    const now = this.now();
    const list: string[] = [];
    for (const ticker of this.resyncQueue) if (this.resyncGuard.ask(ticker, now)) list.push(ticker);
    this.resyncQueue.clear();
    if (list.length === 0) return;
    this.counters.resyncs += list.length;
    this.options.requestResync(list);
  }
}

/** Scales the units module can convert (a corrupt snapshot must not make every conversion throw). */
function validScales(snap: SnapshotFrame): boolean {
  return snap.priceScale <= MAX_SCALE && snap.sizeScale <= MAX_SCALE;
}
