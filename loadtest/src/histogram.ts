// HDR histograms of latencies in microseconds: one place that fixes their range and precision so that
// histograms built in different worker threads can be encoded, shipped and merged without surprises.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/** 1 µs .. 1 hour, 3 significant digits (0.1 % error): ~40 KiB per histogram, fixed, no resizing. */
export const HIST_LOWEST_US = 1;
export const HIST_HIGHEST_US = 3_600_000_000;
export const HIST_DIGITS = 3;

export type { Histogram };

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: HIST_LOWEST_US,
    highestTrackableValue: HIST_HIGHEST_US,
    numberOfSignificantValueDigits: HIST_DIGITS,
  });
}

/** Records `us` (clamped into the trackable range) `count` times. */
export function recordUs(h: Histogram, us: number, count = 1): void {
  const v = us < 0 ? 0 : us > HIST_HIGHEST_US ? HIST_HIGHEST_US : Math.round(us);
  if (count === 1) h.recordValue(v);
  else h.recordValueWithCount(v, count);
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram into `into` (the merge of per-worker histograms). */
export function mergeEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  const h = decodeFromCompressedBase64(encoded, 32);
  into.add(h);
  h.destroy();
}

/**
 * A recording front-end for the hot path. hdr-histogram-js computes a bucket with log2/pow/floor per
 * value (~50 ns, the largest single cost of the load generator per tick); this counts values in the very
 * same buckets with integer ops (clz32, shifts) and adds them to the HDR histogram in bulk (`flushInto`).
 * Equivalent by construction: each count is added at its bucket's lowest value, which HDR files in the
 * same bucket, so percentiles, max and counts read back identically. Layout fixed for 3 significant
 * digits and a lowest value of 1 (sub-bucket count 2048), values clamped to 0..2^31−1 µs (35 min).
 */
export class FastRecorder {
  static readonly SUB_BUCKET_HALF_MAGNITUDE = 10;
  static readonly MAX_VALUE = 0x7fff_ffff;
  readonly counts = new Float64Array((31 - FastRecorder.SUB_BUCKET_HALF_MAGNITUDE + 1) << FastRecorder.SUB_BUCKET_HALF_MAGNITUDE);
  total = 0;

  /** Exact extremes, so maxValue and minNonZeroValue read back exactly too. */
  max = 0;
  minNonZero = Number.POSITIVE_INFINITY;

  record(us: number, count = 1): void {
    const v = us <= 0 ? 0 : us >= FastRecorder.MAX_VALUE ? FastRecorder.MAX_VALUE : Math.round(us);
    this.counts[FastRecorder.indexOf(v)]! += count;
    this.total += count;
    if (v > this.max) this.max = v;
    if (v !== 0 && v < this.minNonZero) this.minNonZero = v;
  }

  /** Lowest value of the bucket at `index` (the inverse of record's index). */
  static valueAt(index: number): number {
    if (index < 2048) return index;
    const bucket = (index >>> 10) - 1;
    return ((index & 1023) + 1024) * 2 ** bucket;
  }

  static indexOf(v: number): number {
    const bucket = 31 - Math.clz32(v | 2047) - FastRecorder.SUB_BUCKET_HALF_MAGNITUDE;
    return bucket === 0 ? v : ((bucket + 1) << 10) + (v >>> bucket) - 1024;
  }

  /** Adds every count to `h` and clears this recorder. */
  flushInto(h: Histogram): void {
    if (this.total === 0) return;
    const counts = this.counts;
    // The extremes go in as their exact values (same buckets, so percentiles do not change).
    const extremes = [this.max];
    if (this.minNonZero !== this.max && Number.isFinite(this.minNonZero)) extremes.push(this.minNonZero);
    for (const v of extremes) {
      const i = FastRecorder.indexOf(v);
      if (counts[i]! > 0) {
        h.recordValue(v);
        counts[i]!--;
      }
    }
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]!;
      if (n !== 0) {
        h.recordValueWithCount(FastRecorder.valueAt(i), n);
        counts[i] = 0;
      }
    }
    this.total = 0;
    this.max = 0;
    this.minNonZero = Number.POSITIVE_INFINITY;
  }
}

/** Latency summary in milliseconds, rounded to µs. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const usToMs = (us: number): number => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count: h.totalCount,
    p50: usToMs(h.getValueAtPercentile(50)),
    p90: usToMs(h.getValueAtPercentile(90)),
    p99: usToMs(h.getValueAtPercentile(99)),
    p999: usToMs(h.getValueAtPercentile(99.9)),
    max: usToMs(h.maxValue),
    mean: usToMs(h.mean),
  };
}
