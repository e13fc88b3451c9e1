// The recent ticks of one symbol as raw wire records in a fixed ring: what lets a reconnecting or polling
// client get exactly the ticks it missed. A cursor inside the window yields every tick after it; one
// outside (too old, or from the future) yields null and the caller sends a snapshot instead — never a
// partial replay.
import { TICK_RECORD_SIZE } from '@tickwire/protocol/codec';

export interface TickHistoryState {
  lastSeq: number;
  count: number;
  bytes: string;
}

export class TickHistory {
  private readonly bytes: Uint8Array;
  /** Seq of the newest record held; 0 while empty. */
  private lastSeq = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * TICK_RECORD_SIZE);
  }

  /** Appends records (seq-contiguous, as the fan-out publishes them). */
  append(records: Uint8Array, count: number): void {
    if (this.capacity === 0) return;
    for (let i = 0; i < count; i++) {
      const src = i * TICK_RECORD_SIZE;
      const seq = new DataView(records.buffer, records.byteOffset + src, TICK_RECORD_SIZE).getUint32(4, true);
      // A break in seq (epoch change) empties the window: replay never crosses it.
      if (this.count > 0 && seq !== this.lastSeq + 1) this.count = 0;
      const slot = (seq % this.capacity) * TICK_RECORD_SIZE;
      this.bytes.set(records.subarray(src, src + TICK_RECORD_SIZE), slot);
      this.lastSeq = seq;
      if (this.count < this.capacity) this.count++;
    }
  }

  exportState(): TickHistoryState {
    return { lastSeq: this.lastSeq, count: this.count, bytes: Buffer.from(this.bytes).toString('base64') };
  }

  importState(state: TickHistoryState): void {
    const bytes = Buffer.from(state.bytes, 'base64');
    if (bytes.length !== this.bytes.length || state.count > this.capacity) throw new RangeError('tick history state does not fit this window');
    this.bytes.set(bytes);
    this.lastSeq = state.lastSeq;
    this.count = state.count;
  }

  clear(): void {
    this.count = 0;
    this.lastSeq = 0;
  }

  /** Oldest seq that can be replayed after (i.e. a cursor may be as old as oldest − 1). */
  get oldestSeq(): number {
    return this.count === 0 ? 0 : this.lastSeq - this.count + 1;
  }

  /**
   * Records with seq > afterSeq, or null when the window does not reach back that far (or afterSeq is
   * ahead of what was published). An up-to-date cursor yields an empty array.
   */
  after(afterSeq: number, publishedSeq: number): Uint8Array | null {
    if (afterSeq === publishedSeq) return new Uint8Array(0);
    if (afterSeq > publishedSeq || this.count === 0 || this.lastSeq !== publishedSeq) return null;
    if (afterSeq < this.oldestSeq - 1) return null;
    const n = publishedSeq - afterSeq;
    const out = new Uint8Array(n * TICK_RECORD_SIZE);
    for (let k = 0; k < n; k++) {
      const slot = ((afterSeq + 1 + k) % this.capacity) * TICK_RECORD_SIZE;
      out.set(this.bytes.subarray(slot, slot + TICK_RECORD_SIZE), k * TICK_RECORD_SIZE);
    }
    return out;
  }
}
