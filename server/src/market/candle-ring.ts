// OHLCV bars of one symbol at one interval, in a fixed-size ring of typed arrays: memory stays flat all
// day and folding a tick into the current bar allocates nothing.
import type { Candle } from '../../../protocol/src/messages.js';
import { barStart, type PriceTicks, type UtcSeconds } from '../../../protocol/src/units.js';

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
    const start = barStart(timeMs, this.intervalSec);
    const h = this.head;
    if (h >= 0 && start <= this.time[h]!) {
      if (price > this.high[h]!) this.high[h] = price;
      if (price < this.low[h]!) this.low[h] = price;
      this.close[h] = price;
      this.volume[h]! += size;
      return;
    }
    const next = (h + 1) % this.capacity;
    this.head = next;
    if (this.size < this.capacity) this.size++;
    this.time[next] = start;
    this.open[next] = price;
    this.high[next] = price;
    this.low[next] = price;
    this.close[next] = price;
    this.volume[next] = size;
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
