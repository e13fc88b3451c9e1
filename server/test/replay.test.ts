// --source csv FILE --speed max in a real server: the fixture's trades (server/test/fixtures/replay) go
// through the ingest core into the fan-out, and a WebSocket client's snapshot holds exactly the candles
// computed here from the file (one crossed-quote row rejected and counted, the replay going on past it);
// a file without the required columns stops the start with TW_SOURCE.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import type { TickwireServer } from '../src/server.js';
import { REPLAY_INSTRUMENTS as INSTRUMENTS, REPLAY_TRADES as TRADES, bars, replayFixtureTrades } from './expected-candles.js';
import { connectWs, readCounter, startServer, waitFor } from './harness.js';

describe('--source csv FILE --speed max', () => {
  let server: TickwireServer;
  const trades = replayFixtureTrades();
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
