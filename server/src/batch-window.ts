// The adaptive batch window: how long the fan-out gathers ticks before it publishes. Under load it widens
// (within --batch-max-ms) so the same work goes out in fewer, fuller frames instead of queueing behind a
// loop that cannot keep up; when load falls it narrows back to --batch-ms. Pure and clock-free: the batch
// loop (batch-loop.ts) feeds it one measurement per batch, so tests drive it with made-up numbers.

/** One batch as the loop saw it. */
export interface BatchLoad {
  /** Event-loop utilisation since the previous batch, 0–1: how much of that time the loop was running. */
  utilization: number;
  /** How late the batch started against its schedule, ms. */
  lateMs: number;
  /** Time the batch itself took (poll + flush, which includes handing frames to every subscriber). */
  workMs: number;
}

/**
 * Busy = this loop mostly running AND batches late or long: lateness plus the batch's own work taking at
 * least half the window. Either alone misleads: utilisation stays near 1 while work that yields often runs
 * (the past-candle seeder after start-up) and frames still leave on time; timers run late on an idle
 * server when other processes hold the CPU, and a wider window would not help there.
 */
export const BUSY_UTILIZATION = 0.8;
export const BUSY_SHARE = 0.5;
/**
 * AND the batch itself takes at least this share of the window: a wider window saves fan-out work per
 * second and nothing else, so it cannot relieve a loop busy with cheap batches (on a crowded core the
 * seeder's slices alone make batches late; the quick clients-per-core run showed the window widened then).
 */
export const BUSY_WORK_SHARE = 0.1;
/**
 * Idle = the loop mostly waiting OR batches on time and cheap. Both far enough below the busy marks that
 * one narrowing step (+25 % work per second at most) cannot cross them, so the window does not flap.
 */
export const IDLE_UTILIZATION = 0.4;
export const IDLE_SHARE = 0.2;
/** Busy batches in a row before the window widens: a single spike (a GC pause, a burst of connects) changes nothing. */
export const WIDEN_AFTER = 3;
/** Idle batches in a row before it narrows: slower than widening, so a load that hovers does not flap. */
export const NARROW_AFTER = 20;
/** Widening is quick (20 → 30 → 45 → 50 ms), narrowing gradual (×0.8 per step). */
export const WIDEN_FACTOR = 1.5;
export const NARROW_FACTOR = 0.8;

export class BatchWindow {
  readonly minMs: number;
  readonly maxMs: number;
  private current: number;
  private busyRun = 0;
  private idleRun = 0;

  constructor(bounds: { minMs: number; maxMs: number }) {
    if (!(Number.isInteger(bounds.minMs) && Number.isInteger(bounds.maxMs) && bounds.minMs >= 1 && bounds.maxMs >= bounds.minMs)) {
      throw new RangeError(`batch window bounds must be integers with 1 ≤ min ≤ max (got ${bounds.minMs}..${bounds.maxMs})`);
    }
    this.minMs = bounds.minMs;
    this.maxMs = bounds.maxMs;
    this.current = bounds.minMs;
  }

  /** The window the next batch waits, ms. */
  get ms(): number {
    return this.current;
  }

  get adaptive(): boolean {
    return this.maxMs > this.minMs;
  }

  /** Takes the last batch's measurement and returns the window for the next one. Never throws. */
  observe(load: BatchLoad): number {
    if (!this.adaptive) return this.current;
    const late = Number.isFinite(load.lateMs) ? Math.max(0, load.lateMs) : 0;
    const work = Number.isFinite(load.workMs) ? Math.max(0, load.workMs) : 0;
    const share = (late + work) / this.current;
    // Comparisons with NaN are false: an unreadable utilisation neither widens nor narrows.
    if (load.utilization >= BUSY_UTILIZATION && share >= BUSY_SHARE && work / this.current >= BUSY_WORK_SHARE) {
      this.idleRun = 0;
      if (++this.busyRun >= WIDEN_AFTER) this.resize(Math.min(this.maxMs, Math.ceil(this.current * WIDEN_FACTOR)));
    } else if (load.utilization <= IDLE_UTILIZATION || share <= IDLE_SHARE) {
      this.busyRun = 0;
      if (++this.idleRun >= NARROW_AFTER) this.resize(Math.max(this.minMs, Math.floor(this.current * NARROW_FACTOR)));
    } else {
      // In the band between: hold, and start both counts over, so only sustained load moves the window.
      this.busyRun = 0;
      this.idleRun = 0;
    }
    return this.current;
  }

  private resize(ms: number): void {
    this.current = ms;
    this.busyRun = 0;
    this.idleRun = 0;
  }
}
