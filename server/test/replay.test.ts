// --source csv FILE --speed max in a real server: the fixture's trades (server/test/fixtures/replay) go
// through the ingest core into the fan-out, and a WebSocket client's snapshot holds exactly the candles
// computed here from the file (one crossed-quote row rejected and counted, the replay going on past it);
// a file without the required columns stops the start with TW_SOURCE.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { FrameType, type Candle } from '@tickwire/protocol/messages';
import type { TickwireServer } from '../src/server.js';
import { connectWs, readCounter, startServer, waitFor } from './harness.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/replay');
const INSTRUMENTS = join(FIXTURES, 'instruments.json');
const TRADES = join(FIXTURES, 'trades.csv');
const SCALES: Record<string, { price: number; size: number }> = { ACME: { price: 2, size: 0 }, BETA: { price: 4, size: 2 } };

/** A decimal cell at `scale` → integer units, by its digits (the fixture writes every decimal at full scale). */
function units(cell: string, scale: number): number {
  const [whole, frac = ''] = cell.split('.');
  expect(frac.length).toBe(scale);
  return Number(`${whole}${frac}`);
}

/** The fixture's rows as the server should take them: crossed quotes dropped, ISO times read as epoch ms. */
function fileTrades() {
  const [header, ...rows] = readFileSync(TRADES, 'utf8').trim().split('\n');
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

function bars(trades: Array<{ ts: number; price: number; size: number }>, intervalSec: number): Candle[] {
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

describe('--source csv FILE --speed max', () => {
  let server: TickwireServer;
  const trades = fileTrades();
  const of = (ticker: string) => trades.filter((t) => t.ticker === ticker);

  beforeAll(async () => {
    server = await startServer({ instruments: INSTRUMENTS, feed: 'none', source: { kind: 'csv', file: TRADES }, replaySpeed: Infinity, batchMs: 10 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('replays every valid row, counts the crossed one, and snapshots carry the candles computed from the file', async () => {
    await waitFor(() => server.fanout.states[0]!.seq === of('ACME').length && server.fanout.states[1]!.seq === of('BETA').length, {
      what: 'every valid row replayed',
    });
    expect(of('ACME').length + of('BETA').length).toBe(35);
    expect(await readCounter(server.url, 'tickwire_ingest_trades_accepted_total')).toBe(35);
    expect(await readCounter(server.url, 'tickwire_ingest_trades_rejected_total', { reason: 'crossed_quote' })).toBe(1);

    const client = await connectWs(server.url);
    client.send(controlText('subscribe', ['ACME', 'BETA'], { id: 1, history: 300 }));
    await client.waitFor(FrameType.Ack);
    client.close();
    for (const [id, ticker] of [
      [0, 'ACME'],
      [1, 'BETA'],
    ] as const) {
      const snap = client.of(FrameType.Snapshot).find((s) => s.frame.symbolId === id)!.frame;
      const mine = of(ticker);
      expect(snap).toMatchObject({
        ticker,
        seq: mine.length,
        last: mine.at(-1)!.price,
        lastTimeMs: mine.at(-1)!.ts,
        high: Math.max(...mine.map((t) => t.price)),
        low: Math.min(...mine.map((t) => t.price)),
        volume: mine.reduce((s, t) => s + t.size, 0),
      });
      for (const interval of [1, 5, 60]) {
        expect(snap.candles.find((c) => c.intervalSec === interval)?.candles, `${ticker} ${interval} s bars`).toEqual(bars(mine, interval));
      }
    }
  });
});

describe('--source with a bad file', () => {
  it('stops the start with TW_SOURCE naming the missing column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-replay-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'symbol,price,size\nACME,1.00,1\n');
    await expect(startServer({ instruments: INSTRUMENTS, feed: 'none', source: { kind: 'csv', file: bad } })).rejects.toMatchObject({
      code: 'TW_SOURCE',
      message: expect.stringContaining('missing ticker; unknown symbol'),
    });
  });
});
