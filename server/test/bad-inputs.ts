// The bad-input list as one table every ingest door's test runs (POST /ingest, /ingest/ws, NATS),
// with the instrument file they share. Each row is self-contained: valid setup lines for ACME first (a
// trade to repeat or to be older than), then exactly one bad line, so a door must answer
// `accepted: lines.length - 1, rejected: 1, reasons: { [reason]: 1 }` whatever ran before it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TradeRecord } from '@tickwire/protocol/ingest-wire';
import type { IngestRejection } from '@tickwire/core/ingest';

export const ACME = 0;
export const BETA = 1;
export const SIMCO = 2;

/** ACME and BETA ingested (BETA on a 0.0005 tick grid), SIMCO simulated. */
export const INGEST_TEST_INSTRUMENTS = [
  { ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, source: 'ingest', id: 0 },
  { ticker: 'BETA', name: 'Beta Coin', assetClass: 'crypto', priceScale: 4, sizeScale: 2, tickSize: '0.0005', source: 'ingest', id: 1 },
  { ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '50.00', id: 2 },
];

/** Writes `list` (default the three above) as an instrument file in a fresh temporary directory. */
export function ingestInstrumentFile(list: unknown[] = INGEST_TEST_INSTRUMENTS): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tickwire-ingest-')), 'instruments.json');
  writeFileSync(path, JSON.stringify({ instruments: list }));
  return path;
}

/** A valid ACME trade (time assigned by the server), with fields overridden. */
export const good = (over: Record<string, unknown> = {}) => ({ ticker: 'ACME', price: '101.00', size: '5', ...over });

/** NDJSON of objects (strings are taken as raw lines). */
export const ndjson = (lines: readonly unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

export interface BadInput {
  what: string;
  reason: IngestRejection;
  /** Setup lines (valid), then the one bad line. */
  lines: unknown[];
}

export const BAD_INPUTS: BadInput[] = [
  ['malformed JSON', 'bad_json', '{"ticker":"ACME",'],
  ['a JSON line that is not an object', 'bad_json', '[1,2,3]'],
  ['a ticker that is not a string', 'bad_shape', { ticker: 42, price: '1', size: '1' }],
  ['a trade without a size', 'bad_shape', { ticker: 'ACME', price: '1' }],
  ['an unknown ticker', 'unknown_ticker', good({ ticker: 'NOPE' })],
  ['a simulated instrument', 'not_ingest', good({ ticker: 'SIMCO' })],
  ['a negative price', 'bad_price', good({ price: '-1.00' })],
  ['a zero price', 'bad_price', good({ price: '0' })],
  ['a NaN price', 'bad_price', good({ price: 'NaN' })],
  ['a price finer than the scale', 'price_precision', good({ price: '1.001' })],
  ['a price off the tick grid', 'price_precision', good({ ticker: 'BETA', price: '1.0001' })],
  ['a price overflowing u32', 'price_overflow', good({ price: '42949672.96' })],
  ['a zero size', 'bad_size', good({ size: 0 })],
  ['a negative size', 'bad_size', good({ size: '-3' })],
  ['a size finer than the scale', 'size_precision', good({ size: '0.5' })],
  ['a size overflowing u32', 'size_overflow', good({ size: '4294967296' })],
  ['half a quote', 'bad_quote', good({ bid: '100.99' })],
  ['a crossed quote', 'crossed_quote', good({ bid: '101.02', ask: '101.01' })],
  ['a timestamp that is not epoch ms', 'bad_time', good({ ts: '2026-01-01T00:00:00Z' })],
  ['a timestamp far in the future', 'future_time', good({ ts: Date.now() + 3_600_000 })],
].map(([what, reason, bad]) => ({ what: what as string, reason: reason as IngestRejection, lines: [bad] }));

// The two that need a trade before them: one at the server's now, then one an hour older or with its id.
BAD_INPUTS.push(
  { what: "a timestamp before the symbol's latest trade", reason: 'out_of_order', lines: [good(), good({ ts: Date.now() - 3_600_000 })] },
  { what: 'a duplicate trade id', reason: 'duplicate_id', lines: [good({ id: 'matrix-dup' }), good({ id: 'matrix-dup' })] },
);

/** The same for 32-byte records (the binary doors): setup records, then one bad one. */
export interface BadRecords {
  what: string;
  reason: IngestRejection;
  records: TradeRecord[];
}

export const BAD_RECORDS: BadRecords[] = [
  { what: 'an unknown symbolId record', reason: 'unknown_ticker', records: [{ symbolId: 99, price: 100, size: 1 }] },
  { what: 'a record for a simulated instrument', reason: 'not_ingest', records: [{ symbolId: SIMCO, price: 100, size: 1 }] },
  { what: 'a zero-price record', reason: 'bad_price', records: [{ symbolId: ACME, price: 0, size: 1 }] },
  { what: 'a zero-size record', reason: 'bad_size', records: [{ symbolId: ACME, price: 10_100, size: 0 }] },
  { what: 'a record off the tick grid', reason: 'price_precision', records: [{ symbolId: BETA, price: 10_001, size: 1 }] },
  { what: 'a crossed record', reason: 'crossed_quote', records: [{ symbolId: ACME, price: 10_100, size: 1, bid: 10_102, ask: 10_101 }] },
  {
    what: 'a duplicate record id',
    reason: 'duplicate_id',
    records: [
      { symbolId: ACME, price: 10_100, size: 1, id: 900_001 },
      { symbolId: ACME, price: 10_100, size: 1, id: 900_001 },
    ],
  },
];
