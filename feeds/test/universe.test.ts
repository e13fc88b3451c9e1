import { describe, expect, it } from 'vitest';
import { U32_MAX, type PriceTicks } from '@tickwire/protocol/units';
import { MAX_INSTRUMENTS, assertInstrument, defaultUniverse, findInstrument } from '../src/universe.js';
import { testInstrument } from './helpers.js';

describe('defaultUniverse', () => {
  const universe = defaultUniverse();

  it('has 50 instruments with ids 0..49 and unique tickers', () => {
    expect(universe).toHaveLength(50);
    expect(universe.map((i) => i.id)).toEqual([...Array(50).keys()]);
    expect(new Set(universe.map((i) => i.ticker)).size).toBe(50);
  });

  it('is mostly US equities plus six FX pairs and six crypto pairs', () => {
    const byClass = (c: string): number => universe.filter((i) => i.assetClass === c).length;
    expect(byClass('equity')).toBe(38);
    expect(byClass('fx')).toBe(6);
    expect(byClass('crypto')).toBe(6);
  });

  it('gives plausible scales and prices', () => {
    const eur = findInstrument(universe, 'EURUSD')!;
    expect(eur.priceScale).toBe(5);
    expect(eur.initialPrice / 1e5).toBeGreaterThan(1);
    expect(eur.initialPrice / 1e5).toBeLessThan(1.2);
    expect(findInstrument(universe, 'USDJPY')!.priceScale).toBe(3);
    const btc = findInstrument(universe, 'btcusd')!;
    expect(btc.ticker).toBe('BTCUSD');
    expect(btc.priceScale).toBe(2);
    expect(btc.sizeScale).toBe(8);
    expect(btc.initialPrice / 100).toBeGreaterThan(30_000);
    for (const inst of universe) {
      if (inst.assetClass === 'equity') expect([inst.priceScale, inst.sizeScale]).toEqual([2, 0]);
      if (inst.assetClass === 'crypto') {
        expect(inst.sizeScale).toBeGreaterThanOrEqual(4);
        expect(inst.sizeScale).toBeLessThanOrEqual(8);
      }
      if (inst.assetClass === 'fx') {
        // Typical FX sizes are 1e4..1e6 units of the base currency.
        expect(Math.exp(inst.sizeMu)).toBeGreaterThanOrEqual(1e4);
        expect(Math.exp(inst.sizeMu)).toBeLessThanOrEqual(1e6);
      }
      expect(Number.isInteger(inst.initialPrice)).toBe(true);
      expect(inst.initialPrice).toBeLessThanOrEqual(U32_MAX);
      expect(() => assertInstrument(inst)).not.toThrow();
    }
    expect(findInstrument(universe, 'NOPE')).toBeUndefined();
  });

  it('mixes asset classes already in a five-symbol prefix', () => {
    const prefix = defaultUniverse(5);
    expect(prefix).toEqual(universe.slice(0, 5));
    expect(new Set(prefix.map((i) => i.assetClass))).toEqual(new Set(['equity', 'fx', 'crypto']));
  });

  it('makes popularity decrease with rank (Zipf-like)', () => {
    for (let i = 1; i < universe.length; i++) {
      expect(universe[i]!.popularity).toBeLessThan(universe[i - 1]!.popularity);
    }
    expect(universe[0]!.popularity / universe[9]!.popularity).toBeCloseTo(10, 5);
  });

  it('extends with deterministic synthetic equities up to the u16 id space', () => {
    const big = defaultUniverse(MAX_INSTRUMENTS);
    expect(big).toHaveLength(MAX_INSTRUMENTS);
    expect(big.slice(0, 50)).toEqual(universe);
    expect(big[50]!.ticker).toBe('SYN0051');
    expect(big.at(-1)!.ticker).toBe('SYN65535');
    expect(big.at(-1)!.id).toBe(MAX_INSTRUMENTS - 1);
    expect(new Set(big.map((i) => i.ticker)).size).toBe(MAX_INSTRUMENTS);
    expect(defaultUniverse(60)).toEqual(big.slice(0, 60));
  });

  it('rejects sizes outside 1..65535', () => {
    for (const bad of [0, -1, 1.5, MAX_INSTRUMENTS + 1, Number.NaN]) {
      expect(() => defaultUniverse(bad)).toThrow(RangeError);
    }
    expect(defaultUniverse(1)).toHaveLength(1);
  });
});

describe('assertInstrument', () => {
  it('accepts a sane instrument and names the instrument in its errors', () => {
    expect(() => assertInstrument(testInstrument())).not.toThrow();
    expect(() => assertInstrument(testInstrument({ tickSize: 0 }))).toThrow(/TEST.*tickSize/);
  });

  it('rejects prices and sizes that could overflow u32', () => {
    expect(() => assertInstrument(testInstrument({ initialPrice: (testInstrument().initialPrice * 1000) as PriceTicks }))).toThrow(/u32/);
    expect(() => assertInstrument(testInstrument({ sizeMu: 21, sizeSigma: 1 }))).toThrow(/u32/);
    expect(() => assertInstrument(testInstrument({ priceScale: 13 }))).toThrow(/priceScale/);
  });
});
