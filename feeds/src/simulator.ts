// The simulated market: a deterministic, seeded stream of trades with the quote after each, in event-time
// order. It owns the price model (mean-reverting GBM on each class's trading time, with volatility regimes
// and jumps, calibrated so realised volatility matches annualVol), spreads, sizes and per-symbol seq.
// No sockets, no clocks, no Node imports, so it runs the same anywhere. The model, in brief:
//
// - Trading time (sessions.ts, UTC, fixed hours: no DST, no holidays). Equities: 14:30–21:00 Mon–Fri
//   (NYSE in winter) with a U-shaped activity (≈2.6× midday at the open, 1.6× at the close), 0.03 of it on
//   weekday nights, 0.01 at weekends. FX: 1 from Sunday 22:00 to Friday 22:00, 0.02 while closed.
//   Crypto: 1, 24/7. A year is 252 trading days (equities, FX) or 365 (crypto); annualVol² is the
//   log-price variance per year of trading time, so over any whole week it is exact in expectation.
// - Log mid: exact Ornstein–Uhlenbeck step over each gap's trading time (mean reversion 8/year), times
//   a regime multiplier (calm/normal/volatile, mean square 1), plus Pareto jumps carrying 15 % of the
//   variance (smallest jump 4 one-minute sds; ~1.4 a day for an equity, ~5 for crypto). Variance
//   depends on trading time, never on the tick count, so realised vol does not depend on --tick-rate.
// - Off-session rule: symbols never stop ticking (the arrival process and --tick-rate are unchanged, so
//   the dashboard is lively at any hour), but there prices barely move, trade sizes scale with activity
//   (volume seasonality) and most prints repeat the last price while the quote holds it, so bid/ask
//   bounce does not inflate 1-minute realised vol.
//
// Realised vol from 1 m / 5 m bar closes over one week from Mon 2025-01-06, annualised per trading day
// (seed 1, 1 tick/s per symbol; feeds/test/calibration.test.ts checks ±30 %). The former model ran a
// 6.5-hour-day year 10× fast round the clock, with regimes and jumps on top of annualVol:
//
// | symbol  | class  | annualVol | before 1 m / 5 m | after 1 m / 5 m |
// | ------- | ------ | --------- | ---------------- | --------------- |
// | AAPL    | equity | 25 %      | 218 % / 216 %    | 24.7 % / 24.9 % |
// | TSLA    | equity | 60 %      | 519 % / 510 %    | 56.6 % / 59.6 % |
// | KO      | equity | 14 %      | 123 % / 120 %    | 15.8 % / 13.8 % |
// | EURUSD  | fx     | 7 %       | 61.5 % / 62.0 %  | 8.2 % / 8.1 %   |
// | USDJPY  | fx     | 10 %      | 87.9 % / 88.0 %  | 9.9 % / 10.0 %  |
// | BTCUSD  | crypto | 60 %      | 528 % / 534 %    | 65.5 % / 63.9 % |
// | DOGEUSD | crypto | 100 %     | 896 % / 886 %    | 96.3 % / 93.9 % |
import type { Tick } from '@tickwire/protocol/messages';
import { U32_MAX, type EpochMs, type PriceTicks, type SizeLots } from '@tickwire/protocol/units';
import { Rng, type RngState } from './random.js';
import { ASSET_CLASSES, BUCKET_LENGTH_MS, CALENDARS, bucketAt, tradingYears } from './sessions.js';
import { MAX_INSTRUMENTS, assertInstrument, type Instrument } from './universe.js';

export interface SimulatorOptions {
  /** Any safe integer; the same seed and options give the same stream. */
  seed: number;
  /** Symbol ids are the instruments' ids, which must equal their index (as defaultUniverse builds them). */
  instruments: readonly Instrument[];
  /** Mean total arrival rate over all symbols, in (0, 1_000_000]. */
  ticksPerSecond: number;
  /** Event time at which the market opens; the first tick comes a random moment later. */
  startTimeMs: number;
  /** Trading time per unit of calendar time, on top of the sessions (default 1: real time; tests speed it up). */
  timeAcceleration?: number;
  /**
   * Added to event time where the sessions calendar is read (default 0): the market trades as if it were
   * that much later, so a demo or a test on a Saturday can run a weekday session. Event times are unchanged.
   */
  calendarShiftMs?: number;
}

export interface Quote {
  bid: PriceTicks;
  ask: PriceTicks;
  last: PriceTicks;
}

export const MAX_TICKS_PER_SECOND = 1_000_000;

export const SIMULATOR_STATE_VERSION = 1;

/** Serializable simulator state (plain JSON). */
export interface SimulatorState {
  version: number;
  startTimeMs: number;
  symbols: number;
  ticksPerSecond: number;
  rng: RngState;
  nextElapsed: number;
  logMid: number[];
  lastElapsed: number[];
  regime: number[];
  regimeUntil: number[];
  seq: number[];
  bid: number[];
  ask: number[];
  last: number[];
}

// ---- Model parameters. Changing any of them (or the order of random draws) changes every stream. ----

/**
 * annualVol is per year of the class's trading time (feeds/src/sessions.ts). An earlier model ran a
 * 6.5-hour-day year ten times faster, round the clock, which made realised vol 4–9× the table's.
 */
export const DEFAULT_TIME_ACCELERATION = 1;
/**
 * Pull of the log mid towards its initial level, per trading year: a half-life of about a month of
 * trading, invisible within a day, but it keeps the stationary spread of prices near σ/4 (≈ ±7 % for
 * a 30 % vol stock), so a long run never drifts to absurd levels (or out of PRICE_HEADROOM).
 */
const MEAN_REVERSION_PER_YEAR = 8;

const Regime = { Calm: 0, Normal: 1, Volatile: 2 } as const;
type Regime = (typeof Regime)[keyof typeof Regime];
const SPREAD_MULT = [0.75, 1, 2.2] as const;
/** Mean time in each regime, in event-time ms, so a few minutes of demo shows regime changes. */
const DWELL_MS = [90_000, 120_000, 30_000] as const;
/** From Normal the market calms down or heats up with equal odds; the other two return to Normal. */
const P_NORMAL_TO_CALM = 0.5;
/** Long-run share of time in each regime (the chain's stationary law). */
const REGIME_SHARE = (() => {
  const raw = [P_NORMAL_TO_CALM * DWELL_MS[0], DWELL_MS[1], (1 - P_NORMAL_TO_CALM) * DWELL_MS[2]];
  const total = raw[0]! + raw[1]! + raw[2]!;
  return raw.map((r) => r / total);
})();
/**
 * Volatility multipliers 1 : 2 : 5 (calm : normal : volatile), scaled so their mean square over time is
 * 1: regimes make volatility cluster without adding variance on average.
 */
const VOL_MULT = (() => {
  const raw = [0.5, 1, 2.5];
  const meanSquare = raw.reduce((s, m, k) => s + REGIME_SHARE[k]! * m * m, 0);
  return raw.map((m) => m / Math.sqrt(meanSquare));
})();
const MEAN_VOL_MULT = VOL_MULT.reduce((s, m, k) => s + REGIME_SHARE[k]! * m, 0);

/** Share of each symbol's variance that comes from jumps; the diffusion carries the rest. */
const JUMP_VARIANCE_SHARE = 0.15;
/** The smallest jump, in standard deviations of a one-minute move at activity 1: large enough to see. */
const JUMP_MIN_MINUTE_SDS = 4;
/** Jump log-returns are Pareto (tail index 3) from the minimum, capped at JUMP_CAP × minimum. */
const JUMP_TAIL_ALPHA = 3;
const JUMP_CAP = 10;
/** E[J²] / minimum² of that capped Pareto law. */
const JUMP_SECOND_MOMENT = 1 + (2 * (1 - JUMP_CAP ** (2 - JUMP_TAIL_ALPHA))) / (JUMP_TAIL_ALPHA - 2);

/** Log-normal noise on each quote's spread. */
const SPREAD_NOISE_SIGMA = 0.3;
/** Share of trades printing strictly inside a spread of two ticks or more (hidden liquidity, midpoint crosses). */
const INSIDE_TRADE_PROB = 0.08;
/** Trades lean to the ask when the mid just rose and to the bid when it fell. */
const AGGRESSOR_BIAS = 0.15;

/**
 * Deterministic market simulator. Arrivals over all symbols form one Poisson process; each arrival
 * picks a symbol by popularity (alias method), moves its hidden mid over the time since that symbol's
 * last tick, draws a fresh spread, and prints a trade inside the new quote.
 *
 * Not re-entrant: call advanceTo again from inside emit and it throws.
 */
export class MarketSimulator {
  readonly instruments: readonly Instrument[];
  readonly ticksPerSecond: number;
  readonly startTimeMs: number;
  /** SimulatorOptions.calendarShiftMs. */
  readonly calendarShiftMs: number;

  readonly #rng: Rng;
  readonly #ratePerMs: number;
  readonly #acceleration: number;
  // Alias tables (Vose) for picking a symbol in O(1).
  readonly #aliasProb: Float64Array;
  readonly #aliasIdx: Uint32Array;

  // Per-symbol state in struct-of-arrays form: the hot path touches numbers only and allocates nothing.
  // Indices are symbol ids already range-checked (or drawn from the alias table), hence the `!`s.
  readonly #logRef: Float64Array;
  readonly #classOf: Uint8Array;
  /** Diffusion variance per trading year (annualVol² less the jumps' share, per unit of mean regime variance). */
  readonly #varPerYear: Float64Array;
  readonly #jumpMin: Float64Array;
  /** Trading years since startTimeMs at the symbol's last tick (derived from lastElapsed, not saved). */
  readonly #lastYears: Float64Array;

  // Per asset class: the 15-minute calendar bucket the clock is in, cached because ticks arrive in time
  // order, so the hot path turns event time into trading time with one compare and one multiply-add.
  readonly #jumpRatePerYear: Float64Array;
  readonly #segStart = new Float64Array(ASSET_CLASSES.length);
  readonly #segEnd = new Float64Array(ASSET_CLASSES.length).fill(-Infinity);
  readonly #segYears = new Float64Array(ASSET_CLASSES.length);
  readonly #segYearsPerMs = new Float64Array(ASSET_CLASSES.length);
  readonly #segActivity = new Float64Array(ASSET_CLASSES.length);
  readonly #baseSpread: Float64Array;
  readonly #tickSize: Float64Array;
  readonly #sizeMu: Float64Array;
  readonly #sizeSigma: Float64Array;
  readonly #logMid: Float64Array;
  readonly #lastElapsed: Float64Array;
  readonly #regime: Uint8Array;
  readonly #regimeUntil: Float64Array;
  readonly #seq: Float64Array;
  readonly #bid: Float64Array;
  readonly #ask: Float64Array;
  readonly #last: Float64Array;

  /** Time of the next arrival, as an offset from startTimeMs so inter-arrival gaps keep full precision. */
  #nextElapsed: number;
  #busy = false;
  readonly #tick: Tick;

  constructor(options: SimulatorOptions) {
    const { seed, instruments, ticksPerSecond, startTimeMs } = options;
    const acceleration = options.timeAcceleration ?? DEFAULT_TIME_ACCELERATION;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    if (!(ticksPerSecond > 0 && ticksPerSecond <= MAX_TICKS_PER_SECOND)) {
      throw new RangeError(`ticksPerSecond must be > 0 and <= ${MAX_TICKS_PER_SECOND}, got ${ticksPerSecond}`);
    }
    if (!Number.isFinite(startTimeMs)) throw new RangeError(`startTimeMs must be finite, got ${startTimeMs}`);
    if (!(acceleration > 0 && Number.isFinite(acceleration))) {
      throw new RangeError(`timeAcceleration must be finite and > 0, got ${acceleration}`);
    }
    const n = instruments.length;
    if (n < 1 || n > MAX_INSTRUMENTS) throw new RangeError(`need 1..${MAX_INSTRUMENTS} instruments, got ${n}`);
    instruments.forEach((inst, index) => {
      if (inst.id !== index) throw new RangeError(`instrument ${inst.ticker} has id ${inst.id} but sits at index ${index}`);
      assertInstrument(inst);
    });

    this.instruments = Object.freeze([...instruments]);
    this.ticksPerSecond = ticksPerSecond;
    this.startTimeMs = startTimeMs;
    this.calendarShiftMs = options.calendarShiftMs ?? 0;
    if (!Number.isFinite(this.calendarShiftMs)) throw new RangeError(`calendarShiftMs must be finite, got ${this.calendarShiftMs}`);
    this.#rng = new Rng(seed);
    this.#ratePerMs = ticksPerSecond / 1000;
    this.#acceleration = acceleration;
    this.#jumpRatePerYear = Float64Array.from(
      ASSET_CLASSES,
      (c) => (JUMP_VARIANCE_SHARE * CALENDARS[c].minutesPerYear) / (MEAN_VOL_MULT * JUMP_MIN_MINUTE_SDS ** 2 * JUMP_SECOND_MOMENT),
    );

    [this.#aliasProb, this.#aliasIdx] = buildAlias(instruments.map((inst) => inst.popularity));

    const f64 = (): Float64Array => new Float64Array(n);
    this.#logRef = f64();
    this.#classOf = new Uint8Array(n);
    this.#varPerYear = f64();
    this.#jumpMin = f64();
    this.#lastYears = f64();
    this.#baseSpread = f64();
    this.#tickSize = f64();
    this.#sizeMu = f64();
    this.#sizeSigma = f64();
    this.#logMid = f64();
    this.#lastElapsed = f64();
    this.#regime = new Uint8Array(n);
    this.#regimeUntil = f64();
    this.#seq = f64();
    this.#bid = f64();
    this.#ask = f64();
    this.#last = f64();

    // Start every symbol in a regime drawn from the chain's long-run shares, so the market does not
    // all begin in the same mood.
    const share = REGIME_SHARE;
    for (let i = 0; i < n; i++) {
      const inst = instruments[i]!;
      const cls = ASSET_CLASSES.indexOf(inst.assetClass);
      this.#classOf[i] = cls;
      this.#logRef[i] = Math.log(inst.initialPrice);
      this.#logMid[i] = this.#logRef[i]!;
      this.#varPerYear[i] = (1 - JUMP_VARIANCE_SHARE) * inst.annualVol * inst.annualVol;
      this.#jumpMin[i] = (JUMP_MIN_MINUTE_SDS * inst.annualVol) / Math.sqrt(CALENDARS[inst.assetClass].minutesPerYear);
      this.#baseSpread[i] = inst.baseSpreadTicks;
      this.#tickSize[i] = inst.tickSize;
      this.#sizeMu[i] = inst.sizeMu;
      this.#sizeSigma[i] = inst.sizeSigma;
      const u = this.#rng.uniform();
      const regime = u < share[0]! ? Regime.Calm : u < share[0]! + share[1]! ? Regime.Normal : Regime.Volatile;
      this.#regime[i] = regime;
      this.#regimeUntil[i] = this.#rng.exponential(1 / DWELL_MS[regime]);
      const steps = Math.max(1, Math.round(inst.baseSpreadTicks / inst.tickSize));
      this.#setQuote(i, inst.initialPrice, steps);
      const grid = Math.round(inst.initialPrice / inst.tickSize) * inst.tickSize;
      this.#last[i] = Math.min(Math.max(grid, this.#bid[i]!), this.#ask[i]!);
    }

    this.#nextElapsed = this.#rng.exponential(this.#ratePerMs);
    // Every field a number from the start, so the object keeps one hidden class.
    this.#tick = {
      symbolId: 0,
      flags: 0,
      seq: 0,
      eventTimeMs: 0 as EpochMs,
      price: 0 as PriceTicks,
      size: 0 as SizeLots,
      bid: 0 as PriceTicks,
      ask: 0 as PriceTicks,
    };
  }

  /** Event time of the next tick not yet emitted. */
  get nextEventTimeMs(): number {
    return this.startTimeMs + this.#nextElapsed;
  }

  /**
   * Emits, in event-time order, every tick with eventTimeMs <= untilMs not emitted yet, and returns how
   * many. The stream does not depend on how time is cut into calls. An untilMs earlier than the last
   * call's emits nothing.
   *
   * `emit` receives ONE scratch Tick object, overwritten for every tick: copy whatever you keep. If emit
   * throws, that tick counts as emitted and the simulator stays consistent.
   */
  advanceTo(untilMs: number, emit: (tick: Tick) => void): number {
    if (!Number.isFinite(untilMs)) throw new RangeError(`untilMs must be finite, got ${untilMs}`);
    if (this.#busy) throw new Error('MarketSimulator.advanceTo called from inside its own emit callback');
    this.#busy = true;
    let count = 0;
    try {
      const start = this.startTimeMs;
      for (;;) {
        const elapsed = this.#nextElapsed;
        const eventTimeMs = start + elapsed;
        if (eventTimeMs > untilMs) break;
        this.#step(elapsed, eventTimeMs);
        // Draw the next arrival before emitting so a throwing callback cannot desynchronise the stream.
        this.#nextElapsed = elapsed + this.#rng.exponential(this.#ratePerMs);
        count++;
        emit(this.#tick);
      }
    } finally {
      this.#busy = false;
    }
    return count;
  }

  /**
   * Everything that changes as the market runs, so a process can save it on shutdown and a new process
   * built with the same options can continue the identical stream (same ticks, same seqs).
   */
  exportState(): SimulatorState {
    const list = (a: Float64Array | Uint8Array) => Array.from(a);
    return {
      version: SIMULATOR_STATE_VERSION,
      startTimeMs: this.startTimeMs,
      symbols: this.instruments.length,
      ticksPerSecond: this.ticksPerSecond,
      rng: this.#rng.getState(),
      nextElapsed: this.#nextElapsed,
      logMid: list(this.#logMid),
      lastElapsed: list(this.#lastElapsed),
      regime: list(this.#regime),
      regimeUntil: list(this.#regimeUntil),
      seq: list(this.#seq),
      bid: list(this.#bid),
      ask: list(this.#ask),
      last: list(this.#last),
    };
  }

  /** Restores a state saved by exportState from a simulator built with the same options. */
  importState(state: SimulatorState): void {
    const n = this.instruments.length;
    if (state.version !== SIMULATOR_STATE_VERSION) throw new RangeError(`simulator state version ${state.version} is not ${SIMULATOR_STATE_VERSION}`);
    if (state.symbols !== n || state.ticksPerSecond !== this.ticksPerSecond || state.startTimeMs !== this.startTimeMs) {
      throw new RangeError('simulator state was saved with other options (symbols, rate or start time)');
    }
    const arrays: Array<[Float64Array | Uint8Array, number[]]> = [
      [this.#logMid, state.logMid],
      [this.#lastElapsed, state.lastElapsed],
      [this.#regime, state.regime],
      [this.#regimeUntil, state.regimeUntil],
      [this.#seq, state.seq],
      [this.#bid, state.bid],
      [this.#ask, state.ask],
      [this.#last, state.last],
    ];
    for (const [, source] of arrays) {
      if (!Array.isArray(source) || source.length !== n || source.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new RangeError('simulator state arrays do not match the instrument count');
      }
    }
    this.#rng.setState(state.rng);
    for (const [target, source] of arrays) target.set(source);
    this.#nextElapsed = state.nextElapsed;
    this.#segEnd.fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const cls = ASSET_CLASSES[this.#classOf[i]!]!;
      const start = this.startTimeMs + this.calendarShiftMs;
      this.#lastYears[i] = tradingYears(cls, start, start + this.#lastElapsed[i]!) * this.#acceleration;
    }
  }

  /** Seq of the symbol's latest tick (0 before its first). */
  lastSeq(symbolId: number): number {
    this.#checkId(symbolId);
    return this.#seq[symbolId]!;
  }

  /** The symbol's current quote and last trade price (the initial level before its first tick). */
  quote(symbolId: number): Quote {
    this.#checkId(symbolId);
    return {
      bid: this.#bid[symbolId]! as PriceTicks,
      ask: this.#ask[symbolId]! as PriceTicks,
      last: this.#last[symbolId]! as PriceTicks,
    };
  }

  #checkId(symbolId: number): void {
    if (!Number.isInteger(symbolId) || symbolId < 0 || symbolId >= this.instruments.length) {
      throw new RangeError(`unknown symbol id ${symbolId}`);
    }
  }

  /** Generates one tick at `elapsed` into the scratch object. Hot path: numbers only. */
  #step(elapsed: number, eventTimeMs: number): void {
    const rng = this.#rng;

    // Symbol by popularity.
    const column = Math.floor(rng.uniform() * this.#aliasProb.length);
    const i = rng.uniform() < this.#aliasProb[column]! ? column : this.#aliasIdx[column]!;

    this.#lastElapsed[i] = elapsed;
    const cls = this.#classOf[i]!;
    if (!(elapsed < this.#segEnd[cls]!)) this.#enterBucket(cls, elapsed);
    const years = this.#segYears[cls]! + this.#segYearsPerMs[cls]! * (elapsed - this.#segStart[cls]!);
    const dt = years - this.#lastYears[i]!;
    this.#lastYears[i] = years;

    // Regime switches that fell due since this symbol's last tick. The new regime governs the whole gap:
    // gaps are milliseconds against regimes lasting tens of seconds.
    let regime = this.#regime[i]! as Regime;
    while (elapsed >= this.#regimeUntil[i]!) {
      regime = regime === Regime.Normal ? (rng.uniform() < P_NORMAL_TO_CALM ? Regime.Calm : Regime.Volatile) : Regime.Normal;
      this.#regimeUntil[i] = this.#regimeUntil[i]! + rng.exponential(1 / DWELL_MS[regime]);
    }
    this.#regime[i] = regime;
    const volMult = VOL_MULT[regime]!;

    // Exact Ornstein–Uhlenbeck step of the log mid over the gap's trading time dt (years): the variance
    // depends on trading time only, never on how many ticks cut it, so realised vol is the same at any
    // tick rate; exact even after a weekend's silence (where an Euler step would overshoot).
    const k = MEAN_REVERSION_PER_YEAR;
    const logRef = this.#logRef[i]!;
    const variance = (this.#varPerYear[i]! * volMult * volMult * -Math.expm1(-2 * k * dt)) / (2 * k);
    const shock = rng.normal();
    let x = logRef + (this.#logMid[i]! - logRef) * Math.exp(-k * dt) + Math.sqrt(variance) * shock;

    if (rng.uniform() < -Math.expm1(-this.#jumpRatePerYear[cls]! * volMult * dt)) {
      const min = this.#jumpMin[i]!;
      const size = Math.min(min * (1 - rng.uniform()) ** (-1 / JUMP_TAIL_ALPHA), min * JUMP_CAP);
      x += rng.uniform() < 0.5 ? -size : size;
    }
    this.#logMid[i] = x;

    // Spread widens with the regime; always at least one tick.
    const tickSize = this.#tickSize[i]!;
    const spreadRaw = this.#baseSpread[i]! * SPREAD_MULT[regime] * Math.exp(SPREAD_NOISE_SIGMA * rng.normal());
    const steps = Math.max(1, Math.round(spreadRaw / tickSize));
    this.#setQuote(i, Math.exp(x), steps);
    const bid = this.#bid[i]!;
    const ask = this.#ask[i]!;

    // Off session (activity < 1 only there) most prints repeat the last price while the quote still holds
    // it: bid/ask bounce on a still market would otherwise dominate realised vol at the 1-minute scale.
    const activity = this.#segActivity[cls]!;
    let price: number;
    if (activity < 1 && rng.uniform() >= activity) {
      const last = this.#last[i]!;
      price = last < bid ? bid : last > ask ? ask : last;
    } else if (steps > 1 && rng.uniform() < INSIDE_TRADE_PROB) {
      price = bid + (1 + Math.floor(rng.uniform() * (steps - 1))) * tickSize;
    } else {
      price = rng.uniform() < 0.5 + (shock > 0 ? AGGRESSOR_BIAS : -AGGRESSOR_BIAS) ? ask : bid;
    }
    this.#last[i] = price;

    // Volume follows the same seasonality as volatility, through trade sizes rather than fewer ticks.
    const lots = Math.round(activity * Math.exp(this.#sizeMu[i]! + this.#sizeSigma[i]! * rng.normal()));
    const seq = this.#seq[i]! + 1;
    this.#seq[i] = seq;

    const tick = this.#tick;
    tick.symbolId = i;
    tick.seq = seq;
    tick.eventTimeMs = eventTimeMs as EpochMs;
    tick.price = price as PriceTicks;
    tick.size = (lots < 1 ? 1 : lots > U32_MAX ? U32_MAX : lots) as SizeLots;
    tick.bid = bid as PriceTicks;
    tick.ask = ask as PriceTicks;
  }

  /** Moves class `cls`'s cached calendar bucket to the one holding `elapsed` (once per class per 15 minutes). */
  #enterBucket(cls: number, elapsed: number): void {
    const assetClass = ASSET_CLASSES[cls]!;
    const calendarStart = this.startTimeMs + this.calendarShiftMs;
    const { bucket, startMs } = bucketAt(calendarStart + elapsed);
    const cal = CALENDARS[assetClass];
    const segStart = startMs - calendarStart;
    this.#segStart[cls] = segStart;
    this.#segEnd[cls] = segStart + BUCKET_LENGTH_MS;
    this.#segYears[cls] = tradingYears(assetClass, calendarStart, startMs) * this.#acceleration;
    this.#segYearsPerMs[cls] = cal.activity[bucket]! * cal.yearsPerActivityMs * this.#acceleration;
    this.#segActivity[cls] = cal.activity[bucket]!;
  }

  /** Puts bid/ask on the tick grid around `mid`, `steps` ticks apart, with bid >= 1 tick and ask <= u32. */
  #setQuote(i: number, mid: number, steps: number): void {
    const tickSize = this.#tickSize[i]!;
    const spread = steps * tickSize;
    let bid = Math.round((mid - spread / 2) / tickSize) * tickSize;
    if (bid + spread > U32_MAX) bid = Math.floor((U32_MAX - spread) / tickSize) * tickSize;
    if (bid < tickSize) bid = tickSize;
    this.#bid[i] = bid;
    this.#ask[i] = bid + spread;
  }
}

/** Vose's alias tables for sampling index i with probability weights[i] / Σ weights. */
function buildAlias(weights: readonly number[]): [Float64Array, Uint32Array] {
  const n = weights.length;
  const sum = weights.reduce((a, b) => a + b, 0);
  const prob = new Float64Array(n);
  const alias = new Uint32Array(n);
  const scaled = weights.map((w) => (w * n) / sum);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  // Leftovers are 1 up to rounding error.
  for (const i of large) prob[i] = 1;
  for (const i of small) prob[i] = 1;
  return [prob, alias];
}
