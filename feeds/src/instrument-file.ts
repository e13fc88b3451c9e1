// Instruments as data: the `--instruments FILE` format (JSON), validated into the same Instrument records
// the built-in universe produces, so the simulator, the fan-out and /api/symbols treat both alike.
// Ids are positions in the file (see docs/ingest.md, "Stable ids"): append-only, and an optional "id" on
// an entry pins it, so a reordered or shortened file fails to load instead of renumbering silently.
import { readFileSync } from 'node:fs';
import { isTicker } from '@tickwire/protocol/control';
import { MAX_SCALE, U32_MAX, decimalToUnits, largestFittingScale, type PriceTicks } from '@tickwire/protocol/units';
import { MAX_INSTRUMENTS, PRICE_HEADROOM, assertInstrument, type AssetClass, type Instrument } from './universe.js';

/** Who writes an instrument's ticks: the embedded simulator, or producers through the ingest API. */
export type InstrumentSource = 'sim' | 'ingest';

export interface RegisteredInstrument extends Instrument {
  source: InstrumentSource;
}

/** Defaults for what the simulator needs and a file may leave out. */
export const INSTRUMENT_DEFAULTS = {
  /** Reference price in display units (the simulator's starting level). */
  price: '100',
  annualVol: 0.3,
  /** Median trade size, in lots. */
  typicalLots: 100,
  sizeSigma: 1,
} as const;

const MAX_NAME_LENGTH = 128;
const ASSET_CLASS = /^[a-z][a-z0-9_-]{0,31}$/;
/** Errors reported at once for a bad file (the rest are counted, not listed). */
const MAX_REPORTED = 20;

const FIELDS = new Set([
  'id',
  'ticker',
  'name',
  'assetClass',
  'priceScale',
  'sizeScale',
  'tickSize',
  'source',
  'price',
  'annualVol',
  'spreadTicks',
  'typicalSize',
  'sizeSigma',
  'popularity',
]);

export class InstrumentFileError extends Error {
  override readonly name = 'InstrumentFileError';
  constructor(
    readonly problems: readonly string[],
    where: string,
  ) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    super(`${where}: ${problems.length === 1 ? shown[0] : `${problems.length} problems:\n  ${shown.join('\n  ')}${more}`}`);
  }
}

export interface InstrumentFileOptions {
  /** Source of entries that name none: 'sim' when the simulator runs (--feed sim), else 'ingest'. */
  defaultSource: InstrumentSource;
}

/** Reads and validates an instrument file; throws InstrumentFileError naming every problem. */
export function loadInstrumentFile(path: string, options: InstrumentFileOptions): RegisteredInstrument[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InstrumentFileError([`cannot read the file: ${(error as Error).message}`], path);
  }
  return parseInstrumentFile(text, path, options);
}

/** Parses the text of an instrument file (`where` names it in errors). */
export function parseInstrumentFile(text: string, where: string, options: InstrumentFileOptions): RegisteredInstrument[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InstrumentFileError([`not valid JSON (${(error as Error).message})`], where);
  }
  if (!isObject(doc) || !Array.isArray(doc.instruments)) throw new InstrumentFileError(['expected {"instruments": [ … ]}'], where);
  const extra = Object.keys(doc).filter((k) => k !== 'instruments');
  const problems: string[] = extra.length > 0 ? [`unknown top-level field ${extra.map((k) => JSON.stringify(k)).join(', ')}`] : [];
  const entries: unknown[] = doc.instruments;
  if (entries.length === 0) problems.push('"instruments" is empty: declare at least one');
  if (entries.length > MAX_INSTRUMENTS) problems.push(`${entries.length} instruments: symbol ids are u16, at most ${MAX_INSTRUMENTS}`);
  const out: RegisteredInstrument[] = [];
  const seen = new Map<string, number>();
  entries.slice(0, MAX_INSTRUMENTS).forEach((entry, position) => {
    const label = `instruments[${position}]${isObject(entry) && typeof entry.ticker === 'string' ? ` (${entry.ticker.slice(0, 20)})` : ''}`;
    const local: string[] = [];
    const inst = readEntry(entry, position, options, (msg) => local.push(`${label}: ${msg}`));
    if (inst !== null) {
      const key = inst.ticker.toUpperCase();
      const first = seen.get(key);
      if (first !== undefined) local.push(`${label}: ticker ${inst.ticker} is already instruments[${first}]`);
      else seen.set(key, position);
      out.push(inst);
    }
    problems.push(...local);
  });
  if (problems.length > 0) throw new InstrumentFileError(problems, where);
  return out;
}

/**
 * One entry checked by the file's rules as if it sat at `position` (run-time registration reuses them,
 * instrument-registry.ts): the instrument, or every problem of the entry, each naming its field.
 */
export function readInstrumentEntry(
  entry: unknown,
  position: number,
  options: InstrumentFileOptions,
): { ok: true; instrument: RegisteredInstrument } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const instrument = readEntry(entry, position, options, (msg) => problems.push(msg));
  return instrument !== null && problems.length === 0 ? { ok: true, instrument } : { ok: false, problems };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decimalText(v: unknown): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** One entry → an instrument, or null after reporting why not (every problem of the entry, not just the first). */
function readEntry(entry: unknown, position: number, options: InstrumentFileOptions, report: (msg: string) => void): RegisteredInstrument | null {
  if (!isObject(entry)) {
    report('expected an object');
    return null;
  }
  const before = { count: 0 };
  const fail = (msg: string) => {
    before.count++;
    report(msg);
  };
  for (const key of Object.keys(entry)) if (!FIELDS.has(key)) fail(`unknown field ${JSON.stringify(key)} (known: ${[...FIELDS].join(', ')})`);

  if (entry.id !== undefined && entry.id !== position) {
    fail(
      `declares id ${JSON.stringify(entry.id)} but sits at position ${position}; ids are positions in the file: append new instruments at the end, never remove or reorder one`,
    );
  }
  const { ticker, name, assetClass, priceScale, sizeScale } = entry;
  if (!isTicker(ticker)) fail(`ticker ${JSON.stringify(ticker)} must be 1–16 characters of A–Z 0–9 . / _ -, starting with a letter or digit`);
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name)) {
    fail(`name must be a string of 1–${MAX_NAME_LENGTH} printable characters`);
  }
  if (typeof assetClass !== 'string' || !ASSET_CLASS.test(assetClass)) {
    fail(`assetClass ${JSON.stringify(assetClass)} must be lower-case letters, digits, _ or - (equity, fx, crypto, …)`);
  }
  for (const [field, scale] of [
    ['priceScale', priceScale],
    ['sizeScale', sizeScale],
  ] as const) {
    if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > MAX_SCALE) {
      fail(`${field} ${JSON.stringify(scale)} must be an integer in 0..${MAX_SCALE}`);
    }
  }
  const source: unknown = entry.source ?? options.defaultSource;
  if (source !== 'sim' && source !== 'ingest') fail(`source ${JSON.stringify(source)} must be "sim" or "ingest"`);
  if (before.count > 0 || (source !== 'sim' && source !== 'ingest')) return null;
  const ps = priceScale as number;
  const ss = sizeScale as number;

  // Tick size: a decimal in display units that must be a whole number of ticks at priceScale.
  let tickSize = 1;
  if (entry.tickSize !== undefined) {
    const r = decimalText(entry.tickSize) ? decimalToUnits(entry.tickSize, ps) : null;
    if (r === null || !r.ok || r.units < 1) {
      fail(
        r?.ok === false && r.error === 'precision'
          ? `tickSize ${String(entry.tickSize)} is finer than priceScale ${ps} allows (one tick = ${formatTick(ps)})`
          : `tickSize ${JSON.stringify(entry.tickSize)} must be a positive decimal that fits u32 at priceScale ${ps}`,
      );
    } else tickSize = r.units;
  }

  // Reference price: must fit u32 at priceScale, with the simulator's headroom when it simulates it.
  const priceText: unknown = entry.price ?? INSTRUMENT_DEFAULTS.price;
  const limit = source === 'sim' ? Math.floor(U32_MAX / PRICE_HEADROOM) : U32_MAX;
  let initialPrice = 0;
  const p = decimalText(priceText) ? decimalToUnits(priceText, ps, limit) : null;
  if (p === null || (p.ok && p.units === 0) || (!p.ok && (p.error === 'syntax' || p.error === 'negative'))) {
    fail(`price ${JSON.stringify(priceText)} must be a positive decimal`);
  } else if (!p.ok && p.error === 'overflow') {
    const fits = largestFittingScale(priceText as string | number, limit);
    const room = source === 'sim' ? ` (${U32_MAX} ÷ ${PRICE_HEADROOM}: the simulator's headroom)` : ' (u32)';
    fail(
      `price ${String(priceText)} does not fit the wire at priceScale ${ps}: more than ${limit} ticks${room}; ` +
        (fits === null ? 'no priceScale fits it' : `the largest priceScale that fits is ${fits}`),
    );
  } else if (!p.ok) {
    fail(`price ${String(priceText)} has more decimals than priceScale ${ps}`);
  } else initialPrice = p.units;
  if (initialPrice > 0 && initialPrice % tickSize !== 0) fail(`price ${String(priceText)} is not a multiple of tickSize ${String(entry.tickSize)}`);

  const num = (field: string, fallback: number, min: number, max: number): number => {
    const v = entry[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      fail(`${field} ${JSON.stringify(v)} must be a number in [${min}, ${max}]`);
      return fallback;
    }
    return v;
  };
  const annualVol = num('annualVol', INSTRUMENT_DEFAULTS.annualVol, 0, 10);
  const sizeSigma = num('sizeSigma', INSTRUMENT_DEFAULTS.sizeSigma, 0, 3);
  const popularity = num('popularity', 1 / (position + 1), Number.MIN_VALUE, 1e6);
  const spreadTicks = num('spreadTicks', tickSize, 1, U32_MAX);
  if (!Number.isInteger(spreadTicks)) fail(`spreadTicks ${spreadTicks} must be an integer`);
  let typicalLots: number = INSTRUMENT_DEFAULTS.typicalLots;
  if (entry.typicalSize !== undefined) {
    const s = decimalText(entry.typicalSize) ? decimalToUnits(entry.typicalSize, ss) : null;
    if (s === null || !s.ok || s.units < 1)
      fail(`typicalSize ${JSON.stringify(entry.typicalSize)} must be a positive decimal of at least one lot at sizeScale ${ss}`);
    else typicalLots = s.units;
  }
  if (before.count > 0) return null;

  const inst: RegisteredInstrument = {
    id: position,
    ticker: ticker as string,
    name: name as string,
    // Wider than AssetClass on purpose: the protocol tells clients to accept classes they do not know.
    assetClass: assetClass as AssetClass,
    priceScale: ps,
    sizeScale: ss,
    initialPrice: initialPrice as PriceTicks,
    tickSize,
    popularity,
    annualVol,
    baseSpreadTicks: spreadTicks,
    sizeMu: Math.log(typicalLots),
    sizeSigma,
    source,
  };
  if (source === 'sim') {
    try {
      assertInstrument(inst);
    } catch (error) {
      // The simulator's own limits (spread against price, size headroom), phrased by universe.ts.
      fail(`cannot be simulated: ${(error as Error).message.replace(/^instrument \d+ \([^)]*\): /, '')}`);
      return null;
    }
  }
  return inst;
}

function formatTick(scale: number): string {
  return scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`;
}
