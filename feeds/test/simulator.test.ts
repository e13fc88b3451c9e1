import { describe, expect, it } from 'vitest';
import type { Tick } from '@tickwire/protocol/messages';
import { U32_MAX, type PriceTicks } from '@tickwire/protocol/units';
import { Rng } from '../src/random.js';
import { MarketSimulator, type SimulatorOptions } from '../src/simulator.js';
import { defaultUniverse, findInstrument } from '../src/universe.js';
import { START_MS, collect, testInstrument } from './helpers.js';

const universe = defaultUniverse();

function simulator(overrides: Partial<SimulatorOptions> = {}): MarketSimulator {
  return new MarketSimulator({ seed: 1, instruments: universe, ticksPerSecond: 10_000, startTimeMs: START_MS, ...overrides });
}

describe('MarketSimulator determinism', () => {
  it('replays the same stream for the same seed and a different one for another seed', () => {
    const a = collect(simulator(), START_MS + 2_000);
    expect(a.length).toBeGreaterThan(19_000);
    expect(collect(simulator(), START_MS + 2_000)).toEqual(a);
    const b = collect(simulator({ seed: 2 }), START_MS + 2_000);
    expect(b.slice(0, 100)).not.toEqual(a.slice(0, 100));
  });

  it('does not depend on how the time range is cut into advanceTo calls', () => {
    const end = START_MS + 3_000;
    const whole = collect(simulator(), end);
    const sim = simulator();
    const chunked: Tick[] = [];
    const steps = new Rng(99);
    let t = START_MS - 5;
    while (t < end) {
      // Mix of tiny, zero, backwards and large steps.
      const r = steps.uniform();
      t = r < 0.1 ? t - 1 : r < 0.2 ? t : t + steps.exponential(1 / 3) * (r > 0.95 ? 50 : 1);
      sim.advanceTo(Math.min(t, end), (tick) => chunked.push({ ...tick }));
    }
    expect(chunked).toEqual(whole);
  });

  it('includes a tick whose event time equals untilMs, and only once', () => {
    const sim = simulator();
    const first = sim.nextEventTimeMs;
    const got = collect(sim, first);
    expect(got).toHaveLength(1);
    expect(got[0]!.eventTimeMs).toBe(first);
    expect(collect(sim, first)).toHaveLength(0);
    expect(sim.nextEventTimeMs).toBeGreaterThanOrEqual(first);
  });

  it('hands out one reused scratch object', () => {
    const seen = new Set<Tick>();
    simulator().advanceTo(START_MS + 100, (t) => seen.add(t));
    expect(seen.size).toBe(1);
  });

  it('stays consistent when emit throws, and refuses re-entrant calls', () => {
    const reference = collect(simulator(), START_MS + 500);
    const sim = simulator();
    const got: Tick[] = [];
    expect(() =>
      sim.advanceTo(START_MS + 500, (t) => {
        got.push({ ...t });
        if (got.length === 7) throw new Error('boom');
      }),
    ).toThrow('boom');
    sim.advanceTo(START_MS + 500, (t) => got.push({ ...t }));
    expect(got).toEqual(reference);

    expect(() => sim.advanceTo(START_MS + 600, () => sim.advanceTo(START_MS + 700, () => {}))).toThrow(/inside/);
  });
});

describe('MarketSimulator options', () => {
  it('rejects bad rates, seeds, times and instrument lists with clear RangeErrors', () => {
    for (const ticksPerSecond of [0, -1, 1_000_001, Number.NaN, Infinity]) {
      expect(() => simulator({ ticksPerSecond })).toThrow(/ticksPerSecond must be > 0 and <= 1000000/);
    }
    expect(() => simulator({ ticksPerSecond: 1_000_000 })).not.toThrow();
    expect(() => simulator({ seed: 0.5 })).toThrow(/seed/);
    expect(() => simulator({ startTimeMs: Number.NaN })).toThrow(/startTimeMs/);
    expect(() => simulator({ instruments: [] })).toThrow(RangeError);
    expect(() => simulator({ instruments: universe.slice(1) })).toThrow(/index 0/);
    expect(() => simulator().advanceTo(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => simulator().lastSeq(50)).toThrow(/unknown symbol/);
    expect(() => simulator().quote(-1)).toThrow(/unknown symbol/);
  });

  it('starts every symbol at seq 0 with a valid quote around its initial price', () => {
    const sim = simulator();
    for (const inst of universe) {
      expect(sim.lastSeq(inst.id)).toBe(0);
      const q = sim.quote(inst.id);
      expect(q.bid).toBeLessThan(q.ask);
      expect(q.last).toBeGreaterThanOrEqual(q.bid);
      expect(q.last).toBeLessThanOrEqual(q.ask);
      expect(Math.abs(q.last - inst.initialPrice)).toBeLessThanOrEqual(inst.baseSpreadTicks);
    }
  });
});

/** Checks every per-tick invariant and returns the ticks it saw. */
function checkInvariants(sim: MarketSimulator, untilMs: number): { count: number; bad: string[] } {
  const bad: string[] = [];
  const seqs = new Map<number, number>();
  let lastTime = -Infinity;
  let count = 0;
  const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 1 && v <= U32_MAX;
  sim.advanceTo(untilMs, (t) => {
    count++;
    const tickSize = sim.instruments[t.symbolId]!.tickSize;
    if (bad.length > 5) return;
    if (!isU32(t.price) || !isU32(t.bid) || !isU32(t.ask) || !isU32(t.size)) bad.push(`not u32 >= 1: ${JSON.stringify(t)}`);
    if (!(t.bid < t.ask)) bad.push(`bid >= ask: ${JSON.stringify(t)}`);
    if (t.bid < tickSize) bad.push(`bid below one tick: ${JSON.stringify(t)}`);
    if (t.price < t.bid || t.price > t.ask) bad.push(`price outside quote: ${JSON.stringify(t)}`);
    if (t.bid % tickSize !== 0 || t.ask % tickSize !== 0 || t.price % tickSize !== 0) bad.push(`off grid: ${JSON.stringify(t)}`);
    if (t.flags !== 0) bad.push(`flags: ${JSON.stringify(t)}`);
    if (t.eventTimeMs < lastTime) bad.push(`time went back: ${JSON.stringify(t)}`);
    lastTime = t.eventTimeMs;
    const expected = (seqs.get(t.symbolId) ?? 0) + 1;
    if (t.seq !== expected) bad.push(`seq ${t.seq}, expected ${expected}`);
    seqs.set(t.symbolId, t.seq);
  });
  for (const [id, seq] of seqs) if (sim.lastSeq(id) !== seq) bad.push(`lastSeq(${id}) = ${sim.lastSeq(id)}, saw ${seq}`);
  return { count, bad };
}

describe('MarketSimulator statistics over 200k ticks', () => {
  const rate = 100_000;
  const durationMs = 2_000;
  const sim = simulator({ seed: 2024, ticksPerSecond: rate });
  const perSymbol = new Array<number>(universe.length).fill(0);
  const gaps: number[] = [];
  const eur = findInstrument(universe, 'EURUSD')!;
  const eurLogSizes: number[] = [];
  let prevTime = START_MS;
  const all: Tick[] = [];
  sim.advanceTo(START_MS + durationMs, (t) => {
    all.push({ ...t });
    perSymbol[t.symbolId]!++;
    gaps.push(t.eventTimeMs - prevTime);
    prevTime = t.eventTimeMs;
    if (t.symbolId === eur.id) eurLogSizes.push(Math.log(t.size));
  });
  const n = all.length;

  it('keeps every invariant: positive u32 integers, bid < ask, price within the quote, seq +1, time order', () => {
    const replay = checkInvariants(simulator({ seed: 2024, ticksPerSecond: rate }), START_MS + durationMs);
    expect(replay.bad).toEqual([]);
    expect(replay.count).toBe(n);
    const last = all.at(-1)!;
    expect(sim.quote(last.symbolId)).toEqual({ bid: last.bid, ask: last.ask, last: last.price });
  });

  it('arrives at ticksPerSecond overall', () => {
    expect(Math.abs(n / (rate * (durationMs / 1000)) - 1)).toBeLessThan(0.02);
  });

  it('spreads arrivals over symbols by popularity', () => {
    const total = universe.reduce((s, i) => s + i.popularity, 0);
    for (const inst of universe.slice(0, 15)) {
      const p = inst.popularity / total;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(perSymbol[inst.id]! - n * p), inst.ticker).toBeLessThan(5 * sd);
    }
    // Even the least popular symbol trades.
    expect(Math.min(...perSymbol)).toBeGreaterThan(0);
  });

  it('has exponential inter-arrival times (mean 1/rate, coefficient of variation 1, P(gap > mean) = 1/e)', () => {
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect(Math.abs(mean / (1000 / rate) - 1)).toBeLessThan(0.02);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.03);
    const longer = gaps.filter((g) => g > mean).length / gaps.length;
    expect(Math.abs(longer - Math.exp(-1))).toBeLessThan(0.01);
  });

  it('draws log-normal sizes with the instrument’s mu and sigma', () => {
    expect(eurLogSizes.length).toBeGreaterThan(10_000);
    const mean = eurLogSizes.reduce((a, b) => a + b, 0) / eurLogSizes.length;
    const sd = Math.sqrt(eurLogSizes.reduce((a, b) => a + (b - mean) ** 2, 0) / (eurLogSizes.length - 1));
    expect(Math.abs(mean - eur.sizeMu)).toBeLessThan(0.05);
    expect(Math.abs(sd - eur.sizeSigma)).toBeLessThan(0.05);
  });

  it('prints trades at the bid, at the ask and sometimes inside', () => {
    const atBid = all.filter((t) => t.price === t.bid).length / n;
    const atAsk = all.filter((t) => t.price === t.ask).length / n;
    expect(atBid).toBeGreaterThan(0.35);
    expect(atAsk).toBeGreaterThan(0.35);
    expect(1 - atBid - atAsk).toBeGreaterThan(0.005);
  });
});

describe('MarketSimulator price dynamics', () => {
  it('widens spreads when realised volatility is high (volatility regimes)', () => {
    // One liquid symbol for two simulated hours, cut into 10 s windows: regimes last tens of seconds, so
    // windows with high realised variance of the mid must also show wider spreads.
    const sim = new MarketSimulator({ seed: 11, instruments: [testInstrument()], ticksPerSecond: 50, startTimeMs: 0 });
    const windows: { rv: number; spread: number }[] = [];
    let end = 10_000;
    let rv = 0;
    let spreadSum = 0;
    let count = 0;
    let prevMid = Number.NaN;
    sim.advanceTo(2 * 3_600_000, (t) => {
      while (t.eventTimeMs > end) {
        if (count > 100) windows.push({ rv, spread: spreadSum / count });
        rv = spreadSum = count = 0;
        end += 10_000;
      }
      const mid = (t.bid + t.ask) / 2;
      if (!Number.isNaN(prevMid)) rv += Math.log(mid / prevMid) ** 2;
      prevMid = mid;
      spreadSum += t.ask - t.bid;
      count++;
    });
    expect(windows.length).toBeGreaterThan(600);
    const xs = windows.map((w) => Math.log(w.rv));
    const ys = windows.map((w) => Math.log(w.spread));
    expect(correlation(xs, ys)).toBeGreaterThan(0.5);
    const byRv = [...windows].sort((a, b) => a.rv - b.rv);
    const third = Math.floor(byRv.length / 3);
    const meanSpread = (ws: typeof windows): number => ws.reduce((s, w) => s + w.spread, 0) / ws.length;
    expect(meanSpread(byRv.slice(-third)) / meanSpread(byRv.slice(0, third))).toBeGreaterThan(1.3);
  });

  it('moves visibly, but plausibly, from minute to minute', () => {
    const aapl = findInstrument(universe, 'AAPL')!;
    const sim = simulator({ seed: 5, instruments: [aapl], ticksPerSecond: 5 });
    const minuteReturns: number[] = [];
    let prev = aapl.initialPrice as number;
    for (let minute = 1; minute <= 120; minute++) {
      sim.advanceTo(START_MS + minute * 60_000, () => {});
      const { bid, ask } = sim.quote(aapl.id);
      minuteReturns.push(Math.log((bid + ask) / 2 / prev));
      prev = (bid + ask) / 2;
    }
    const rms = Math.sqrt(minuteReturns.reduce((a, r) => a + r * r, 0) / minuteReturns.length);
    // Lively: more than 5 bp a minute; plausible: under 2 % a minute.
    expect(rms).toBeGreaterThan(0.0005);
    expect(rms).toBeLessThan(0.02);
  });

  it('mean-reverts: over a long run prices stay near their initial level instead of diffusing away', () => {
    // 50 independent copies of one symbol, with time sped up so the first hour of a session carries
    // about six trading years of volatility. Pure GBM would spread final log prices by ~1;
    // the pull towards the initial level must hold them to about σ/4.
    const clones = Array.from({ length: 50 }, (_, id) => testInstrument({ id, ticker: `C${id}` }));
    const sim = new MarketSimulator({ seed: 8, instruments: clones, ticksPerSecond: 50, startTimeMs: START_MS, timeAcceleration: 7_200 });
    sim.advanceTo(START_MS + 3_600_000, () => {});
    const logMoves = clones.map((c) => {
      const { bid, ask } = sim.quote(c.id);
      return Math.log((bid + ask) / 2 / c.initialPrice);
    });
    const sd = Math.sqrt(logMoves.reduce((a, r) => a + r * r, 0) / logMoves.length);
    expect(sd).toBeGreaterThan(0.03);
    expect(sd).toBeLessThan(0.25);
  });

  it('keeps quotes on a coarse tick grid and within u32 under extreme volatility', () => {
    const instruments = [
      testInstrument({ id: 0, ticker: 'GRID', tickSize: 5, baseSpreadTicks: 4 }),
      testInstrument({ id: 1, ticker: 'PENNY', initialPrice: 2 as PriceTicks, baseSpreadTicks: 0.01, annualVol: 10 }),
      testInstrument({ id: 2, ticker: 'HUGE', initialPrice: Math.floor(U32_MAX / 16) as PriceTicks, annualVol: 10 }),
    ];
    // Huge acceleration lets the wild symbols roam their whole stationary range and hit both clamps.
    const sim = new MarketSimulator({ seed: 3, instruments, ticksPerSecond: 1_000, startTimeMs: 0, timeAcceleration: 1e5 });
    const { count, bad } = checkInvariants(sim, 60_000);
    expect(bad).toEqual([]);
    expect(count).toBeGreaterThan(50_000);
  });
});

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, k) => {
    const y = ys[k]!;
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

describe('MarketSimulator calendar shift (--market-time)', () => {
  /** Equity trades at another price than the symbol's previous trade, over 20 s: most in a session, ~1 % at a weekend. */
  function distinctEquityPrices(startTimeMs: number, calendarShiftMs?: number): number {
    const sim = simulator({ startTimeMs, ...(calendarShiftMs === undefined ? {} : { calendarShiftMs }) });
    const equities = new Set(universe.filter((i) => i.assetClass === 'equity').map((i) => i.id));
    const last = new Map<number, number>();
    let changes = 0;
    for (const t of collect(sim, startTimeMs + 20_000)) {
      if (!equities.has(t.symbolId)) continue;
      if (last.has(t.symbolId) && last.get(t.symbolId) !== t.price) changes++;
      last.set(t.symbolId, t.price);
    }
    return changes;
  }

  it('trades a weekday session on a Saturday when shifted onto it, with event times unchanged', () => {
    const saturday = Date.UTC(2026, 11, 5, 15, 0);
    const tuesday = Date.UTC(2026, 0, 6, 15, 0);
    const still = distinctEquityPrices(saturday);
    const shifted = distinctEquityPrices(saturday, tuesday - saturday);
    expect(shifted).toBeGreaterThan(5 * Math.max(1, still));
    expect(distinctEquityPrices(tuesday)).toBeGreaterThan(5 * Math.max(1, still));
    const first = collect(simulator({ startTimeMs: saturday, calendarShiftMs: tuesday - saturday }), saturday + 1_000)[0]!;
    expect(first.eventTimeMs).toBeGreaterThanOrEqual(saturday);
    expect(first.eventTimeMs).toBeLessThan(saturday + 1_000);
    expect(() => simulator({ calendarShiftMs: Number.NaN })).toThrow(/calendarShiftMs/);
  });
});
