// The simulator's volatility is calibrated: realised vol measured from generated 1-minute and 5-minute
// bars matches each instrument's annualVol (±30 %), at any tick rate, and the sessions behind it
// (equity U-shape and weekends, FX weekend, crypto 24/7) do what the simulator's header says.
import { describe, expect, it } from 'vitest';
import { MarketSimulator } from '../src/simulator.js';
import { CALENDARS, MS_PER_WEEK, marketActivity, tradingYears } from '../src/sessions.js';
import { defaultUniverse, findInstrument, type AssetClass, type Instrument } from '../src/universe.js';

const MONDAY = Date.UTC(2025, 0, 6);
const DAY_MS = 86_400_000;
/** Trading days per year and per week behind annualVol, per class (the convention of sessions.ts). */
const DAYS: Record<AssetClass, { year: number; week: number }> = { equity: { year: 252, week: 5 }, fx: { year: 252, week: 5 }, crypto: { year: 365, week: 7 } };

const universe = defaultUniverse();
function pick(tickers: readonly string[]): Instrument[] {
  return tickers.map((t, id) => ({ ...findInstrument(universe, t)!, id, popularity: 1 }));
}

/**
 * Realised vol per symbol from bar closes (last trade price) at 1 m and 5 m, annualised by the trading
 * days the window holds: a whole week, or one weekday (Monday) for the shorter runs.
 */
function realisedVol(instruments: Instrument[], perSymbolRate: number, durationMs: number, seed: number): { m1: number[]; m5: number[] } {
  const sim = new MarketSimulator({ seed, instruments, ticksPerSecond: perSymbolRate * instruments.length, startTimeMs: MONDAY });
  const last = instruments.map((inst) => inst.initialPrice as number);
  const close1 = [...last];
  const close5 = [...last];
  const sum1 = instruments.map(() => 0);
  const sum5 = instruments.map(() => 0);
  const onTick = (t: { symbolId: number; price: number }): void => {
    last[t.symbolId] = t.price;
  };
  for (let minute = 1; minute * 60_000 <= durationMs; minute++) {
    // Bars are [start, end): a tick at the boundary belongs to the next bar.
    sim.advanceTo(MONDAY + minute * 60_000 - 1e-3, onTick);
    for (let i = 0; i < instruments.length; i++) {
      sum1[i]! += Math.log(last[i]! / close1[i]!) ** 2;
      close1[i] = last[i]!;
      if (minute % 5 === 0) {
        sum5[i]! += Math.log(last[i]! / close5[i]!) ** 2;
        close5[i] = last[i]!;
      }
    }
  }
  const annualise = (sum: number, inst: Instrument): number => {
    const { year, week } = DAYS[inst.assetClass];
    const tradingDays = durationMs >= MS_PER_WEEK ? (durationMs / MS_PER_WEEK) * week : durationMs / DAY_MS;
    return Math.sqrt((sum / tradingDays) * year);
  };
  return { m1: sum1.map((s, i) => annualise(s, instruments[i]!)), m5: sum5.map((s, i) => annualise(s, instruments[i]!)) };
}

function expectCalibrated(instruments: Instrument[], rv: { m1: number[]; m5: number[] }): void {
  instruments.forEach((inst, i) => {
    for (const [label, vol] of [
      ['1m', rv.m1[i]!],
      ['5m', rv.m5[i]!],
    ] as const) {
      expect(vol / inst.annualVol, `${inst.ticker} ${label}: realised ${vol.toFixed(3)} vs configured ${inst.annualVol}`).toBeGreaterThan(0.7);
      expect(vol / inst.annualVol, `${inst.ticker} ${label}: realised ${vol.toFixed(3)} vs configured ${inst.annualVol}`).toBeLessThan(1.3);
    }
  });
}

describe('volatility calibration', () => {
  it('realised vol over a week at 1 m and 5 m matches annualVol per asset class (±30 %)', () => {
    // Low and high vol of each class, and a low-priced stock where bid/ask bounce is largest.
    const instruments = pick(['AAPL', 'TSLA', 'PFE', 'EURUSD', 'USDJPY', 'BTCUSD', 'DOGEUSD']);
    expectCalibrated(instruments, realisedVol(instruments, 0.4, MS_PER_WEEK, 1));
  });

  it('does not depend on the tick rate, and is the same for the same seed', () => {
    const instruments = pick(['AAPL', 'EURUSD', 'BTCUSD']);
    const slow = realisedVol(instruments, 0.2, DAY_MS, 7);
    const fast = realisedVol(instruments, 8, DAY_MS, 7);
    expectCalibrated(instruments, slow);
    expectCalibrated(instruments, fast);
    expect(realisedVol(instruments, 0.2, DAY_MS, 7)).toEqual(slow);
  });
});

describe('sessions', () => {
  const at = (day: number, hour: number, minute = 0): number => MONDAY + day * DAY_MS + (hour * 60 + minute) * 60_000;

  it('gives equities a U-shaped session (14:30–21:00 UTC) and quiet nights and weekends', () => {
    const open = marketActivity('equity', at(0, 14, 35));
    const midday = marketActivity('equity', at(0, 17, 45));
    const close = marketActivity('equity', at(0, 20, 50));
    expect(open).toBeGreaterThan(2 * midday);
    expect(close).toBeGreaterThan(1.3 * midday);
    expect(marketActivity('equity', at(0, 14, 29))).toBeLessThan(0.05);
    expect(marketActivity('equity', at(5, 16))).toBeLessThan(0.05);
  });

  it('closes FX from Friday 22:00 to Sunday 22:00 UTC and keeps crypto flat every day', () => {
    expect(marketActivity('fx', at(4, 21, 59))).toBe(1);
    expect(marketActivity('fx', at(4, 22))).toBeLessThan(0.05);
    expect(marketActivity('fx', at(6, 21, 59))).toBeLessThan(0.05);
    expect(marketActivity('fx', at(6, 22))).toBe(1);
    for (let h = 0; h < 7 * 24; h += 5) expect(marketActivity('crypto', at(0, h))).toBe(1);
  });

  it('puts 5/252 of a year of equity and FX trading in a week and 7/365 of crypto', () => {
    for (const from of [MONDAY, at(2, 13, 7)]) {
      expect(tradingYears('equity', from, from + MS_PER_WEEK)).toBeCloseTo(5 / 252, 12);
      expect(tradingYears('fx', from, from + MS_PER_WEEK)).toBeCloseTo(5 / 252, 12);
      expect(tradingYears('crypto', from, from + MS_PER_WEEK)).toBeCloseTo(7 / 365, 12);
    }
    expect(CALENDARS.crypto.minutesPerYear).toBeCloseTo(365 * 1440, 6);
  });

  it('keeps equities ticking on a Sunday with small prints and a nearly still price', () => {
    const [aapl] = pick(['AAPL']);
    const sunday = at(6, 12);
    const sim = new MarketSimulator({ seed: 3, instruments: [aapl!], ticksPerSecond: 5, startTimeMs: sunday });
    const sizes: number[] = [];
    const prices: number[] = [];
    sim.advanceTo(sunday + 600_000, (t) => {
      sizes.push(t.size);
      prices.push(t.price);
    });
    expect(sizes.length).toBeGreaterThan(2_500);
    sizes.sort((a, b) => a - b);
    expect(sizes[sizes.length >> 1]).toBeLessThanOrEqual(2);
    expect(Math.abs(Math.log(prices.at(-1)! / aapl!.initialPrice))).toBeLessThan(0.002);
  });
});
