// The simulated market's calendar: when each asset class trades and how busy it is through the week,
// as piecewise-constant activity over 15-minute UTC buckets. The simulator runs its prices on the
// "trading time" this defines, so volatility and volume follow sessions, and a year of trading time
// holds exactly one annualVol² of variance. Fixed UTC hours, no DST, no holidays (simulator.ts's header).
import type { AssetClass } from './universe.js';

export const MS_PER_MINUTE = 60_000;
const BUCKET_MS = 15 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * 60 * MS_PER_MINUTE;
export const MS_PER_WEEK = 7 * MS_PER_DAY;
const BUCKETS_PER_DAY = MS_PER_DAY / BUCKET_MS;
const BUCKETS_PER_WEEK = 7 * BUCKETS_PER_DAY;
/** 1970-01-05T00:00Z, a Monday: weeks are counted from here. */
const MONDAY_ZERO_MS = 4 * MS_PER_DAY;

/** US cash session in UTC (NYSE 09:30–16:00 New York in winter; an hour early in US summer time, not modelled). */
export const EQUITY_OPEN_MINUTE = 14 * 60 + 30;
export const EQUITY_CLOSE_MINUTE = 21 * 60;
/** Weekday hours outside the session: quotes and odd-lot prints go on, at this share of in-session activity. */
export const EQUITY_OFF_HOURS = 0.03;
/** Saturdays and Sundays. */
export const EQUITY_WEEKEND = 0.01;
/** FX trades from Sunday 22:00 to Friday 22:00 UTC; in between, this share of its weekday activity. */
export const FX_WEEKEND_MINUTE = 22 * 60;
export const FX_CLOSED = 0.02;

/**
 * Trading days per year that annualVol refers to, per class, and trading days per week: equities and
 * FX 252 of 5 a week (the usual convention), crypto every day of the year.
 */
const DAYS_PER_YEAR: Readonly<Record<AssetClass, number>> = { equity: 252, fx: 252, crypto: 365 };
const DAYS_PER_WEEK: Readonly<Record<AssetClass, number>> = { equity: 5, fx: 5, crypto: 7 };

/** Intraday U-shape of equity activity at session fraction x ∈ [0, 1]: 15-minute buckets come out ≈2.6× midday at the open, 1.6× at the close. */
function equityShape(x: number): number {
  return 1 + 2 * Math.exp(-x / 0.08) + 0.8 * Math.exp(-(1 - x) / 0.08);
}

function weekTable(assetClass: AssetClass): Float64Array {
  const w = new Float64Array(BUCKETS_PER_WEEK);
  const open = EQUITY_OPEN_MINUTE / 15;
  const close = EQUITY_CLOSE_MINUTE / 15;
  let shapeSum = 0;
  for (let b = open; b < close; b++) shapeSum += equityShape((b + 0.5 - open) / (close - open));
  const shapeNorm = (close - open) / shapeSum;
  for (let b = 0; b < BUCKETS_PER_WEEK; b++) {
    const day = Math.floor(b / BUCKETS_PER_DAY); // 0 = Monday
    const inDay = b % BUCKETS_PER_DAY;
    if (assetClass === 'equity') {
      if (day >= 5) w[b] = EQUITY_WEEKEND;
      else if (inDay >= open && inDay < close) w[b] = equityShape((inDay + 0.5 - open) / (close - open)) * shapeNorm;
      else w[b] = EQUITY_OFF_HOURS;
    } else if (assetClass === 'fx') {
      const closed = (day === 4 && inDay >= FX_WEEKEND_MINUTE / 15) || day === 5 || (day === 6 && inDay < FX_WEEKEND_MINUTE / 15);
      w[b] = closed ? FX_CLOSED : 1;
    } else {
      w[b] = 1;
    }
  }
  return w;
}

/** One class's calendar: activity per bucket and trading time (in years) accumulated from Monday 00:00. */
export interface Calendar {
  readonly activity: Float64Array;
  /** cumYears[b] = trading years from the start of the week to the start of bucket b (length buckets + 1). */
  readonly cumYears: Float64Array;
  /** Trading years per activity-ms: a week of activity holds DAYS_PER_WEEK / DAYS_PER_YEAR years. */
  readonly yearsPerActivityMs: number;
  /** Trading minutes in a year at activity 1 (sets the size of jumps). */
  readonly minutesPerYear: number;
}

function buildCalendar(assetClass: AssetClass): Calendar {
  const activity = weekTable(assetClass);
  let weekActivityMs = 0;
  for (const a of activity) weekActivityMs += a * BUCKET_MS;
  const yearsPerActivityMs = DAYS_PER_WEEK[assetClass] / DAYS_PER_YEAR[assetClass] / weekActivityMs;
  const cumYears = new Float64Array(BUCKETS_PER_WEEK + 1);
  for (let b = 0; b < BUCKETS_PER_WEEK; b++) cumYears[b + 1] = cumYears[b]! + activity[b]! * BUCKET_MS * yearsPerActivityMs;
  return { activity, cumYears, yearsPerActivityMs, minutesPerYear: 1 / (yearsPerActivityMs * MS_PER_MINUTE) };
}

export const ASSET_CLASSES = ['equity', 'fx', 'crypto'] as const satisfies readonly AssetClass[];
export const CALENDARS: Readonly<Record<AssetClass, Calendar>> = {
  equity: buildCalendar('equity'),
  fx: buildCalendar('fx'),
  crypto: buildCalendar('crypto'),
};

/** The 15-minute bucket holding `timeMs`: its week index, bucket index and start time. */
export function bucketAt(timeMs: number): { week: number; bucket: number; startMs: number } {
  const sinceMonday = timeMs - MONDAY_ZERO_MS;
  const week = Math.floor(sinceMonday / MS_PER_WEEK);
  const bucket = Math.min(BUCKETS_PER_WEEK - 1, Math.floor((sinceMonday - week * MS_PER_WEEK) / BUCKET_MS));
  return { week, bucket, startMs: MONDAY_ZERO_MS + week * MS_PER_WEEK + bucket * BUCKET_MS };
}

export const BUCKET_LENGTH_MS = BUCKET_MS;

/** Relative activity (volatility² and volume) of a class at `timeMs`: 1 is an average in-session moment. */
export function marketActivity(assetClass: AssetClass, timeMs: number): number {
  return CALENDARS[assetClass].activity[bucketAt(timeMs).bucket]!;
}

/** Trading years of `assetClass` between two instants: annualVol² × this is the variance of log returns. */
export function tradingYears(assetClass: AssetClass, fromMs: number, toMs: number): number {
  const cal = CALENDARS[assetClass];
  const at = (t: number, week0: number): number => {
    const { week, bucket, startMs } = bucketAt(t);
    const weekYears = cal.cumYears[BUCKETS_PER_WEEK]!;
    return (week - week0) * weekYears + cal.cumYears[bucket]! + (t - startMs) * cal.activity[bucket]! * cal.yearsPerActivityMs;
  };
  const week0 = bucketAt(fromMs).week;
  return at(toMs, week0) - at(fromMs, week0);
}
