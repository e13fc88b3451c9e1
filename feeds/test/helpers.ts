// Shared fixtures for the feed tests: copying ticks out of the simulator's scratch object, and small
// hand-made instruments that push the model to its edges.
import type { Tick } from '@tickwire/protocol/messages';
import type { PriceTicks } from '@tickwire/protocol/units';
import type { MarketSimulator } from '../src/simulator.js';
import type { Instrument } from '../src/universe.js';

export const START_MS = Date.UTC(2025, 0, 6, 14, 30);

/** Runs the simulator to `untilMs` and returns copies of every tick (the simulator reuses one object). */
export function collect(sim: MarketSimulator, untilMs: number): Tick[] {
  const out: Tick[] = [];
  sim.advanceTo(untilMs, (t) => out.push({ ...t }));
  return out;
}

export function testInstrument(overrides: Partial<Instrument> = {}): Instrument {
  return {
    id: 0,
    ticker: 'TEST',
    name: 'Test instrument',
    assetClass: 'equity',
    priceScale: 2,
    sizeScale: 0,
    initialPrice: 1_000_000 as PriceTicks,
    tickSize: 1,
    popularity: 1,
    annualVol: 0.4,
    baseSpreadTicks: 20,
    sizeMu: 5,
    sizeSigma: 1,
    ...overrides,
  };
}
