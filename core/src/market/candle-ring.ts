// OHLCV bars of one symbol at one interval, in a fixed-size ring of typed arrays: memory stays flat all
// day and folding a tick into the current bar allocates nothing.
import { barTimeFor } from '@tickwire/protocol/candles';
import type { Candle } from '@tickwire/protocol/messages';
import type { PriceTicks, UtcSeconds } from '@tickwire/protocol/units';

export interface CandleRingState {
  head: number;
  size: number;
  /** time, open, high, low, close (u32) and volume (f64) columns, base64 of their bytes. */
  columns: string[];
}

function b64(a: Uint32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function bytesOf(text: string, length: number): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length) throw new RangeError(`saved column has ${bytes.length} bytes, expected ${length}`);
  return bytes;
}

function u32(text: string, n: number): Uint32Array {
  const bytes = bytesOf(text, n * 4);
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function f64(text: string, n: number): Float64Array {
  const bytes = bytesOf(text, n * 8);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export class CandleRing {
  private readonly time: Uint32Array;
  private readonly open: Uint32Array;
  private readonly high: Uint32Array;
  private readonly low: Uint32Array;
  private readonly close: Uint32Array;
  private readonly volume: Float64Array;
  /** Index of the newest bar; -1 while empty. */
  private head = -1;
  private size = 0;

  constructor(
    readonly intervalSec: number,
    readonly capacity: number,
  ) {
    this.time = new Uint32Array(capacity);
    this.open = new Uint32Array(capacity);
    this.high = new Uint32Array(capacity);
    this.low = new Uint32Array(capacity);
    this.close = new Uint32Array(capacity);
    this.volume = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Folds one trade in. Trades older than the current bar (clock skew) fold into the current bar. */
  add(timeMs: number, price: number, size: number): void {
    this.fold(timeMs, price, price, price, price, size);
  }

  /** One bar's worth (a trade is a bar of one price) merged into the newest bar by the bar rule, else appended. */
  private fold(timeMs: number, open: number, high: number, low: number, close: number, volume: number): void {
    const h = this.head;
    const newest = h >= 0 ? this.time[h]! : null;
    const start = barTimeFor(timeMs, this.intervalSec, newest);
    if (start !== newest) return this.push(start, open, high, low, close, volume);
    if (high > this.high[h]!) this.high[h] = high;
    if (low < this.low[h]!) this.low[h] = low;
    this.close[h] = close;
    this.volume[h]! += volume;
  }

  /** Appends a bar, overwriting the oldest when full. */
  private push(start: number, open: number, high: number, low: number, close: number, volume: number): void {
    const next = (this.head + 1) % this.capacity;
    this.head = next;
    if (this.size < this.capacity) this.size++;
    this.time[next] = start;
    this.open[next] = open;
    this.high[next] = high;
    this.low[next] = low;
    this.close[next] = close;
    this.volume[next] = volume;
  }

  /** Raw ring contents, to save across a restart. */
  exportState(): CandleRingState {
    return { head: this.head, size: this.size, columns: [this.time, this.open, this.high, this.low, this.close].map(b64).concat(b64(this.volume)) };
  }

  importState(state: CandleRingState): void {
    const [time, open, high, low, close, volume] = state.columns;
    if (state.columns.length !== 6 || state.size > this.capacity || state.head >= this.capacity)
      throw new RangeError('candle ring state does not fit this ring');
    this.time.set(u32(time!, this.capacity));
    this.open.set(u32(open!, this.capacity));
    this.high.set(u32(high!, this.capacity));
    this.low.set(u32(low!, this.capacity));
    this.close.set(u32(close!, this.capacity));
    this.volume.set(f64(volume!, this.capacity));
    this.head = state.head;
    this.size = state.size;
  }

  /** Replaces every bar with `bars` (oldest first; a snapshot's series), keeping the newest that fit. */
  load(bars: readonly Candle[]): void {
    this.head = -1;
    this.size = 0;
    for (const bar of bars.slice(-this.capacity)) this.push(bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume);
  }

  /**
   * Folds one whole bar in (a generated past bar, oldest first): merged into the newest bar when it lands
   * in it by the bar rule, else appended. Finer bars than the interval aggregate this way.
   */
  foldBar(timeSec: number, open: number, high: number, low: number, close: number, volume: number): void {
    this.fold(timeSec * 1000, open, high, low, close, volume);
  }

  /** Time of the newest bar (the one still forming), null while empty. */
  get newestTime(): number | null {
    return this.head >= 0 ? this.time[this.head]! : null;
  }

  /**
   * Up to `limit` bars with time < `beforeSec`, oldest first, and whether older ones remain: a page of the
   * history service. Binary search over the ring (times strictly increase from oldest to newest).
   */
  page(beforeSec: number, limit: number): { bars: Candle[]; more: boolean } {
    const oldest = (this.head - this.size + 1 + this.capacity) % this.capacity;
    const at = (k: number): number => this.time[(oldest + k) % this.capacity]!;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid) < beforeSec) lo = mid + 1;
      else hi = mid;
    }
    const from = Math.max(0, lo - limit);
    const bars: Candle[] = [];
    for (let k = from; k < lo; k++) {
      const i = (oldest + k) % this.capacity;
      bars.push({
        time: this.time[i]! as UtcSeconds,
        open: this.open[i]! as PriceTicks,
        high: this.high[i]! as PriceTicks,
        low: this.low[i]! as PriceTicks,
        close: this.close[i]! as PriceTicks,
        volume: this.volume[i]!,
      });
    }
    return { bars, more: from > 0 };
  }

  /** The newest `count` bars, oldest first. */
  latest(count: number): Candle[] {
    const n = Math.min(count, this.size);
    const out: Candle[] = new Array<Candle>(n);
    for (let k = 0; k < n; k++) {
      const i = (this.head - (n - 1 - k) + this.capacity) % this.capacity;
      out[k] = {
        time: this.time[i]! as UtcSeconds,
        open: this.open[i]! as PriceTicks,
        high: this.high[i]! as PriceTicks,
        low: this.low[i]! as PriceTicks,
        close: this.close[i]! as PriceTicks,
        volume: this.volume[i]!,
      };
    }
    return out;
  }
}
