// Encoded Snapshot frames shared by every reader of the same state: many clients subscribing the same
// symbol between two batches get the SAME bytes, encoded once. A frame is keyed by (symbol, clamped
// history, feed epoch, state version) and is dropped the moment the symbol's state moves on, so a cached
// snapshot never carries a stale seq. The header's send time is the time the frame was encoded: the state
// it shows is unchanged since then (same version), only the clock moved.
import { encodeSnapshot } from '@tickwire/protocol/codec';
import type { SymbolState } from './market/symbol-state.js';

/** History lengths cached per symbol (a client default plus a few others); the least recently used goes. */
export const SNAPSHOT_CACHE_SLOTS = 4;

interface Entry {
  history: number;
  epoch: number;
  version: number;
  frame: Uint8Array;
  usedAt: number;
}

export interface SnapshotCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/**
 * At most SNAPSHOT_CACHE_SLOTS frames per symbol, each of the symbol's current version or replaced on its
 * next use: memory is bounded by symbols × slots × the largest snapshot (4 series × candle capacity × 28 B).
 */
export class SnapshotCache {
  private readonly bySymbol: Entry[][] = [];
  private clock = 0;
  readonly stats: SnapshotCacheStats = { hits: 0, misses: 0, entries: 0, bytes: 0 };

  constructor(private readonly slots = SNAPSHOT_CACHE_SLOTS) {}

  /** The Snapshot frame of `state` with `history` candles per interval (already clamped by the caller). */
  get(state: SymbolState, epoch: number, history: number, now: number): Uint8Array {
    const id = state.instrument.id;
    const entries = (this.bySymbol[id] ??= []);
    this.clock++;
    let entry = entries.find((e) => e.history === history);
    if (entry !== undefined && entry.epoch === epoch && entry.version === state.version) {
      entry.usedAt = this.clock;
      this.stats.hits++;
      return entry.frame;
    }
    this.stats.misses++;
    const frame = encodeSnapshot(epoch, now, state.snapshot(history));
    if (entry === undefined) {
      if (entries.length >= this.slots) {
        let oldest = 0;
        for (let i = 1; i < entries.length; i++) if (entries[i]!.usedAt < entries[oldest]!.usedAt) oldest = i;
        this.forget(entries[oldest]!);
        entries.splice(oldest, 1);
      }
      entry = { history, epoch, version: state.version, frame, usedAt: this.clock };
      entries.push(entry);
      this.stats.entries++;
    } else {
      this.stats.bytes -= entry.frame.length;
      Object.assign(entry, { epoch, version: state.version, frame, usedAt: this.clock });
    }
    this.stats.bytes += frame.length;
    return frame;
  }

  private forget(entry: Entry): void {
    this.stats.entries--;
    this.stats.bytes -= entry.frame.length;
  }
}
