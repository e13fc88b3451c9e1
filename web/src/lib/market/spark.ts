// A watchlist row's sparkline: a bounded ring of one-minute closes per symbol, folded per trade without
// allocating (seeded from the snapshot's 1 m candles), and its SVG polyline, which the row view rebuilds
// at most once a second (rows.ts) — the DOM only ever sees that string.

/** One point per minute: the last two hours of the session at most. */
export const SPARK_POINTS = 120;
export const SPARK_BUCKET_MS = 60_000;
/** The polyline's coordinate box (the SVG scales it to the cell). */
export const SPARK_WIDTH = 48;
export const SPARK_HEIGHT = 16;

export class SparkSeries {
  private readonly closes = new Float64Array(SPARK_POINTS);
  /** Minute (epoch ms / 60 000) of the newest point; -1 empty. */
  private minute = -1;
  private next = 0;
  length = 0;
  /** Bumped on every change. */
  version = 0;

  /** A trade at `timeMs`: the close of its minute (a new point when the minute is new; older minutes ignored). */
  add(timeMs: number, price: number): void {
    const minute = Math.floor(timeMs / SPARK_BUCKET_MS);
    if (minute < this.minute) return;
    if (minute > this.minute || this.length === 0) {
      this.minute = minute;
      this.next = (this.next + 1) % SPARK_POINTS;
      this.length = Math.min(SPARK_POINTS, this.length + 1);
    }
    this.closes[(this.next + SPARK_POINTS - 1) % SPARK_POINTS] = price;
    this.version++;
  }

  /** Replaces the series with bars' closes (oldest first; `time` in UTC seconds), e.g. a snapshot's 1 m candles. */
  seed(bars: readonly { time: number; close: number }[]): void {
    this.minute = -1;
    this.length = 0;
    this.next = 0;
    for (const bar of bars.slice(-SPARK_POINTS)) this.add(bar.time * 1000, bar.close);
    this.version++;
  }

  /** Oldest first. */
  values(): number[] {
    const out: number[] = [];
    for (let i = this.length; i >= 1; i--) out.push(this.closes[(this.next - i + SPARK_POINTS) % SPARK_POINTS] as number);
    return out;
  }
}

/**
 * The series as SVG polyline points in a SPARK_WIDTH × SPARK_HEIGHT box, scaled between its low and high
 * (and the session open, `base`, when known, so the baseline is in range), plus the baseline's y; '' when
 * fewer than two points.
 */
export function sparkPath(values: readonly number[], base: number): { points: string; baseY: number } {
  if (values.length < 2) return { points: '', baseY: -1 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (base > 0) {
    lo = Math.min(lo, base);
    hi = Math.max(hi, base);
  }
  const pad = 1; // keep the stroke inside the box
  const span = hi - lo || 1;
  const y = (v: number) => +(pad + (SPARK_HEIGHT - 2 * pad) * (1 - (v - lo) / span)).toFixed(1);
  // The session so far spans the whole width, as on any watchlist: the shape matters, not the scale.
  const step = SPARK_WIDTH / (values.length - 1);
  const points = values.map((v, i) => `${+(step * i).toFixed(1)},${y(v)}`).join(' ');
  return { points, baseY: base > 0 ? y(base) : -1 };
}
