// --source in the feed process (`npm run feed`), with a real nats-server and a gateway (createServer with
// --nats): a fake Coinbase exchange → the feed (in-process, on a real NATS connection) → the gateway → a
// WebSocket client that gets every trade with continuous seq and exact units, with the adapter's reconnect,
// repeat, gap and malformed message counted in the feed's stats; the built feed process replaying the CSV
// fixture at --speed max gives a gateway client exactly the candles computed here from the file; and the
// feed takes --source with the server's syntax and rules.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import { createLogger } from '@tickwire/core/log';
import { connectNatsBus, type Bus } from '@tickwire/core/nats/bus';
import { parseFeedConfig, runFeed, type RunningFeed } from '../src/nats/feed-process.js';
import type { TickwireServer } from '../src/server.js';
import { REPLAY_INSTRUMENTS, REPLAY_TRADES, bars, replayFixtureTrades } from './expected-candles.js';
import { FIXTURE_TRADES, exchangeInstruments, fakeExchange, type FakeExchange } from './fake-exchange.js';
import { connectWs, startServer, waitFor, type WsClient } from './harness.js';
import { startFeed, startNats, stopAllChildren, type NatsServer } from './nats-harness.js';

const silent = createLogger('silent');

let nats: NatsServer;
let gateway: TickwireServer | null = null;
beforeAll(async () => {
  nats = await startNats();
}, 20_000);
afterEach(async () => {
  await gateway?.close();
  gateway = null;
});
afterAll(async () => {
  await stopAllChildren();
  await nats?.stop();
}, 20_000);

function ticksOf(c: WsClient, symbolId: number) {
  return c
    .of(FrameType.Updates)
    .flatMap((r) => r.frame.ticks)
    .filter((t) => t.symbolId === symbolId);
}

describe('npm run feed -- --source coinbase URL', () => {
  let exchange: FakeExchange | null = null;
  let bus: Bus | null = null;
  let feed: RunningFeed | null = null;
  afterEach(async () => {
    await feed?.close();
    await bus?.close();
    await exchange?.close();
  });

  it('relays the exchange through NATS to a gateway client with continuous seq, and counts the cut, repeat, gap and malformed message', async () => {
    let release!: () => void;
    exchange = await fakeExchange('coinbase.json', new Promise<void>((r) => (release = r)));
    bus = await connectNatsBus({ servers: nats.url, name: 'nats-source-feed', log: silent });
    const args = ['--nats', nats.url, '--instruments', exchangeInstruments(['BTC-USD', 'ETH-USD']), '--feed', 'none', '--batch-ms', '10', '--warmup', '0'];
    feed = await runFeed(parseFeedConfig([...args, '--source', 'coinbase', exchange.url], {}), bus, silent);
    gateway = await startServer({ nats: nats.url });
    const viewer = await connectWs(gateway.url);
    viewer.send(controlText('subscribe', ['BTC-USD', 'ETH-USD'], { id: 1, history: 0 }));
    await viewer.waitFor(FrameType.Ack);
    // Only now does the exchange send its trades: the viewer sees every one of them live.
    release();

    await waitFor(() => ticksOf(viewer, 0).length >= FIXTURE_TRADES[0]!.length && ticksOf(viewer, 1).length >= FIXTURE_TRADES[1]!.length, {
      what: 'every exchange trade through the gateway',
      timeoutMs: 10_000,
    });
    viewer.close();
    for (const [id, trades] of Object.entries(FIXTURE_TRADES)) {
      const ticks = ticksOf(viewer, Number(id));
      expect(ticks.map((t) => t.seq)).toEqual(trades.map((_, i) => i + 1));
      expect(ticks.map((t) => [t.price, t.size])).toEqual(trades);
    }
    expect(exchange.connections()).toBe(2);
    const subscribe = { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channels: ['matches'] };
    expect(exchange.subscribes).toEqual([subscribe, subscribe]);
    expect(feed.source).toEqual({
      accepted: 6,
      rejected: {},
      adapterEvents: { coinbase: { connected: 2, disconnected: 1, malformed: 1, gap: 1, repeat: 1, queue_full: 0 } },
    });
  }, 30_000);
});

describe('npm run feed -- --source csv FILE --speed max', () => {
  it('replays the file through the built feed process, and a gateway snapshot holds exactly the candles computed from the file', async () => {
    const trades = replayFixtureTrades();
    const feed = await startFeed(nats.url, [
      '--instruments',
      REPLAY_INSTRUMENTS,
      '--feed',
      'none',
      '--batch-ms',
      '10',
      '--speed',
      'max',
      '--source',
      'csv',
      REPLAY_TRADES,
    ]);
    const finished = JSON.parse(await feed.waitForOutput(/"msg":"replay finished"/)) as { accepted: number; rejected: Record<string, number> };
    expect(finished).toMatchObject({ accepted: trades.length, rejected: { crossed_quote: 1 } });
    // The rejected row is logged with its line in the file.
    expect(feed.stdout() + feed.stderr()).toMatch(/"reason":"crossed_quote".*line \d+/);

    gateway = await startServer({ nats: nats.url });
    const client = await connectWs(gateway.url);
    client.send(controlText('subscribe', ['ACME', 'BETA'], { id: 1, history: 300 }));
    await client.waitFor(FrameType.Ack);
    client.close();
    for (const [id, ticker] of [
      [0, 'ACME'],
      [1, 'BETA'],
    ] as const) {
      const mine = trades.filter((t) => t.ticker === ticker);
      const snap = client.of(FrameType.Snapshot).find((s) => s.frame.symbolId === id)!.frame;
      expect(snap).toMatchObject({ ticker, seq: mine.length, last: mine.at(-1)!.price, lastTimeMs: mine.at(-1)!.ts });
      for (const interval of [1, 5, 60]) {
        expect(snap.candles.find((c) => c.intervalSec === interval)?.candles, `${ticker} ${interval} s bars`).toEqual(bars(mine, interval));
      }
    }
    expect(await feed.stop()).toBe(0);
  }, 40_000);
});

describe('the feed process takes --source like the server', () => {
  const base = ['--nats', 'nats://127.0.0.1:4222'];
  it('parses the four forms and --speed 1|10|max', () => {
    expect(parseFeedConfig([...base, '--instruments', 'i.json', '--speed', '10', '--source', 'csv', 't.csv'], {})).toMatchObject({
      source: { kind: 'csv', file: 't.csv' },
      speed: 10,
    });
    expect(parseFeedConfig([...base, '--instruments', 'i.json', '--source', 'binance'], {}).source).toEqual({ kind: 'binance', url: null });
    expect(parseFeedConfig([...base, '--instruments', 'i.json'], { TICKWIRE_SOURCE: 'ndjson t.ndjson', TICKWIRE_SPEED: 'max' })).toMatchObject({
      source: { kind: 'ndjson', file: 't.ndjson' },
      speed: 'max',
    });
  });

  it('refuses what the server refuses, with the same messages', () => {
    const refused = (args: string[]) => () => parseFeedConfig([...base, ...args], {});
    expect(refused(['--source', 'csv', 't.csv'])).toThrow(/--source needs --instruments FILE/);
    expect(refused(['--instruments', 'i.json', '--source', 'coinbase', 'http://x'])).toThrow(/--source takes "csv FILE", "ndjson FILE"/);
    expect(refused(['--instruments', 'i.json', '--source', 'csv'])).toThrow(/--source takes/);
    expect(refused(['--instruments', 'i.json', '--speed', '2', '--source', 'csv', 't.csv'])).toThrow(/--speed 2 with --source: use 1, 10 or max/);
  });

  it('stops the start with TW_SOURCE on a file it cannot read', async () => {
    const bus = await connectNatsBus({ servers: nats.url, name: 'nats-source-bad', log: silent });
    try {
      const config = parseFeedConfig(
        ['--nats', nats.url, '--instruments', REPLAY_INSTRUMENTS, '--feed', 'none', '--source', 'csv', '/nonexistent/trades.csv'],
        {},
      );
      await expect(runFeed(config, bus, silent)).rejects.toMatchObject({ code: 'TW_SOURCE', message: expect.stringContaining('/nonexistent/trades.csv') });
    } finally {
      await bus.close();
    }
  });
});
