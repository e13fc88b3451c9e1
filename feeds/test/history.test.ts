// The generated past: deterministic for (seed, instrument, end), consistent bars on their step's grid, the
// newest bar closing at the live stream's start price, and realised volatility near the instrument's.
import { describe, expect, it } from 'vitest';
import { generatePast, DEFAULT_PAST, PastWalk } from '../src/history.js';
import { defaultUniverse } from '../src/universe.js';

const universe = defaultUniverse(50);
const END = Date.UTC(2026, 0, 14, 15, 7, 31, 250);

describe('generatePast', () => {
  it('is deterministic for the seed and differs across seeds', () => {
    const a = generatePast(universe[0]!, { seed: 7, endMs: END, ticksPerSecond: 20 });
    const b = generatePast(universe[0]!, { seed: 7, endMs: END, ticksPerSecond: 20 });
    const c = generatePast(universe[0]!, { seed: 8, endMs: END, ticksPerSecond: 20 });
    expect(Array.from(a.close)).toEqual(Array.from(b.close));
    expect(Array.from(a.time)).toEqual(Array.from(b.time));
    expect(Array.from(a.close.subarray(0, 100))).not.toEqual(Array.from(c.close.subarray(0, 100)));
  });

  it('gives the same bars when the walk is spread over many small steps', () => {
    const whole = generatePast(universe[3]!, { seed: 5, endMs: END, ticksPerSecond: 20 });
    const walk = new PastWalk(universe[3]!, { seed: 5, endMs: END, ticksPerSecond: 20 });
    let steps = 0;
    while (!walk.advance(997)) steps++;
    expect(steps).toBeGreaterThan(10);
    const parts = walk.result();
    expect(parts.length).toBe(whole.length);
    expect(Array.from(parts.close)).toEqual(Array.from(whole.close));
    expect(Array.from(parts.time)).toEqual(Array.from(whole.time));
    expect(Array.from(parts.volume)).toEqual(Array.from(whole.volume));
  });

  it('gives consistent bars on their grid, ending mid-bar at the initial price, reaching back the whole depth', () => {
    for (const inst of universe.slice(0, 12)) {
      const p = generatePast(inst, { seed: 1, endMs: END, ticksPerSecond: 5 });
      expect(p.close[p.length - 1]).toBe(inst.initialPrice);
      expect(p.time[p.length - 1]).toBe(Math.floor(END / 1000));
      const depth = DEFAULT_PAST.reduce((s, seg) => s + seg.spanSec, 0);
      expect(END / 1000 - p.time[0]!).toBeGreaterThan(depth - 3600);
      // Collected rather than asserted per bar: ~51k bars a symbol.
      const bad: string[] = [];
      for (let j = 0; j < p.length && bad.length < 5; j++) {
        if (p.time[j]! % p.step[j]! !== 0) bad.push(`bar ${j} off its grid`);
        if (j > 0 && p.time[j]! < p.time[j - 1]! + p.step[j - 1]!) bad.push(`bar ${j} overlaps the previous one`);
        if (p.low[j]! > Math.min(p.open[j]!, p.close[j]!) || p.high[j]! < Math.max(p.open[j]!, p.close[j]!)) bad.push(`bar ${j} outside its range`);
        if (!(p.volume[j]! > 0)) bad.push(`bar ${j} without volume`);
      }
      expect(p.length).toBeGreaterThan(40_000);
      expect(bad, inst.ticker).toEqual([]);
    }
  });

  it('moves with the configured volatility (1 m closes over 30 days, ±35 %)', () => {
    for (const ticker of ['AAPL', 'EURUSD', 'BTCUSD']) {
      const inst = universe.find((i) => i.ticker === ticker)!;
      const p = generatePast(inst, { seed: 3, endMs: END, ticksPerSecond: 50 });
      let sum = 0;
      let first = -1;
      let last = -1;
      for (let j = 1; j < p.length; j++) {
        if (p.step[j] !== 60 || p.step[j - 1] !== 60) continue;
        if (first < 0) first = p.time[j - 1]!;
        last = p.time[j]!;
        sum += Math.log(p.close[j]! / p.close[j - 1]!) ** 2;
      }
      const days = ((last - first) / 86_400) * (inst.assetClass === 'crypto' ? 1 : 5 / 7);
      const perYear = inst.assetClass === 'crypto' ? 365 : 252;
      const vol = Math.sqrt((sum / days) * perYear);
      expect(vol / inst.annualVol, ticker).toBeGreaterThan(0.65);
      expect(vol / inst.annualVol, ticker).toBeLessThan(1.35);
    }
  });
});
