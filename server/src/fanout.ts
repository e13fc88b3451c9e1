// Batching and fan-out: ticks are written as wire records the moment they arrive, and once per batch
// window each symbol's pending records become ONE Updates frame, encoded once and handed to every
// transport (uWS pub/sub for WebSocket, the SSE hub) as the same bytes. Published state advances here.
import { TICK_RECORD_SIZE, emptyTick, encodeUpdatesFromRecords, readTickRecord, writeTickRecord } from '../../protocol/src/codec.js';
import type { Tick } from '../../protocol/src/messages.js';
import { SymbolState, type InstrumentInfo } from './market/symbol-state.js';
import { TickHistory } from './market/tick-history.js';

/** A transport that delivers a symbol's frames to its subscribers. */
export interface FrameSink {
  publish(symbolId: number, frame: Uint8Array): void;
  /** Called after every symbol of a batch was published (SSE writes one event per client here). */
  endOfBatch(): void;
}

export interface FanoutStats {
  ticksIn: number;
  batches: number;
  frames: number;
  lastTickAtMs: number;
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
  /** Observer of each batch's tick count (metrics histogram). */
  onBatch: ((ticks: number, frames: number) => void) | null = null;
  epoch: number;
  /** Test hook: Updates frames per symbol to lose before the transports (state still advances). */
  readonly dropFrames = new Map<number, number>();
  readonly stats: FanoutStats = { ticksIn: 0, batches: 0, frames: 0, lastTickAtMs: 0 };

  constructor(instruments: readonly InstrumentInfo[], epoch: number, candleCapacity: number, resumeTicks = 0) {
    this.states = instruments.map((i) => new SymbolState(i, candleCapacity));
    this.histories = instruments.map(() => new TickHistory(resumeTicks));
    this.pending = instruments.map(() => new PendingRecords());
    this.epoch = epoch;
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
      const frame = encodeUpdatesFromRecords(this.epoch, nowMs, p.bytes, p.count);
      const state = this.states[id]!;
      for (let i = 0; i < p.count; i++) state.apply(readTickRecord(p.view, i * TICK_RECORD_SIZE, this.scratch));
      this.histories[id]!.append(p.bytes, p.count);
      ticks += p.count;
      p.count = 0;
      if (this.dropFrames.size > 0 && this.dropped(id)) continue;
      for (const sink of this.sinks) sink.publish(id, frame);
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

  /** A new feed epoch: every seq restarts, so published state must too (subscribers get snapshots). */
  setEpoch(epoch: number): void {
    if (epoch === this.epoch) return;
    this.absorb();
    this.epoch = epoch;
    for (const s of this.states) s.reset();
    for (const h of this.histories) h.clear();
  }
}
