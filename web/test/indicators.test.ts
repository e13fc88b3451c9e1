// Chart indicators (web/src/lib/chart/indicators.ts) against values computed here from their textbook
// definitions over the whole bar array, after every kind of change the chart makes: a live tick on the
// last bar, new bars, and older pages put in front.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../src/lib/chart/candles.js';
import { IndicatorSeries, VWAP_SESSION_SEC, specFromToken, specToken, parseSpec, type IndicatorSpec } from '../src/lib/chart/indicators.js';

const T0 = Date.UTC(2026, 0, 5, 20, 0, 0) / 1000; // 4 h before a UTC midnight: VWAP sessions change inside the data

function bar(time: number, close: number, volume = 10, spread = 3): Bar {
  return { time, open: close - 1, high: close + spread, low: close - spread, close, volume };
}

/** A random walk of integer-tick bars, `step` seconds apart. */
function walk(n: number, seed: number, step = 300, start = T0): Bar[] {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  let price = 100_000;
  const out: Bar[] = [];
  for (let i = 0; i < n; i++) {
    price += Math.round((rnd() - 0.5) * 400);
    out.push(bar(start + i * step, price, Math.floor(rnd() * 50), 1 + Math.floor(rnd() * 90)));
  }
  return out;
}

// -- independent definitions ----------------------------------------------------------------------

function naiveSma(bars: readonly Bar[], p: number): number[] {
  return bars.map((_, i) => (i < p - 1 ? NaN : bars.slice(i - p + 1, i + 1).reduce((s, b) => s + b.close, 0) / p));
}

function naiveEma(bars: readonly Bar[], p: number): number[] {
  const out: number[] = [];
  const a = 2 / (p + 1);
  bars.forEach((b, i) => {
    if (i < p - 1) out.push(NaN);
    else if (i === p - 1) out.push(naiveSma(bars.slice(0, p), p)[p - 1]!);
    else out.push(a * b.close + (1 - a) * out[i - 1]!);
  });
  return out;
}

function naiveVwap(bars: readonly Bar[]): number[] {
  return bars.map((b, i) => {
    const day = Math.floor(b.time / VWAP_SESSION_SEC);
    const session = bars.slice(0, i + 1).filter((x) => Math.floor(x.time / VWAP_SESSION_SEC) === day);
    const vol = session.reduce((s, x) => s + x.volume, 0);
    const tp = (x: Bar) => (x.high + x.low + x.close) / 3;
    return vol > 0 ? session.reduce((s, x) => s + tp(x) * x.volume, 0) / vol : tp(b);
  });
}

function naiveBb(bars: readonly Bar[], p: number, k: number): number[][] {
  const upper: number[] = [];
  const mid: number[] = [];
  const lower: number[] = [];
  bars.forEach((_, i) => {
    if (i < p - 1) {
      upper.push(NaN);
      mid.push(NaN);
      lower.push(NaN);
      return;
    }
    const w = bars.slice(i - p + 1, i + 1).map((b) => b.close);
    const m = w.reduce((s, c) => s + c, 0) / p;
    const sd = Math.sqrt(w.reduce((s, c) => s + (c - m) ** 2, 0) / p);
    upper.push(m + k * sd);
    mid.push(m);
    lower.push(m - k * sd);
  });
  return [upper, mid, lower];
}

function naive(spec: IndicatorSpec, bars: readonly Bar[]): number[][] {
  switch (spec.kind) {
    case 'sma':
      return [naiveSma(bars, spec.period)];
    case 'ema':
      return [naiveEma(bars, spec.period)];
    case 'vwap':
      return [naiveVwap(bars)];
    case 'bb':
      return naiveBb(bars, spec.period, spec.k);
  }
}

function expectClose(actual: readonly number[][], expected: readonly number[][], relative = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((line, j) => {
    const want = expected[j]!;
    expect(line.length).toBe(want.length);
    line.forEach((v, i) => {
      const w = want[i]!;
      if (Number.isNaN(w)) expect(v, `line ${j} bar ${i}`).toBeNaN();
      else expect(Math.abs(v - w), `line ${j} bar ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(relative * Math.abs(w) + 1e-9);
    });
  });
}

const SPECS: IndicatorSpec[] = [
  { kind: 'sma', period: 5 },
  { kind: 'sma', period: 20 },
  { kind: 'ema', period: 3 },
  { kind: 'ema', period: 20 },
  { kind: 'vwap' },
  { kind: 'bb', period: 20, k: 2 },
  { kind: 'bb', period: 4, k: 1.5 },
];

describe('indicators from scratch', () => {
  it('SMA, EMA, VWAP and Bollinger bands match their definitions on a hand-checked series', () => {
    const bars = [bar(T0, 10), bar(T0 + 60, 12), bar(T0 + 120, 11), bar(T0 + 180, 15)];
    const sma = new IndicatorSeries({ kind: 'sma', period: 3 });
    sma.reset(bars);
    expect(sma.lines[0]).toEqual([NaN, NaN, 11, 38 / 3]);
    const ema = new IndicatorSeries({ kind: 'ema', period: 3 });
    ema.reset(bars);
    // Seed 11 (average of 10, 12, 11), then 0.5 · 15 + 0.5 · 11.
    expect(ema.lines[0]).toEqual([NaN, NaN, 11, 13]);
    const bb = new IndicatorSeries({ kind: 'bb', period: 2, k: 2 });
    bb.reset(bars);
    // Window (10, 12): mean 11, population sd 1.
    expect(bb.lines.map((l) => l[1])).toEqual([13, 11, 9]);
    const vwap = new IndicatorSeries({ kind: 'vwap' });
    vwap.reset([bar(T0, 10, 1, 3), bar(T0 + 60, 20, 3, 3)]);
    // Typical prices 10 and 20 (high + low cancel around the close), weights 1 and 3.
    expect(vwap.lines[0]).toEqual([10, 17.5]);
  });

  it.each(SPECS)('$kind $period matches the definition on 600 bars', (spec) => {
    const bars = walk(600, 7);
    const s = new IndicatorSeries(spec);
    s.reset(bars);
    expectClose(s.lines, naive(spec, bars));
  });

  it('VWAP starts again at each UTC midnight', () => {
    const bars = [bar(T0 + 4 * 3600 - 60, 100, 5), bar(T0 + 4 * 3600, 200, 5)];
    const s = new IndicatorSeries({ kind: 'vwap' });
    s.reset(bars);
    expect(s.lines[0]).toEqual([100, 200]);
  });
});

describe('incremental updates', () => {
  it.each(SPECS)('$kind $period: live ticks and new bars recompute from the changed bar and agree with a full computation', (spec) => {
    const all = walk(300, 11);
    const bars = all.slice(0, 200);
    const s = new IndicatorSeries(spec);
    s.reset(bars);
    const before = s.lines.map((l) => l.slice());
    // A tick on the last bar: every earlier value stays exactly as it was.
    const last = bars[bars.length - 1]!;
    last.close += 57;
    last.high = Math.max(last.high, last.close);
    last.volume += 4;
    s.update(bars, bars.length - 1);
    s.lines.forEach((line, j) => expect(line.slice(0, -1)).toEqual(before[j]!.slice(0, -1)));
    expectClose(s.lines, naive(spec, bars));
    // New bars, one at a time, each then ticked.
    for (const b of all.slice(200)) {
      bars.push({ ...b });
      s.update(bars, bars.length - 1);
      bars[bars.length - 1]!.close -= 3;
      s.update(bars, bars.length - 1);
    }
    expectClose(s.lines, naive(spec, bars));
  });

  it.each(SPECS)('$kind $period: older pages in front agree with a full computation at and after the seam', (spec) => {
    const all = walk(900, 23, 60);
    const s = new IndicatorSeries(spec);
    let bars = all.slice(600);
    s.reset(bars);
    for (const page of [all.slice(300, 600), all.slice(295, 300), all.slice(0, 295)]) {
      bars = page.concat(bars);
      s.prepend(bars, page.length);
      // EMA: recomputed until it settles, which leaves differences far below a tick.
      expectClose(s.lines, naive(spec, bars), spec.kind === 'ema' ? 1e-9 : 1e-12);
    }
  });

  it('any mix of prepends, ticks and appends agrees with a full computation (property)', () => {
    const all = walk(400, 5, 60);
    fc.assert(
      fc.property(
        fc.constantFrom(...SPECS),
        fc.array(fc.oneof(fc.constant('tick' as const), fc.constant('append' as const), fc.integer({ min: 1, max: 40 })), { maxLength: 25 }),
        (spec, ops) => {
          let lo = 200;
          let hi = 240;
          let bars = all.slice(lo, hi).map((b) => ({ ...b }));
          const s = new IndicatorSeries(spec);
          s.reset(bars);
          for (const op of ops) {
            if (op === 'tick') {
              bars[bars.length - 1]!.close += 13;
              bars[bars.length - 1]!.volume += 1;
              s.update(bars, bars.length - 1);
            } else if (op === 'append') {
              if (hi >= all.length) continue;
              bars.push({ ...all[hi++]! });
              s.update(bars, bars.length - 1);
            } else {
              const n = Math.min(op, lo);
              if (n === 0) continue;
              bars = all
                .slice(lo - n, lo)
                .map((b) => ({ ...b }))
                .concat(bars);
              lo -= n;
              s.prepend(bars, n);
            }
          }
          expectClose(s.lines, naive(spec, bars), 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('specs from untrusted input', () => {
  it('round-trips link tokens and refuses bad ones', () => {
    for (const spec of SPECS) expect(specFromToken(specToken(spec))).toEqual(spec);
    for (const bad of ['sma', 'sma1', 'sma9999', 'ema0', 'bb20', 'bb20-0', 'bb20-9', 'rsi14', 'vwap5x', '']) expect(specFromToken(bad), bad).toBeNull();
    expect(parseSpec({ kind: 'sma', period: 2.5 })).toBeNull();
    expect(parseSpec({ kind: 'bb', period: 20, k: Infinity })).toBeNull();
    expect(parseSpec(null)).toBeNull();
  });
});
