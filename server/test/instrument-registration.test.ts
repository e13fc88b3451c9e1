// Run-time instrument registration against a real server on an ephemeral port: POST /ingest/instruments
// → /api/symbols lists the new instrument (a changed ETag) → a WebSocket client subscribes and gets the
// ingested trades with seq from 1, decoded with the shared codec, and /api/candles pages them → a restart
// with the same files gives the same ids. Every bad registration gets its own 4xx, is counted, and leaves
// the list, the sidecar file and the other symbols as they were.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlText } from '@tickwire/protocol/control';
import { FrameType } from '@tickwire/protocol/messages';
import { registryPathFor } from '@tickwire/feeds/instrument-registry';
import { signToken } from '../src/auth.js';
import type { TickwireServer } from '../src/server.js';
import { connectWs, httpJson, readCounter, startServer, waitFor, type WsClient } from './harness.js';

const TOKEN = 'ingest-secret-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const AUTH_SECRET = 'viewer-secret-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'tickwire-registration-'));
const FILE = join(dir, 'instruments.json');
writeFileSync(
  FILE,
  JSON.stringify({
    instruments: [
      { id: 0, ticker: 'ACME', name: 'Acme Corp', assetClass: 'equity', priceScale: 2, sizeScale: 0, source: 'ingest' },
      { id: 1, ticker: 'SIMCO', name: 'Simulated Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, price: '50.00' },
    ],
  }),
);
const SIDECAR = registryPathFor(FILE);
const NEWCO = { ticker: 'NEWCO', name: 'New Co', assetClass: 'equity', priceScale: 2, sizeScale: 0 };
const COIN = { ticker: 'COIN-X', name: 'Coin X', assetClass: 'crypto', priceScale: 4, sizeScale: 6, tickSize: '0.0005' };

type Symbols = { symbols: Array<{ id: number; ticker: string; priceScale: number }> };
type Registered = { instruments?: Array<{ id: number; ticker: string; created: boolean }>; error?: { name: string; message: string } };

const config = { instruments: FILE, ingestToken: TOKEN, tickRate: 200, batchMs: 10 };
const register = (base: string, body: unknown, headers: Record<string, string> = AUTH) =>
  httpJson(base, '/ingest/instruments', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers }) as Promise<{
    status: number;
    headers: Headers;
    body: Registered;
  }>;
const symbolsOf = async (base: string) => ((await httpJson(base, '/api/symbols')).body as Symbols).symbols.map((s) => [s.id, s.ticker]);

describe('POST /ingest/instruments on a live server', () => {
  let server: TickwireServer;
  let base: string;
  let viewer: WsClient;

  beforeAll(async () => {
    server = await startServer(config);
    base = server.url;
    viewer = await connectWs(base);
  });
  afterAll(async () => {
    viewer?.close();
    await server?.close();
  });

  it('registers an instrument that /api/symbols, subscribers, ingest and /api/candles all see at once', async () => {
    const before = await httpJson(base, '/api/symbols');
    expect(before.headers.get('cache-control')).toBe('no-cache');
    const etag = before.headers.get('etag')!;
    // Revalidation while nothing changed: 304.
    expect((await fetch(`${base}/api/symbols`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    const r = await register(base, NEWCO);
    expect(r.status).toBe(201);
    expect(r.body.instruments).toEqual([{ id: 2, ticker: 'NEWCO', name: 'New Co', assetClass: 'equity', priceScale: 2, sizeScale: 0, created: true }]);
    const after = await httpJson(base, '/api/symbols');
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(await symbolsOf(base)).toEqual([
      [0, 'ACME'],
      [1, 'SIMCO'],
      [2, 'NEWCO'],
    ]);

    viewer.send(controlText('subscribe', ['NEWCO', 'SIMCO'], { id: 1, history: 0 }));
    const snap = await viewer.waitFor(FrameType.Snapshot, (f) => f.ticker === 'NEWCO');
    expect(snap.frame).toMatchObject({ symbolId: 2, seq: 0 });
    const t0 = Date.now() - 5000;
    const lines = [0, 1, 2].map((i) => JSON.stringify({ ticker: 'NEWCO', price: `12.3${i}`, size: '10', ts: t0 + i, id: `n-${i}` })).join('\n');
    const posted = await httpJson(base, '/ingest', { method: 'POST', body: lines, headers: AUTH });
    expect(posted.body).toMatchObject({ accepted: 3, rejected: 0 });
    const ticks = () =>
      viewer
        .of(FrameType.Updates)
        .flatMap((f) => f.frame.ticks)
        .filter((t) => t.symbolId === 2);
    await waitFor(() => ticks().length >= 3, { what: 'three NEWCO ticks' });
    expect(ticks().map((t) => [t.seq, t.price, t.size, t.eventTimeMs])).toEqual([
      [1, 1230, 10, t0],
      [2, 1231, 10, t0 + 1],
      [3, 1232, 10, t0 + 2],
    ]);
    // The simulated symbol kept flowing on the same connection.
    await waitFor(() => viewer.of(FrameType.Updates).some((f) => f.frame.ticks.some((t) => t.symbolId === 1)), { what: 'SIMCO ticks' });

    const candles = await httpJson(base, '/api/candles?symbol=NEWCO&interval=1m');
    expect(candles.status).toBe(200);
    expect(candles.body).toMatchObject({ symbol: 'NEWCO', priceScale: 2, close: [1232] });
  });

  it('answers a repeat of the same definition with the existing id (200), and registers lists in one go', async () => {
    const again = await register(base, NEWCO);
    expect(again.status).toBe(200);
    expect(again.body.instruments).toMatchObject([{ id: 2, ticker: 'NEWCO', created: false }]);
    const list = await register(base, { instruments: [NEWCO, COIN] });
    expect(list.status).toBe(201);
    expect(list.body.instruments?.map((i) => [i.id, i.ticker, i.created])).toEqual([
      [2, 'NEWCO', false],
      [3, 'COIN-X', true],
    ]);
    // The binary door names instruments by id: the new one takes records at once.
    const posted = await httpJson(base, '/ingest', { method: 'POST', body: JSON.stringify({ ticker: 'COIN-X', price: '1.0005', size: '0.5' }), headers: AUTH });
    expect(posted.body).toMatchObject({ accepted: 1 });
  });

  it('refuses each bad registration with its own 4xx, counts it, and changes nothing', async () => {
    const symbols = await httpJson(base, '/api/symbols');
    const saved = readFileSync(SIDECAR, 'utf8');
    const cases: Array<[unknown, Record<string, string>, number, string, string]> = [
      [NEWCO, {}, 401, 'IngestAuth', 'Authorization: Bearer'],
      [NEWCO, { authorization: 'Bearer not-the-ingest-token' }, 401, 'IngestAuth', 'not a viewer token'],
      ['{"ticker":', AUTH, 400, 'BadJson', 'not JSON'],
      [{ ...NEWCO, ticker: 'BAD', priceScale: 13 }, AUTH, 400, 'BadInstrument', 'instrument (BAD): priceScale 13 must be an integer in 0..12'],
      [
        { ...NEWCO, ticker: 'HUGE', price: '50000000.5' },
        AUTH,
        400,
        'BadInstrument',
        'instrument (HUGE): price 50000000.5 does not fit the wire at priceScale 2: more than 4294967295 ticks (u32); the largest priceScale that fits is 1',
      ],
      [
        [
          { ...COIN, ticker: 'FINE' },
          { ...NEWCO, ticker: 'NOPE', bogus: 1 },
        ],
        AUTH,
        400,
        'BadInstrument',
        'instruments[1] (NOPE): unknown field "bogus"',
      ],
      [{ ...NEWCO, sizeScale: 3 }, AUTH, 409, 'InstrumentConflict', 'ticker NEWCO is already id 2 with sizeScale 0 (this definition: 3)'],
      [{ ...NEWCO, ticker: 'SIMCO', name: 'Simulated Co', price: '50.00' }, AUTH, 409, 'InstrumentConflict', 'source "sim" (this definition: "ingest")'],
    ];
    for (const [body, headers, status, name, message] of cases) {
      const refusalsBefore = await readCounter(base, 'tickwire_refusals_total', { reason: name }).catch(() => 0);
      const r = await register(base, body, headers);
      expect([r.status, r.body.error?.name], message).toEqual([status, name]);
      expect(r.body.error?.message).toContain(message);
      expect(await readCounter(base, 'tickwire_refusals_total', { reason: name }).catch(() => 0), name).toBe(refusalsBefore + 1);
    }
    const large = await register(base, JSON.stringify({ ...NEWCO, name: 'x'.repeat(300_000) }));
    expect([large.status, large.body.error?.name]).toEqual([413, 'BodyTooLarge']);
    const now = await httpJson(base, '/api/symbols');
    expect(now.text).toBe(symbols.text);
    expect(now.headers.get('etag')).toBe(symbols.headers.get('etag'));
    expect(readFileSync(SIDECAR, 'utf8')).toBe(saved);
    // A refused list registered none of its entries.
    expect((await httpJson(base, '/ingest', { method: 'POST', body: '{"ticker":"FINE","price":"1","size":"1"}', headers: AUTH })).body).toMatchObject({
      reasons: { unknown_ticker: 1 },
    });
  });

  it('keeps every id across a restart with the same files, and goes on from there', async () => {
    const ids = await symbolsOf(base);
    viewer.close();
    await server.close();
    server = await startServer(config);
    base = server.url;
    expect(await symbolsOf(base)).toEqual(ids);
    expect(ids).toEqual([
      [0, 'ACME'],
      [1, 'SIMCO'],
      [2, 'NEWCO'],
      [3, 'COIN-X'],
    ]);
    const next = await register(base, [COIN, { ...NEWCO, ticker: 'LATER' }]);
    expect(next.body.instruments?.map((i) => [i.id, i.ticker, i.created])).toEqual([
      [3, 'COIN-X', false],
      [4, 'LATER', true],
    ]);
    // A fresh client subscribes the registered instrument of the previous run by name.
    viewer = await connectWs(base);
    viewer.send(controlText('subscribe', ['NEWCO', 'LATER'], { id: 2, history: 0 }));
    await viewer.waitFor(FrameType.Ack);
    expect(viewer.of(FrameType.Error)).toEqual([]);
  });
});

describe('registration without an instrument file', () => {
  it('is refused with 409 (there is nowhere to keep the ids), and never opened by a viewer token', async () => {
    const server = await startServer({ ingestToken: TOKEN, tickRate: 100, symbols: 3, authSecret: AUTH_SECRET });
    try {
      const viewerToken = signToken(AUTH_SECRET, { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 });
      const denied = await register(server.url, NEWCO, { authorization: `Bearer ${viewerToken}` });
      expect([denied.status, denied.body.error?.name]).toEqual([401, 'IngestAuth']);
      const r = await register(server.url, NEWCO);
      expect([r.status, r.body.error?.name]).toEqual([409, 'RegistrationUnavailable']);
      expect(r.body.error?.message).toContain('--instruments FILE');
      expect((await symbolsOf(server.url)).length).toBe(3);
    } finally {
      await server.close();
    }
  });
});
