// The simulated past at bar resolution: weeks of OHLCV bars for one instrument, generated from the same
// model as the live simulator (annualVol on the class's trading time from sessions.ts, the same mean
// reversion) instead of replaying billions of ticks. It walks BACKWARDS from the live stream's start
// price, so the newest bar closes exactly where the first live tick starts: no jump at the seam.
// Coarser steps further back (1 s for the last hour, 5 s, then 1 m, then 1 h) keep start-up and memory small.
import { U32_MAX } from '@tickwire/protocol/units';
import { Rng } from './random.js';
import { CALENDARS, tradingYears } from './sessions.js';
import type { Instrument } from './universe.js';

/** One stretch of the past generated at one bar step; segments run from the newest backwards. */
export interface PastSegment {
  stepSec: number;
  spanSec: number;
}

/**
 * The default depth: 1 s bars for the last hour, 5 s bars for 3 hours more (the 5 s chart scrolls back
 * past its first pages), 1 m for 30 days (so every interval from 1 m to 1 D covers a month at full
 * resolution), then 1 h bars for 62 days more (1 h to 1 D cover about 3 months). ≈ 51k bars a symbol.
 */
export const DEFAULT_PAST: readonly PastSegment[] = [
  { stepSec: 1, spanSec: 3600 },
  { stepSec: 5, spanSec: 3 * 3600 },
  { stepSec: 60, spanSec: 30 * 86_400 },
  { stepSec: 3600, spanSec: 62 * 86_400 },
];

/** Segment boundaries fall on whole hours, so every step (all divide an hour) tiles its segment exactly. */
const BOUNDARY_SEC = 3600;
/** Same pull towards the initial level as the simulator's (MEAN_REVERSION_PER_YEAR). */
const MEAN_REVERSION_PER_YEAR = 8;
/** Log-normal noise on each bar's volume around its expectation. */
const VOLUME_NOISE_SIGMA = 0.35;

/** Generated bars, oldest first, in columns: bar start (UTC seconds) and step, prices in ticks, volume in lots. */
export interface PastBars {
  readonly length: number;
  readonly time: Uint32Array;
  readonly step: Uint32Array;
  readonly open: Uint32Array;
  readonly high: Uint32Array;
  readonly low: Uint32Array;
  readonly close: Uint32Array;
  readonly volume: Float64Array;
}

export interface PastOptions {
  /** The simulator's seed; each instrument draws from its own stream derived from it and its id. */
  seed: number;
  /** Where the past ends: the live stream's start (the simulator's startTimeMs). */
  endMs: number;
  /** Mean trades per second of this instrument (its popularity share of the feed's rate): bar volume and empty bars. */
  ticksPerSecond: number;
  segments?: readonly PastSegment[];
  /** The simulator's calendarShiftMs: sessions are read that much later than the bars' times. */
  calendarShiftMs?: number;
}

/**
 * The backward walk behind generatePast(), resumable: advance() generates a bounded number of bar slots,
 * so a server can spread a month of 1 m bars over many turns of its event loop instead of stalling it.
 */
export class PastWalk {
  private readonly starts: number[] = [];
  private readonly steps: number[] = [];
  private readonly endSec: number;
  private readonly rng: Rng;
  private readonly cols: {
    time: Uint32Array;
    step: Uint32Array;
    open: Uint32Array;
    high: Uint32Array;
    low: Uint32Array;
    close: Uint32Array;
    volume: Float64Array;
  };
  private readonly ref: number;
  private readonly meanLots: number;
  private x: number;
  private j = 0;
  private kept = 0;

  constructor(
    private readonly inst: Instrument,
    private readonly options: PastOptions,
  ) {
    const segments = options.segments ?? DEFAULT_PAST;
    this.endSec = options.endMs / 1000;
    // Bar slots from the newest backwards: [start, end) pairs; the newest ends at endSec, mid-bar.
    let cursor = this.endSec;
    let boundary = Math.floor((this.endSec - (segments[0]?.spanSec ?? 0)) / BOUNDARY_SEC) * BOUNDARY_SEC;
    segments.forEach((seg, k) => {
      if (k > 0) boundary -= seg.spanSec;
      for (let start = Math.ceil(cursor / seg.stepSec) * seg.stepSec - seg.stepSec; start >= boundary; start -= seg.stepSec) {
        this.starts.push(start);
        this.steps.push(seg.stepSec);
      }
      cursor = boundary;
    });
    const n = this.starts.length;
    this.rng = new Rng(Number((BigInt(options.seed) * 1_000_003n + BigInt(inst.id) + 1n) % 2n ** 52n));
    this.cols = {
      time: new Uint32Array(n),
      step: new Uint32Array(n),
      open: new Uint32Array(n),
      high: new Uint32Array(n),
      low: new Uint32Array(n),
      close: new Uint32Array(n),
      volume: new Float64Array(n),
    };
    this.ref = Math.log(inst.initialPrice);
    this.x = this.ref;
    this.meanLots = Math.exp(inst.sizeMu + (inst.sizeSigma * inst.sizeSigma) / 2);
  }

  /** Bar slots in the whole walk (an upper bound on its bars: slots without a trade leave none). */
  get slots(): number {
    return this.starts.length;
  }

  get done(): boolean {
    return this.j >= this.starts.length;
  }

  /** Generates up to `maxSlots` more slots, newest to oldest; true once the walk is complete. */
  advance(maxSlots: number): boolean {
    const { inst, options, rng, cols, ref } = this;
    const n = this.starts.length;
    const tick = inst.tickSize;
    const toTicks = (x: number): number => Math.min(U32_MAX - (U32_MAX % tick), Math.max(tick, Math.round(Math.exp(x) / tick) * tick));
    const variancePerYear = inst.annualVol * inst.annualVol;
    const k = MEAN_REVERSION_PER_YEAR;
    const { yearsPerActivityMs } = CALENDARS[inst.assetClass];
    const stop = Math.min(n, this.j + maxSlots);
    const shift = options.calendarShiftMs ?? 0;
    let x = this.x;
    // Filled from the end of the arrays so the result reads oldest first.
    for (let j = this.j; j < stop; j++) {
      const start = this.starts[j]!;
      const stepSec = this.steps[j]!;
      const end = j === 0 ? this.endSec : start + stepSec;
      const years = tradingYears(inst.assetClass, start * 1000 + shift, end * 1000 + shift);
      // Exact OU step, taken backwards: the stationary process reversed in time is the same process.
      const decay = Math.exp(-k * years);
      const sd = Math.sqrt((variancePerYear * -Math.expm1(-2 * k * years)) / (2 * k));
      const xOpen = ref + (x - ref) * decay + sd * rng.normal();
      // High and low of a Brownian bridge from xOpen to x with the step's variance (exact extremes law).
      const d = x - xOpen;
      const v = variancePerYear * years;
      const up = (d + Math.sqrt(d * d - 2 * v * Math.log(1 - rng.uniform()))) / 2;
      const down = (d - Math.sqrt(d * d - 2 * v * Math.log(1 - rng.uniform()))) / 2;
      const seconds = end - start;
      // Mean activity over the step (volume follows it, as live trade sizes do).
      const activity = years / (seconds * 1000 * yearsPerActivityMs);
      const expectedTicks = options.ticksPerSecond * seconds;
      // A step in which no trade would have arrived leaves no bar (sparse 1 s bars, like live ones); the
      // newest bar is always kept so it closes at the live start price.
      const empty = j > 0 && rng.uniform() < Math.exp(-expectedTicks);
      const lots = Math.round(expectedTicks * activity * this.meanLots * Math.exp(VOLUME_NOISE_SIGMA * rng.normal()));
      const xClose = x;
      x = xOpen;
      if (empty) continue;
      const slot = n - 1 - this.kept++;
      cols.time[slot] = start;
      cols.step[slot] = stepSec;
      const o = toTicks(xOpen);
      const c = toTicks(xClose);
      cols.open[slot] = o;
      cols.close[slot] = c;
      cols.high[slot] = Math.max(o, c, toTicks(xOpen + up));
      cols.low[slot] = Math.min(o, c, toTicks(xOpen + down));
      cols.volume[slot] = Math.max(1, lots);
    }
    this.x = x;
    this.j = stop;
    return this.done;
  }

  /** The bars generated so far, oldest first (the whole past once done). */
  result(): PastBars {
    const from = this.starts.length - this.kept;
    const c = this.cols;
    return {
      length: this.kept,
      time: c.time.subarray(from),
      step: c.step.subarray(from),
      open: c.open.subarray(from),
      high: c.high.subarray(from),
      low: c.low.subarray(from),
      close: c.close.subarray(from),
      volume: c.volume.subarray(from),
    };
  }
}

/** The bars of `inst` before `endMs`, deterministic for (seed, instrument, endMs); the newest bar closes at initialPrice. */
export function generatePast(inst: Instrument, options: PastOptions): PastBars {
  const walk = new PastWalk(inst, options);
  walk.advance(walk.slots);
  return walk.result();
}
