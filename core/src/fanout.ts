// Batching and fan-out: ticks are written as wire records the moment they arrive, and once per batch
// window each symbol's pending records become ONE Updates frame, encoded once and handed to every
// transport (uWS pub/sub for WebSocket, the SSE hub) as the same bytes; its compact twin (type 7) is
// encoded at most once too, on the first ask of a sink with compact subscribers. Published state advances here.
import {
  HEADER_SIZE,
  TICK_RECORD_SIZE,
  emptyTick,
  encodeCompactUpdatesFromRecords,
  encodeUpdatesFromRecords,
  readTickRecord,
  writeTickRecord,
  type SnapshotBody,
} from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { SymbolState } from './market/symbol-state.js';
import { TickHistory } from './market/tick-history.js';

/**
 * The compact encoding of the frame being published, built on the first get() and shared by every
 * sink and subscriber after it. Valid only during the publish() call it is passed to.
 */
export interface CompactFrame {
  get(): Uint8Array;
}

/** A transport that delivers a symbol's frames to its subscribers. */
export interface FrameSink {
  publish(symbolId: number, frame: Uint8Array, compact: CompactFrame): void;
  /** Called after every symbol of a batch was published (SSE writes one event per client here). */
  endOfBatch(): void;
}

export interface FanoutStats {
  ticksIn: number;
  batches: number;
  frames: number;
  lastTickAtMs: number;
}

/** One per Fanout, re-aimed at each symbol's records before its publish: no allocation per frame. */
class LazyCompact implements CompactFrame {
  private records: Uint8Array = new Uint8Array(0);
  private count = 0;
  private epoch = 0;
  private sendTimeMs = 0;
  private frame: Uint8Array | null = null;
  /** Compact frames built (metrics, tests: at most one per symbol per batch). */
  encoded = 0;

  aim(epoch: number, sendTimeMs: number, records: Uint8Array, count: number): this {
    this.epoch = epoch;
    this.sendTimeMs = sendTimeMs;
    this.records = records;
    this.count = count;
    this.frame = null;
    return this;
  }

  get(): Uint8Array {
    if (this.frame === null) {
      this.frame = encodeCompactUpdatesFromRecords(this.epoch, this.sendTimeMs, this.records, this.count);
      this.encoded++;
    }
    return this.frame;
  }
}

class PendingRecords {
  bytes = new Uint8Array(TICK_RECORD_SIZE * 16);
  view = new DataView(this.bytes.buffer);
  count = 0;

  append(tick: Tick): void {
    const offset = this.count * TICK_RECORD_SIZE;
    if (offset + TICK_RECORD_SIZE > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    writeTickRecord(this.view, offset, tick);
    this.count++;
  }
}

export class Fanout {
  readonly states: SymbolState[];
  /** Recent published ticks per symbol: the resume window. */
  readonly histories: TickHistory[];
  private readonly pending: PendingRecords[];
  private readonly dirty: number[] = [];
  private readonly sinks: FrameSink[] = [];
  private readonly scratch = emptyTick();
  readonly compact = new LazyCompact();
  /** Observer of each batch's tick count (metrics histogram). */
  onBatch: ((ticks: number, frames: number) => void) | null = null;
  epoch: number;
  /** Test hook: Updates frames per symbol to lose before the transports (state still advances). */
  readonly dropFrames = new Map<number, number>();
  readonly stats: FanoutStats = { ticksIn: 0, batches: 0, frames: 0, lastTickAtMs: 0 };

  /** Ticker → symbol id, for every lookup by name (subscribe, /api/candles): one table that grows with the states. */
  private readonly byTicker = new Map<string, number>();

  constructor(
    instruments: readonly InstrumentInfo[],
    epoch: number,
    private readonly candleCapacity: number,
    private readonly resumeTicks = 0,
  ) {
    this.states = [];
    this.histories = [];
    this.pending = [];
    for (const i of instruments) this.addInstrument(i);
    this.epoch = epoch;
  }

  /**
   * Appends an instrument registered at run time (ids are indices, so it must take the next one): its
   * state starts empty (seq 0) and every per-symbol table grows by one; no other symbol is touched.
   */
  addInstrument(instrument: InstrumentInfo): void {
    if (instrument.id !== this.states.length)
      throw new RangeError(`instrument ${instrument.ticker} has id ${instrument.id}; the next id is ${this.states.length}`);
    this.states.push(new SymbolState(instrument, this.candleCapacity));
    this.histories.push(new TickHistory(this.resumeTicks));
    this.pending.push(new PendingRecords());
    this.byTicker.set(instrument.ticker, instrument.id);
  }

  /** The symbol id of a ticker (exact spelling, as /api/symbols lists it), or undefined. */
  idOf(ticker: string): number | undefined {
    return this.byTicker.get(ticker);
  }

  addSink(sink: FrameSink): void {
    this.sinks.push(sink);
  }

  /** Hot path (up to 10^5+ calls/s): copies the tick into its symbol's pending records. */
  ingest(tick: Tick): void {
    const p = this.pending[tick.symbolId];
    if (p === undefined) return;
    if (p.count === 0) this.dirty.push(tick.symbolId);
    p.append(tick);
    this.stats.ticksIn++;
  }

  /** Folds pending ticks into state without publishing (warm-up before anyone can subscribe). */
  absorb(): void {
    for (const id of this.dirty) {
      const p = this.pending[id]!;
      const state = this.states[id]!;
      for (let i = 0; i < p.count; i++) state.apply(readTickRecord(p.view, i * TICK_RECORD_SIZE, this.scratch));
      this.histories[id]!.append(p.bytes, p.count);
      p.count = 0;
    }
    this.dirty.length = 0;
  }

  /** Publishes one frame per symbol with pending ticks, then advances published state. */
  flush(nowMs: number): void {
    if (this.dirty.length === 0) return;
    let ticks = 0;
    const frames = this.dirty.length;
    for (const id of this.dirty) {
      const p = this.pending[id]!;
      const count = p.count;
      const frame = encodeUpdatesFromRecords(this.epoch, nowMs, p.bytes, count);
      const state = this.states[id]!;
      for (let i = 0; i < count; i++) state.apply(readTickRecord(p.view, i * TICK_RECORD_SIZE, this.scratch));
      this.histories[id]!.append(p.bytes, count);
      ticks += count;
      p.count = 0;
      if (this.dropFrames.size > 0 && this.dropped(id)) continue;
      // p.bytes stays untouched until the next ingest, after this loop: the lazy compact frame reads it.
      const compact = this.compact.aim(this.epoch, nowMs, p.bytes, count);
      for (const sink of this.sinks) sink.publish(id, frame, compact);
    }
    this.dirty.length = 0;
    for (const sink of this.sinks) sink.endOfBatch();
    this.stats.batches++;
    this.stats.frames += frames;
    this.stats.lastTickAtMs = nowMs;
    this.onBatch?.(ticks, frames);
  }

  private dropped(symbolId: number): boolean {
    const left = this.dropFrames.get(symbolId);
    if (left === undefined) return false;
    if (left <= 1) this.dropFrames.delete(symbolId);
    else this.dropFrames.set(symbolId, left - 1);
    return true;
  }

  // ---- Gateway mode (server/src/nats/gateway-source.ts): frames encoded by the feed process. ----
  private relayedTicks = 0;
  private relayedFrames = 0;

  /**
   * Relays one symbol's Updates frame exactly as the feed encoded it: folds its ticks into published
   * state and the resume window, then hands the SAME bytes to every sink, so every gateway sends
   * byte-identical frames. The caller checked the frame (well-formed, this epoch, seq continues the
   * symbol's). endRelay() closes a group of relayed frames (SSE writes one event per group).
   */
  relay(symbolId: number, frame: Uint8Array): void {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const count = view.getUint32(HEADER_SIZE, true);
    const state = this.states[symbolId]!;
    for (let i = 0; i < count; i++) state.apply(readTickRecord(view, HEADER_SIZE + 4 + i * TICK_RECORD_SIZE, this.scratch));
    const records = frame.subarray(HEADER_SIZE + 4);
    this.histories[symbolId]!.append(records, count);
    // The compact twin keeps the feed's send time, so every gateway builds identical compact bytes too.
    const compact = this.compact.aim(view.getUint32(4, true), view.getFloat64(8, true), records, count);
    for (const sink of this.sinks) sink.publish(symbolId, frame, compact);
    this.stats.ticksIn += count;
    this.relayedTicks += count;
    this.relayedFrames++;
  }

  /** Ends a group of relayed frames, like the end of a batch window. */
  endRelay(nowMs: number): void {
    if (this.relayedFrames === 0) return;
    for (const sink of this.sinks) sink.endOfBatch();
    this.stats.batches++;
    this.stats.frames += this.relayedFrames;
    this.stats.lastTickAtMs = nowMs;
    this.onBatch?.(this.relayedTicks, this.relayedFrames);
    this.relayedTicks = 0;
    this.relayedFrames = 0;
  }

  /**
   * Replaces a symbol's published state with a feed snapshot, and its resume window with `records`
   * (the feed's recent ticks, ending at the snapshot's seq), so resume works on any gateway.
   */
  restore(snapshot: SnapshotBody, records: Uint8Array, count: number): void {
    this.states[snapshot.symbolId]!.load(snapshot);
    const history = this.histories[snapshot.symbolId]!;
    history.clear();
    history.append(records, count);
  }

  /** A new feed epoch: every seq restarts, so published state must too (subscribers get snapshots). */
  setEpoch(epoch: number): void {
    if (epoch === this.epoch) return;
    this.absorb();
    this.epoch = epoch;
    for (const s of this.states) s.reset();
    for (const h of this.histories) h.clear();
  }
}
