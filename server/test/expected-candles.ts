// What tests expect from trades, computed independently of the server: candles binned by event time, and
// the replay fixture's rows (server/test/fixtures/replay) as a replay should take them (crossed quotes
// rejected, ISO times read as epoch ms, decimals as integer units by their digits).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Candle } from '@tickwire/protocol/messages';

const REPLAY = join(import.meta.dirname, 'fixtures/replay');
export const REPLAY_INSTRUMENTS = join(REPLAY, 'instruments.json');
export const REPLAY_TRADES = join(REPLAY, 'trades.csv');
const SCALES: Record<string, { price: number; size: number }> = { ACME: { price: 2, size: 0 }, BETA: { price: 4, size: 2 } };

export interface ExpectedTrade {
  ts: number;
  price: number;
  size: number;
}

/** Bars of `intervalSec` from trades in time order, as the candle rings should hold them. */
export function bars(trades: readonly ExpectedTrade[], intervalSec: number): Candle[] {
  const out: Candle[] = [];
  for (const t of trades) {
    const time = Math.floor(t.ts / 1000 / intervalSec) * intervalSec;
    const last = out.at(-1);
    if (last && last.time === time) {
      last.high = Math.max(last.high, t.price) as never;
      last.low = Math.min(last.low, t.price) as never;
      last.close = t.price as never;
      last.volume += t.size;
    } else out.push({ time, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.size } as Candle);
  }
  return out;
}

/** A decimal cell at `scale` → integer units, by its digits (the fixture writes every decimal at full scale). */
function units(cell: string, scale: number): number {
  const [whole, frac = ''] = cell.split('.');
  expect(frac.length).toBe(scale);
  return Number(`${whole}${frac}`);
}

/** The replay fixture's rows as a replay should take them. */
export function replayFixtureTrades(): Array<ExpectedTrade & { ticker: string }> {
  const [header, ...rows] = readFileSync(REPLAY_TRADES, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return rows
    .map((row) => Object.fromEntries(row.split(',').map((v, i) => [cols[i]!, v])) as Record<string, string>)
    .filter((r) => !(r.bid !== '' && r.ask !== '' && Number(r.bid) > Number(r.ask)))
    .map((r) => ({
      ticker: r.ticker!,
      ts: /^\d+$/.test(r.ts!) ? Number(r.ts) : Date.parse(r.ts!),
      price: units(r.price!, SCALES[r.ticker!]!.price),
      size: units(r.size!, SCALES[r.ticker!]!.size),
    }));
}
