// The instruments the simulated market trades and their static parameters (scales, prices, volatility,
// spreads, trade sizes). One table in display units, converted to integer ticks and lots in one place,
// and checked so that everything the simulator derives from it fits the wire's u32 fields.
import type { InstrumentInfo } from '@tickwire/protocol/instruments';
import { MAX_SCALE, scaleFactor, U32_MAX, numberToTicks, type PriceTicks } from '@tickwire/protocol/units';
import { Rng } from './random.js';

export type AssetClass = 'equity' | 'fx' | 'crypto';

/** The wire description (protocol/src/instruments.ts) plus what the simulator needs. */
export interface Instrument extends InstrumentInfo {
  /** Symbol id on the wire: the instrument's index in its universe. */
  id: number;
  assetClass: AssetClass;
  initialPrice: PriceTicks;
  /** Minimum price increment, in ticks (usually 1). */
  tickSize: number;
  /** Relative arrival weight: a symbol's share of ticks is popularity / Σ popularity. */
  popularity: number;
  annualVol: number;
  baseSpreadTicks: number;
  /** Trade sizes are log-normal: ln(size in lots) ~ N(sizeMu, sizeSigma²). */
  sizeMu: number;
  sizeSigma: number;
}

/** Symbol ids are u16 on the wire. */
export const MAX_INSTRUMENTS = 65_535;
/**
 * How far above its initial level a price may wander before it would overflow u32. Mean reversion keeps
 * prices within a few tens of percent of where they start, so 16× is far beyond reach; the simulator
 * still clamps as a last line of defence.
 */
export const PRICE_HEADROOM = 16;
/** A size this many sigmas above the log-normal median must still fit u32, so clamping is vanishingly rare. */
export const SIZE_HEADROOM_SIGMAS = 4;
/** Exponent of the Zipf law behind popularity: weight = 1 / (rank + 1)^s. */
export const ZIPF_EXPONENT = 1;

type Row = readonly [
  ticker: string,
  name: string,
  assetClass: AssetClass,
  priceScale: number,
  sizeScale: number,
  price: number,
  annualVol: number,
  baseSpreadTicks: number,
  /** Median trade size in display units (shares, base currency, coins). */
  typicalSize: number,
  sizeSigma: number,
];

// Ordered by popularity rank. The top is interleaved on purpose so that even a five-symbol universe
// has equities, FX and crypto. Prices are plausible levels, not quotes of any particular day.
const ROWS: readonly Row[] = [
  ['AAPL', 'Apple Inc.', 'equity', 2, 0, 228.52, 0.25, 1, 100, 1.1],
  ['EURUSD', 'Euro / US Dollar', 'fx', 5, 0, 1.08452, 0.07, 3, 100_000, 1.0],
  ['BTCUSD', 'Bitcoin / US Dollar', 'crypto', 2, 8, 65_012.5, 0.6, 20, 0.05, 1.3],
  ['MSFT', 'Microsoft Corporation', 'equity', 2, 0, 415.26, 0.24, 1, 80, 1.1],
  ['NVDA', 'NVIDIA Corporation', 'equity', 2, 0, 135.58, 0.5, 1, 200, 1.2],
  ['ETHUSD', 'Ether / US Dollar', 'crypto', 2, 6, 3_501.27, 0.7, 10, 0.8, 1.3],
  ['USDJPY', 'US Dollar / Japanese Yen', 'fx', 3, 0, 151.234, 0.1, 4, 100_000, 1.0],
  ['AMZN', 'Amazon.com, Inc.', 'equity', 2, 0, 186.43, 0.32, 1, 100, 1.1],
  ['GOOGL', 'Alphabet Inc. Class A', 'equity', 2, 0, 165.87, 0.3, 1, 100, 1.1],
  ['META', 'Meta Platforms, Inc.', 'equity', 2, 0, 560.12, 0.38, 2, 60, 1.1],
  ['TSLA', 'Tesla, Inc.', 'equity', 2, 0, 250.71, 0.6, 2, 100, 1.2],
  ['GBPUSD', 'British Pound / US Dollar', 'fx', 5, 0, 1.27126, 0.08, 4, 100_000, 1.0],
  ['SOLUSD', 'Solana / US Dollar', 'crypto', 3, 4, 150.412, 0.85, 10, 10, 1.2],
  ['JPM', 'JPMorgan Chase & Co.', 'equity', 2, 0, 212.4, 0.22, 1, 80, 1.1],
  ['V', 'Visa Inc.', 'equity', 2, 0, 279.93, 0.2, 1, 60, 1.1],
  ['AVGO', 'Broadcom Inc.', 'equity', 2, 0, 165.21, 0.45, 2, 80, 1.1],
  ['AUDUSD', 'Australian Dollar / US Dollar', 'fx', 5, 0, 0.65837, 0.1, 4, 100_000, 1.0],
  ['XRPUSD', 'XRP / US Dollar', 'crypto', 5, 4, 0.52134, 0.75, 5, 1_500, 1.2],
  ['LLY', 'Eli Lilly and Company', 'equity', 2, 0, 905.14, 0.32, 5, 30, 1.0],
  ['UNH', 'UnitedHealth Group Incorporated', 'equity', 2, 0, 590.27, 0.25, 3, 40, 1.0],
  ['MA', 'Mastercard Incorporated', 'equity', 2, 0, 495.36, 0.21, 2, 40, 1.0],
  ['USDCHF', 'US Dollar / Swiss Franc', 'fx', 5, 0, 0.88413, 0.08, 5, 100_000, 1.0],
  ['DOGEUSD', 'Dogecoin / US Dollar', 'crypto', 5, 4, 0.15218, 1.0, 2, 2_000, 1.1],
  ['XOM', 'Exxon Mobil Corporation', 'equity', 2, 0, 118.34, 0.24, 1, 100, 1.1],
  ['COST', 'Costco Wholesale Corporation', 'equity', 2, 0, 890.55, 0.22, 5, 25, 1.0],
  ['NFLX', 'Netflix, Inc.', 'equity', 2, 0, 700.82, 0.36, 4, 40, 1.0],
  ['USDCAD', 'US Dollar / Canadian Dollar', 'fx', 5, 0, 1.36258, 0.06, 5, 100_000, 1.0],
  ['ADAUSD', 'Cardano / US Dollar', 'crypto', 5, 4, 0.45127, 0.85, 4, 2_000, 1.1],
  ['AMD', 'Advanced Micro Devices, Inc.', 'equity', 2, 0, 155.63, 0.5, 1, 150, 1.2],
  ['WMT', 'Walmart Inc.', 'equity', 2, 0, 80.62, 0.18, 1, 150, 1.1],
  ['HD', 'The Home Depot, Inc.', 'equity', 2, 0, 395.48, 0.22, 2, 50, 1.0],
  ['BRK.B', 'Berkshire Hathaway Inc. Class B', 'equity', 2, 0, 455.61, 0.16, 2, 40, 1.0],
  ['JNJ', 'Johnson & Johnson', 'equity', 2, 0, 160.54, 0.16, 1, 80, 1.0],
  ['PG', 'The Procter & Gamble Company', 'equity', 2, 0, 168.92, 0.15, 1, 80, 1.0],
  ['BAC', 'Bank of America Corporation', 'equity', 2, 0, 40.12, 0.26, 1, 300, 1.2],
  ['KO', 'The Coca-Cola Company', 'equity', 2, 0, 70.15, 0.14, 1, 150, 1.1],
  ['PEP', 'PepsiCo, Inc.', 'equity', 2, 0, 172.43, 0.16, 1, 80, 1.0],
  ['CVX', 'Chevron Corporation', 'equity', 2, 0, 150.26, 0.24, 1, 100, 1.1],
  ['MRK', 'Merck & Co., Inc.', 'equity', 2, 0, 112.37, 0.22, 1, 100, 1.1],
  ['ABBV', 'AbbVie Inc.', 'equity', 2, 0, 195.68, 0.24, 1, 80, 1.0],
  ['ADBE', 'Adobe Inc.', 'equity', 2, 0, 510.74, 0.34, 3, 40, 1.0],
  ['CRM', 'Salesforce, Inc.', 'equity', 2, 0, 270.33, 0.34, 2, 60, 1.0],
  ['ORCL', 'Oracle Corporation', 'equity', 2, 0, 165.92, 0.32, 1, 80, 1.1],
  ['CSCO', 'Cisco Systems, Inc.', 'equity', 2, 0, 52.31, 0.2, 1, 200, 1.1],
  ['INTC', 'Intel Corporation', 'equity', 2, 0, 22.43, 0.45, 1, 400, 1.2],
  ['DIS', 'The Walt Disney Company', 'equity', 2, 0, 92.75, 0.28, 1, 150, 1.1],
  ['WFC', 'Wells Fargo & Company', 'equity', 2, 0, 58.94, 0.26, 1, 200, 1.1],
  ['PFE', 'Pfizer Inc.', 'equity', 2, 0, 29.16, 0.22, 1, 300, 1.1],
  ['NKE', 'NIKE, Inc.', 'equity', 2, 0, 82.47, 0.3, 1, 120, 1.1],
  ['BA', 'The Boeing Company', 'equity', 2, 0, 160.28, 0.4, 2, 80, 1.1],
];

/** Number of hand-written instruments; larger universes continue with synthetic equities. */
export const DEFAULT_UNIVERSE_SIZE = ROWS.length;

function popularity(id: number): number {
  return 1 / (id + 1) ** ZIPF_EXPONENT;
}

function fromRow(id: number, row: Row): Instrument {
  const [ticker, name, assetClass, priceScale, sizeScale, price, annualVol, baseSpreadTicks, typicalSize, sizeSigma] = row;
  return {
    id,
    ticker,
    name,
    assetClass,
    priceScale,
    sizeScale,
    initialPrice: numberToTicks(price, priceScale) as PriceTicks,
    tickSize: 1,
    popularity: popularity(id),
    annualVol,
    baseSpreadTicks,
    sizeMu: Math.log(typicalSize * scaleFactor(sizeScale)),
    sizeSigma,
  };
}

/** A made-up equity whose parameters depend only on its id, so every process builds the same one. */
function synthetic(id: number): Instrument {
  const rng = new Rng(id);
  const label = String(id + 1).padStart(4, '0');
  const price = 5 + Math.round(rng.uniform() * 49_500) / 100;
  return {
    id,
    ticker: `SYN${label}`,
    name: `Synthetic Equity ${label}`,
    assetClass: 'equity',
    priceScale: 2,
    sizeScale: 0,
    initialPrice: numberToTicks(price, 2) as PriceTicks,
    tickSize: 1,
    popularity: popularity(id),
    annualVol: 0.15 + rng.uniform() * 0.45,
    baseSpreadTicks: 1 + Math.floor(rng.uniform() * 3),
    sizeMu: Math.log(50 + rng.uniform() * 250),
    sizeSigma: 1 + rng.uniform() * 0.3,
  };
}

/**
 * Throws a RangeError naming the instrument if any parameter is out of range or could let a derived
 * price or size overflow u32. The simulator runs it on whatever universe it is given.
 */
export function assertInstrument(inst: Instrument): void {
  const fail = (what: string): never => {
    throw new RangeError(`instrument ${inst.id} (${inst.ticker}): ${what}`);
  };
  if (!Number.isInteger(inst.id) || inst.id < 0 || inst.id >= MAX_INSTRUMENTS) fail(`id must be in 0..${MAX_INSTRUMENTS - 1}`);
  if (inst.ticker.length === 0) fail('ticker is empty');
  for (const [field, scale] of [
    ['priceScale', inst.priceScale],
    ['sizeScale', inst.sizeScale],
  ] as const) {
    if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) fail(`${field} must be an integer in 0..${MAX_SCALE}`);
  }
  if (!Number.isInteger(inst.tickSize) || inst.tickSize < 1) fail('tickSize must be an integer >= 1');
  if (!Number.isInteger(inst.initialPrice) || inst.initialPrice < 2 * inst.tickSize) {
    fail('initialPrice must be an integer of at least two ticks');
  }
  if (inst.initialPrice * PRICE_HEADROOM > U32_MAX) fail(`initialPrice × ${PRICE_HEADROOM} must fit in u32`);
  if (!(inst.popularity > 0) || !Number.isFinite(inst.popularity)) fail('popularity must be finite and > 0');
  if (!(inst.annualVol >= 0) || inst.annualVol > 10) fail('annualVol must be in [0, 10]');
  if (!(inst.baseSpreadTicks > 0) || inst.baseSpreadTicks * 64 > inst.initialPrice) {
    fail('baseSpreadTicks must be > 0 and small against initialPrice');
  }
  if (!(inst.sizeMu >= 0) || !(inst.sizeSigma >= 0)) fail('sizeMu and sizeSigma must be >= 0');
  if (Math.exp(inst.sizeMu + SIZE_HEADROOM_SIGMAS * inst.sizeSigma) > U32_MAX) {
    fail(`a size ${SIZE_HEADROOM_SIGMAS} sigmas above the median must fit in u32`);
  }
}

/**
 * `count` instruments with ids 0..count-1: a prefix of the hand-written list (already mixing asset
 * classes from five symbols on), then synthetic equities SYN0051, SYN0052, … up to the u16 id space.
 */
export function defaultUniverse(count = DEFAULT_UNIVERSE_SIZE): Instrument[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSTRUMENTS) {
    throw new RangeError(`universe size must be an integer in 1..${MAX_INSTRUMENTS}, got ${count}`);
  }
  const out: Instrument[] = [];
  for (let id = 0; id < count; id++) {
    const row = ROWS[id];
    const inst = row === undefined ? synthetic(id) : fromRow(id, row);
    assertInstrument(inst);
    out.push(inst);
  }
  return out;
}

/** Case-insensitive lookup by ticker. */
export function findInstrument(universe: readonly Instrument[], ticker: string): Instrument | undefined {
  const wanted = ticker.toUpperCase();
  return universe.find((inst) => inst.ticker.toUpperCase() === wanted);
}
