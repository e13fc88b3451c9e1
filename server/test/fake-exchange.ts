// A fake exchange for the adapter tests (server and feed process): a `ws` server on a free loopback port
// replaying the fixture messages of server/test/fixtures/exchanges, written from the venues' public
// documentation. Connection k gets session k once it has sent its subscription; the first connection is
// cut mid-stream after its last message, so every test sees a reconnect and a resubscribe.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';

const FIXTURES = join(import.meta.dirname, 'fixtures/exchanges');

export interface FakeExchange {
  url: string;
  /** Subscription messages received, parsed, in order. */
  subscribes: unknown[];
  connections(): number;
  close(): Promise<void>;
}

/** `gate`: sessions wait for it before sending (a test subscribes its viewers first). */
export async function fakeExchange(fixture: string, gate: Promise<void> = Promise.resolve()): Promise<FakeExchange> {
  const { sessions } = JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')) as { sessions: unknown[][] };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const subscribes: unknown[] = [];
  let connections = 0;
  wss.on('connection', (socket: ServerSocket) => {
    const session = sessions[connections++] ?? [];
    const cut = connections === 1;
    socket.once('message', (data) => {
      subscribes.push(JSON.parse(String(data)));
      void gate.then(() => {
        for (const m of session) socket.send(typeof m === 'string' ? m : JSON.stringify(m));
        // Mid-stream: no close frame, the TCP connection just goes.
        if (cut) setTimeout(() => socket.terminate(), 20);
      });
    });
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    subscribes,
    connections: () => connections,
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

/** An instrument file with the two tickers as crypto ingest instruments (price scale 2, size scale 8), ids 0 and 1. */
export function exchangeInstruments(tickers: [string, string]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tickwire-exchange-')), 'instruments.json');
  const entry = (ticker: string, id: number) => ({ id, ticker, name: ticker, assetClass: 'crypto', priceScale: 2, sizeScale: 8, source: 'ingest' });
  writeFileSync(path, JSON.stringify({ instruments: tickers.map(entry) }));
  return path;
}

/** What both fixtures' sessions come to once the repeat is skipped: [price, size] in units, per symbol id. */
export const FIXTURE_TRADES: Record<number, Array<[price: number, size: number]>> = {
  0: [
    [9_601_234, 1_500_000],
    [9_601_300, 20_000_000],
    [9_600_150, 100_000],
    [9_602_000, 5_000_000],
  ],
  1: [
    [365_010, 125_000_000],
    [365_100, 50_000_000],
  ],
};
