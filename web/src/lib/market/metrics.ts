// Rolling measurements for the connection panel: latency percentiles over the last few seconds and
// updates per second. Fixed-size typed-array rings, so a flood of ticks costs no allocation and a
// background tab cannot grow memory.

/** Ring of (timestamp, value) samples; percentiles are taken over samples newer than a window. */
export class SampleWindow {
  private readonly at: Float64Array;
  private readonly values: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity = 16_384) {
    this.at = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  push(atMs: number, value: number): void {
    this.at[this.next] = atMs;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Number of samples taken at or after `sinceMs`. */
  countSince(sinceMs: number): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if ((this.at[i] as number) >= sinceMs) n++;
    return n;
  }

  /** The p-quantile (0..1, nearest rank) of samples at or after `sinceMs`; null when there are none. */
  quantileSince(sinceMs: number, p: number): number | null {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if ((this.at[i] as number) >= sinceMs) this.scratch[n++] = this.values[i] as number;
    }
    if (n === 0) return null;
    const sorted = this.scratch.subarray(0, n).sort();
    const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
    return sorted[rank] as number;
  }

  clear(): void {
    this.next = 0;
    this.size = 0;
  }
}

/** Event counter in one-second buckets; rate() averages the complete buckets of the window. */
export class RateCounter {
  private readonly buckets: Float64Array;
  private readonly stamps: Float64Array;
  /** Second of the first event: until a whole window has passed, average over the seconds seen. */
  private firstSec = -1;

  constructor(private readonly windowSec = 5) {
    this.buckets = new Float64Array(windowSec + 1);
    this.stamps = new Float64Array(windowSec + 1).fill(-1);
  }

  add(nowMs: number, count = 1): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.firstSec < 0) this.firstSec = sec;
    const i = sec % this.buckets.length;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i] = (this.buckets[i] as number) + count;
  }

  /**
   * Events per second over the last `windowSec` whole seconds (the running second excluded). The first
   * second is partial (counting began mid-second), so it only counts when it is the only one there is.
   */
  rate(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    if (this.firstSec < 0 || sec <= this.firstSec) return 0;
    const from = Math.max(sec - this.windowSec, this.firstSec + (sec - this.firstSec > 1 ? 1 : 0));
    let total = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const s = this.stamps[i] as number;
      if (s >= from && s < sec) total += this.buckets[i] as number;
    }
    return total / (sec - from);
  }
}
