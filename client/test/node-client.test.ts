// connect() in Node 20 against a real server on an ephemeral port: over `ws` it goes live with decoded
// snapshots and ticks; with WebSocket failing it falls back to SSE (the fetch-based reader) and keeps
// updating; and the browser bundle the server serves at /client/tickwire-client.js (static headers,
// ETag revalidation) is a working ES module with the same API. With `compact: true` every transport
// carries compact Updates (type 7) and the ticks stay exact and continuous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Route } from '@tickwire/protocol/routes';
import { numberToTicks } from '@tickwire/protocol/units';
import { readCounter, startServer, waitFor } from '@tickwire/server/test/harness';
import type { TickwireServer } from '@tickwire/server/server';
import { connect, type ConnectionStatus, type PriceTick, type SnapshotEvent, type TickwireClient, type WebSocketConstructor } from '../src/index.js';

let server: TickwireServer;
let baseUrl: string;

beforeAll(async () => {
  server = await startServer({ tickRate: 2000, symbols: 20 });
  baseUrl = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

/** A WebSocket that can never connect (what a proxy that strips Upgrade looks like to the client). */
class BlockedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url.replace(/:\d+\//, ':9/'));
  }
}

function watch(c: TickwireClient) {
  const snapshots: SnapshotEvent[] = [];
  const ticks: PriceTick[] = [];
  const statuses: ConnectionStatus[] = [];
  c.on('snapshot', (s) => snapshots.push(s));
  c.on('ticks', (batch) => ticks.push(...batch));
  c.on('status', (s) => statuses.push(s));
  return { snapshots, ticks, statuses };
}

describe('connect() in Node', () => {
  it('goes live over ws with decoded snapshots and ticks in the instrument units', async () => {
    const c = connect(baseUrl, { WebSocket, symbols: ['AAPL'] });
    try {
      const seen = watch(c);
      c.subscribe(['MSFT'], { history: 5 });
      await waitFor(() => seen.snapshots.length >= 2 && seen.ticks.length >= 5, { timeoutMs: 8000, what: 'snapshots and ticks' });
      expect(c.status).toMatchObject({ state: 'live', transport: 'ws' });
      expect(seen.snapshots.map((s) => s.ticker).sort()).toEqual(['AAPL', 'MSFT']);
      for (const s of seen.snapshots) {
        expect(s.last).toBeGreaterThan(0);
        // The decoded price is the wire integer in the instrument's decimals.
        expect(numberToTicks(s.last, s.priceScale)).toBe(s.raw.last);
      }
      const aapl = seen.snapshots.find((s) => s.ticker === 'AAPL')!;
      const ticks = seen.ticks.filter((t) => t.ticker === 'AAPL');
      expect(ticks.length).toBeGreaterThan(0);
      // Seqs continue from the snapshot without holes: the client applies in order.
      const seqs = ticks.map((t) => t.seq);
      expect(seqs[0]).toBe(aapl.seq + 1);
      expect(seqs.every((s, i) => i === 0 || s === (seqs[i - 1] as number) + 1)).toBe(true);
      expect(ticks[0]!.price).toBeGreaterThan(aapl.last * 0.5);
      expect(ticks[0]!.price).toBeLessThan(aapl.last * 1.5);
      expect(c.counters.gaps).toBe(0);
    } finally {
      c.close();
    }
  });

  it('falls back to SSE through the fetch reader when WebSocket cannot connect, and keeps updating', async () => {
    const c = connect(baseUrl, { WebSocket: BlockedWebSocket as WebSocketConstructor, symbols: ['AAPL'] });
    try {
      const seen = watch(c);
      await waitFor(() => seen.ticks.length >= 5, { timeoutMs: 10_000, what: 'ticks over the fallback' });
      expect(c.status).toMatchObject({ state: 'fallback', transport: 'sse' });
      expect(seen.statuses.some((s) => s.transport === 'ws')).toBe(true);
      expect(seen.snapshots.map((s) => s.ticker)).toEqual(['AAPL']);
    } finally {
      c.close();
    }
  });
});

describe('the served browser bundle', () => {
  it('is served like a static file (JS, nosniff, ETag, revalidation) and runs in Node with ws', async () => {
    const url = new URL(Route.clientBundle, baseUrl);
    const response = await fetch(url);
    const body = await response.text();
    expect(response.status, 'run "npm run build" first: the bundle is built by build:client').toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(body.length).toBeGreaterThan(1000);
    const again = await fetch(url, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);

    const bundle = (await import(`data:text/javascript;base64,${Buffer.from(body).toString('base64')}`)) as typeof import('../src/index.js');
    expect(typeof bundle.connect).toBe('function');
    const c = bundle.connect(baseUrl, { WebSocket, symbols: ['AAPL'] });
    try {
      const snapshots: string[] = [];
      c.on('snapshot', (s) => snapshots.push(s.ticker));
      await waitFor(() => snapshots.length > 0, { timeoutMs: 8000, what: 'a snapshot through the bundle' });
      expect(snapshots).toEqual(['AAPL']);
    } finally {
      c.close();
    }
  });
});

describe('connect() with compact: true', () => {
  // Server metric label per client transport: long polling is counted as 'poll'.
  const label = { ws: 'ws', sse: 'sse', stream: 'stream', longpoll: 'poll' } as const;
  for (const transport of ['ws', 'sse', 'stream', 'longpoll'] as const) {
    it(`takes compact Updates over ${transport} and applies continuous ticks`, async () => {
      const before = await readCounter(baseUrl, 'tickwire_frames_sent_total', { transport: label[transport], type: '7' });
      const c = connect(baseUrl, { WebSocket, transports: transport, symbols: ['AAPL', 'EURUSD'], history: 0, compact: true });
      try {
        const seen = watch(c);
        await waitFor(() => seen.snapshots.length >= 2 && seen.ticks.length >= 20, { timeoutMs: 10_000, what: `compact ticks over ${transport}` });
        expect(c.status).toMatchObject({ state: 'live', transport });
        for (const snap of seen.snapshots) {
          const seqs = seen.ticks.filter((t) => t.ticker === snap.ticker).map((t) => t.seq);
          seqs.forEach((seq, i) => expect(seq).toBe(snap.seq + 1 + i));
        }
        for (const t of seen.ticks) {
          expect(t.price).toBeGreaterThan(0);
          expect(t.bid).toBeLessThanOrEqual(t.ask);
          expect(Math.abs(t.timeMs - t.sendTimeMs)).toBeLessThan(60_000);
        }
        expect(await readCounter(baseUrl, 'tickwire_frames_sent_total', { transport: label[transport], type: '7' })).toBeGreaterThan(before);
      } finally {
        c.close();
      }
    });
  }
});
