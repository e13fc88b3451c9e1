// Exchange adapters against local fake exchanges (a `ws` server replaying fixture messages written from
// the venues' public documentation, server/test/fixtures/exchanges): the adapter subscribes, ingests the
// trades with exact units, survives a mid-stream disconnect (reconnects with backoff and resubscribes),
// skips the venue's repeat of its last trade, counts a trade-id gap and malformed messages, and the other
// instrument keeps flowing; a client's snapshot shows the result.
import { afterEach, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import type { TickwireServer } from '../src/server.js';
import { FIXTURE_TRADES, exchangeInstruments as instruments, fakeExchange, type FakeExchange } from './fake-exchange.js';
import { connectWs, readCounter, startServer, waitFor } from './harness.js';

let server: TickwireServer | null = null;
let exchange: FakeExchange | null = null;
afterEach(async () => {
  await server?.close();
  await exchange?.close();
  server = null;
  exchange = null;
});

async function expectResult(s: TickwireServer, source: string, expected: Record<number, Array<[price: number, size: number]>>) {
  for (const [id, trades] of Object.entries(expected)) {
    await waitFor(() => s.fanout.states[Number(id)]!.seq === trades.length, { what: `${trades.length} trades of symbol ${id}`, timeoutMs: 10_000 });
  }
  const client = await connectWs(s.url);
  client.send(
    controlText(
      'subscribe',
      s.fanout.states.map((st) => st.instrument.ticker),
      { id: 1, history: 10 },
    ),
  );
  await client.waitFor(FrameType.Ack);
  client.close();
  for (const [id, trades] of Object.entries(expected)) {
    const snap = client.of(FrameType.Snapshot).find((f) => f.frame.symbolId === Number(id))!.frame;
    expect(snap, `${source} symbol ${id}`).toMatchObject({
      seq: trades.length,
      last: trades.at(-1)![0],
      high: Math.max(...trades.map((t) => t[0])),
      low: Math.min(...trades.map((t) => t[0])),
      volume: trades.reduce((v, t) => v + t[1], 0),
    });
  }
}

const events = async (s: TickwireServer, source: string) =>
  Object.fromEntries(
    await Promise.all(
      ['connected', 'disconnected', 'malformed', 'gap', 'repeat'].map(async (event) => [
        event,
        await readCounter(s.url, 'tickwire_adapter_events_total', { source, event }),
      ]),
    ),
  );

describe('exchange adapters against fake exchanges', () => {
  it('Coinbase matches/ticker: trades in exact units, reconnect and resubscribe after a cut, repeat skipped, gap and malformed counted', async () => {
    exchange = await fakeExchange('coinbase.json');
    server = await startServer({ instruments: instruments(['BTC-USD', 'ETH-USD']), feed: 'none', source: { kind: 'coinbase', url: exchange.url } });
    await expectResult(server, 'coinbase', FIXTURE_TRADES);
    expect(exchange.connections()).toBe(2);
    const subscribe = { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channels: ['matches'] };
    expect(exchange.subscribes).toEqual([subscribe, subscribe]);
    expect(await events(server, 'coinbase')).toEqual({ connected: 2, disconnected: 1, malformed: 1, gap: 1, repeat: 1 });
    // The ticker message carried the quote.
    expect(server.fanout.states[1]!).toMatchObject({ bid: 365_099, ask: 365_101 });
  });

  it('Binance @trade: raw and combined events, reconnect and resubscribe after a cut, repeat skipped, gaps and malformed counted', async () => {
    exchange = await fakeExchange('binance.json');
    server = await startServer({ instruments: instruments(['BTC-USDT', 'ETH-USDT']), feed: 'none', source: { kind: 'binance', url: exchange.url } });
    await expectResult(server, 'binance', FIXTURE_TRADES);
    expect(exchange.connections()).toBe(2);
    expect(exchange.subscribes).toEqual([
      { method: 'SUBSCRIBE', params: ['btcusdt@trade', 'ethusdt@trade'], id: 1 },
      { method: 'SUBSCRIBE', params: ['btcusdt@trade', 'ethusdt@trade'], id: 2 },
    ]);
    expect(await events(server, 'binance')).toEqual({ connected: 2, disconnected: 1, malformed: 2, gap: 2, repeat: 1 });
  });
});
