// Chart indicators (SMA, EMA, session VWAP, Bollinger bands) over a panel's bars, kept up to date
// incrementally: a live tick recomputes from the changed bar on (usually only the last value), and an
// older page put in front recomputes only the values that page can change. Values are in price ticks,
// NaN where there is none yet. Pure over plain bar arrays, so unit tests check them without a chart.
import type { Bar } from './candles.js';

export type IndicatorSpec = { kind: 'sma'; period: number } | { kind: 'ema'; period: number } | { kind: 'vwap' } | { kind: 'bb'; period: number; k: number };

export type IndicatorKind = IndicatorSpec['kind'];

export const INDICATOR_KINDS: readonly IndicatorKind[] = ['sma', 'ema', 'vwap', 'bb'];
export const MIN_PERIOD = 2;
/** Long enough for a 200-bar average; bounded so a recompute stays cheap on every tick. */
export const MAX_PERIOD = 500;
export const MAX_K = 5;
/** VWAP restarts every UTC day: one session for FX and crypto, and the whole trading day for equities. */
export const VWAP_SESSION_SEC = 86_400;
/** An EMA recomputed after a prepend stops once it is back within this (relative) of its old values. */
const EMA_SETTLED = 1e-12;

/** What a panel gets from the menu when it turns an indicator on. */
export const DEFAULT_SPECS: Readonly<Record<IndicatorKind, IndicatorSpec>> = {
  sma: { kind: 'sma', period: 20 },
  ema: { kind: 'ema', period: 50 },
  vwap: { kind: 'vwap' },
  bb: { kind: 'bb', period: 20, k: 2 },
};

/** Short name as shown in the legend and menu, e.g. "SMA 20", "BB 20 2". */
export function indicatorLabel(spec: IndicatorSpec): string {
  switch (spec.kind) {
    case 'vwap':
      return 'VWAP';
    case 'bb':
      return `BB ${spec.period} ${spec.k}`;
    default:
      return `${spec.kind.toUpperCase()} ${spec.period}`;
  }
}

function isPeriod(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= MIN_PERIOD && v <= MAX_PERIOD;
}

function isK(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_K;
}

/** A valid spec from untrusted input (saved settings, a link), or null. */
export function parseSpec(raw: unknown): IndicatorSpec | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  if (o.kind === 'vwap') return { kind: 'vwap' };
  if ((o.kind === 'sma' || o.kind === 'ema') && isPeriod(o.period)) return { kind: o.kind, period: o.period };
  if (o.kind === 'bb' && isPeriod(o.period) && isK(o.k)) return { kind: 'bb', period: o.period, k: o.k };
  return null;
}

/** Compact text form for links: sma20, ema50, vwap, bb20-2. */
export function specToken(spec: IndicatorSpec): string {
  if (spec.kind === 'vwap') return 'vwap';
  if (spec.kind === 'bb') return `bb${spec.period}-${spec.k}`;
  return `${spec.kind}${spec.period}`;
}

export function specFromToken(token: string): IndicatorSpec | null {
  const m = /^(sma|ema|vwap|bb)(?:(\d{1,3})(?:-(\d+(?:\.\d+)?))?)?$/.exec(token);
  if (m === null) return null;
  const [, kind, period, k] = m;
  return parseSpec({ kind, period: period === undefined ? undefined : Number(period), k: k === undefined ? undefined : Number(k) });
}

function typical(b: Bar): number {
  return (b.high + b.low + b.close) / 3;
}

/**
 * One indicator's output lines over a bar array the caller owns: `lines[j][i]` is line j at bars[i]
 * (SMA/EMA/VWAP one line; Bollinger: upper, middle, lower). The caller says what changed.
 */
export class IndicatorSeries {
  readonly lines: number[][];
  /** VWAP's running sums within the session, per bar (so a recompute can start anywhere). */
  private cumPv: number[] = [];
  private cumVol: number[] = [];

  constructor(readonly spec: IndicatorSpec) {
    this.lines = Array.from({ length: spec.kind === 'bb' ? 3 : 1 }, () => []);
  }

  /** Everything from scratch (a new or replaced bar set). */
  reset(bars: readonly Bar[]): void {
    for (const line of this.lines) line.length = 0;
    this.cumPv.length = 0;
    this.cumVol.length = 0;
    this.recompute(bars, 0, bars.length);
  }

  /** Bars from `from` on changed or were appended; the ones before are as they were. */
  update(bars: readonly Bar[], from: number): void {
    const start = Math.max(0, Math.min(from, this.lines[0]!.length));
    for (const line of this.lines) line.length = Math.min(line.length, bars.length);
    this.recompute(bars, start, bars.length);
  }

  /** `count` older bars were put in front of the bars this was computed for; the rest are unchanged. */
  prepend(bars: readonly Bar[], count: number): void {
    if (count <= 0) return;
    const pad = new Array<number>(count).fill(NaN);
    const old = this.lines[0]!.slice();
    for (const line of this.lines) line.unshift(...pad);
    this.cumPv.unshift(...pad);
    this.cumVol.unshift(...pad);
    const n = Math.min(bars.length, this.lines[0]!.length);
    const spec = this.spec;
    if (spec.kind === 'sma' || spec.kind === 'bb') {
      // Windows reaching back across the seam: the first period − 1 old bars.
      this.recompute(bars, 0, Math.min(n, count + spec.period - 1));
    } else if (spec.kind === 'vwap') {
      // The old bars of the session the seam falls in.
      let stop = count;
      const session = Math.floor((bars[count]?.time ?? 0) / VWAP_SESSION_SEC);
      while (stop < n && Math.floor(bars[stop]!.time / VWAP_SESSION_SEC) === session) stop++;
      this.recompute(bars, 0, stop);
    } else {
      // An EMA remembers all of its past, but geometrically less of it: recompute until it settles back.
      this.recompute(bars, 0, count);
      const line = this.lines[0]!;
      for (let i = count; i < n; i++) {
        this.recompute(bars, i, i + 1);
        const before = old[i - count]!;
        if (!Number.isNaN(before) && Math.abs(line[i]! - before) <= EMA_SETTLED * Math.abs(before)) break;
      }
    }
  }

  /** Values for bars [from, to); values before `from` are taken as correct. */
  private recompute(bars: readonly Bar[], from: number, to: number): void {
    const spec = this.spec;
    switch (spec.kind) {
      case 'sma':
        return this.sma(bars, from, to, spec.period);
      case 'ema':
        return this.ema(bars, from, to, spec.period);
      case 'vwap':
        return this.vwap(bars, from, to);
      case 'bb':
        return this.bb(bars, from, to, spec.period, spec.k);
    }
  }

  private sma(bars: readonly Bar[], from: number, to: number, period: number): void {
    const out = this.lines[0]!;
    // A sliding sum; closes are integer ticks, so the sum is exact and never drifts.
    let sum = 0;
    for (let i = Math.max(0, from - period); i < from; i++) sum += bars[i]!.close;
    for (let i = from; i < to; i++) {
      sum += bars[i]!.close;
      if (i >= period) sum -= bars[i - period]!.close;
      out[i] = i >= period - 1 ? sum / period : NaN;
    }
  }

  private ema(bars: readonly Bar[], from: number, to: number, period: number): void {
    const out = this.lines[0]!;
    const alpha = 2 / (period + 1);
    for (let i = from; i < to; i++) {
      if (i < period - 1) out[i] = NaN;
      else if (i === period - 1) {
        // Seeded with the simple average of the first `period` closes.
        let sum = 0;
        for (let j = 0; j < period; j++) sum += bars[j]!.close;
        out[i] = sum / period;
      } else out[i] = alpha * bars[i]!.close + (1 - alpha) * out[i - 1]!;
    }
  }

  private vwap(bars: readonly Bar[], from: number, to: number): void {
    const out = this.lines[0]!;
    for (let i = from; i < to; i++) {
      const bar = bars[i]!;
      const prev = bars[i - 1];
      const continues = prev !== undefined && Math.floor(prev.time / VWAP_SESSION_SEC) === Math.floor(bar.time / VWAP_SESSION_SEC);
      const pv = (continues ? this.cumPv[i - 1]! : 0) + typical(bar) * bar.volume;
      const vol = (continues ? this.cumVol[i - 1]! : 0) + bar.volume;
      this.cumPv[i] = pv;
      this.cumVol[i] = vol;
      // No volume yet in the session (conflated bars): the bar's own typical price.
      out[i] = vol > 0 ? pv / vol : typical(bar);
    }
  }

  private bb(bars: readonly Bar[], from: number, to: number, period: number, k: number): void {
    const [upper, middle, lower] = this.lines as [number[], number[], number[]];
    for (let i = from; i < to; i++) {
      if (i < period - 1) {
        upper[i] = middle[i] = lower[i] = NaN;
        continue;
      }
      let sum = 0;
      for (let j = i - period + 1; j <= i; j++) sum += bars[j]!.close;
      const mean = sum / period;
      let squares = 0;
      for (let j = i - period + 1; j <= i; j++) squares += (bars[j]!.close - mean) ** 2;
      // Population deviation, as Bollinger defined the bands.
      const sd = Math.sqrt(squares / period);
      middle[i] = mean;
      upper[i] = mean + k * sd;
      lower[i] = mean - k * sd;
    }
  }
}
