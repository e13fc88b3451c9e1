// Admission: Origin allow-list, connection caps (total and per address) and the control-message rate
// limit, over WebSocket and HTTP streams; refusals carry statuses a client can act on.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@tickwire/protocol/codes';
import { FrameType } from '@tickwire/protocol/messages';
import { RateLimiter } from '../src/admission.js';
import { signToken, verifyToken } from '../src/auth.js';
import { connectSse, connectWs, startServer, type WsClient } from './harness.js';
import type { TickwireServer } from '../src/server.js';

/** Attempts an upgrade with given headers; resolves with "open" or the HTTP status of the refusal. */
function tryUpgrade(url: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => {});
  });
}

describe('origin allow-list', () => {
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ allowedOrigins: ['https://trader.example'] });
  });
  afterAll(() => server.close());

  it.each([
    [{}, 'open'],
    // Other localhost ports are not trusted unless --dev-origins (server/test/hostile/origin.test.ts).
    [{ Origin: 'http://localhost:5173' }, 403],
    [{ Origin: 'http://127.0.0.1:8080' }, 403],
    [{ Origin: 'https://trader.example' }, 'open'],
    [{ Origin: 'https://trader.example.evil.test' }, 403],
    [{ Origin: 'https://evil.test' }, 403],
    [{ Origin: 'null' }, 403],
    [{ Origin: 'http://localhost.evil.test' }, 403],
  ] as const)('WebSocket upgrade with %j → %s', async (headers, expected) => {
    expect(await tryUpgrade(server.url, headers)).toBe(expected);
  });

  it('accepts the server’s own origin', async () => {
    const host = new URL(server.url).host;
    expect(await tryUpgrade(server.url, { Origin: `http://${host}` })).toBe('open');
  });

  it('refuses a foreign origin on SSE with 403 before the stream starts', async () => {
    await expect(connectSse(server.url, '/sse?symbols=AAPL', { Origin: 'https://evil.test' })).rejects.toMatchObject({ status: 403 });
  });
});

describe('connection caps', () => {
  let server: TickwireServer;
  const held: Array<{ close(): void }> = [];
  beforeAll(async () => {
    server = await startServer({ maxConnections: 4, maxConnectionsPerIp: 3, testHooks: true });
  });
  afterAll(async () => {
    for (const c of held) c.close();
    await server.close();
  });

  it('refuses past the per-address cap with 429, counting WebSockets and streams together, and frees slots on close', async () => {
    held.push(await connectWs(server.url), await connectWs(server.url));
    held.push(await connectSse(server.url, '/sse'));
    expect(await tryUpgrade(server.url, {})).toBe(429);
    await expect(connectSse(server.url, '/sse')).rejects.toMatchObject({ status: 429 });
    held.shift()!.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(await tryUpgrade(server.url, {})).toBe('open');
  });

  it('counts held long polls against the per-address cap and refuses polls past it with 429', async () => {
    for (const c of held.splice(0)) c.close();
    await new Promise((r) => setTimeout(r, 100));
    // Feed stalled and cursor at the live seq: the polls have nothing to answer and are held for their wait.
    expect((await fetch(`${server.url}/__test/feed/stall`, { method: 'POST' })).status).toBe(200);
    const first = await fetch(`${server.url}/poll?symbols=AAPL`);
    const cursor = first.headers.get('x-tickwire-cursor')!;
    expect(cursor).toMatch(/^e/);
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const pending = controllers.map((c) => fetch(`${server.url}/poll?symbols=AAPL&cursor=${cursor}&wait=20000`, { signal: c.signal }).catch(() => null));
    try {
      await new Promise((r) => setTimeout(r, 300));
      // Three held polls fill the address's three slots: a WebSocket and a fourth poll are refused.
      expect(await tryUpgrade(server.url, {})).toBe(429);
      const refused = await fetch(`${server.url}/poll?symbols=AAPL`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { error: { name: string } }).error.name).toBe('TooManyConnections');
    } finally {
      for (const c of controllers) c.abort();
      await Promise.all(pending);
    }
    await new Promise((r) => setTimeout(r, 200));
    // Aborted polls gave their slots back.
    expect(await tryUpgrade(server.url, {})).toBe('open');
  });
});

describe('control-message rate limit', () => {
  let server: TickwireServer;
  let c: WsClient;
  beforeAll(async () => {
    server = await startServer({});
    c = await connectWs(server.url);
  });
  afterAll(async () => {
    c.close();
    await server.close();
  });

  it('answers a burst past the budget with RateLimited and keeps the connection', async () => {
    for (let i = 1; i <= 40; i++) c.send(JSON.stringify({ op: 'unsubscribe', symbols: ['AAPL'], id: i }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 20);
    const limited = await c.waitFor(FrameType.Error, (f) => f.code === ErrorCode.RateLimited);
    expect(limited.frame.message).toMatch(/control messages/);
    await new Promise((r) => setTimeout(r, 300));
    const acks = c.of(FrameType.Ack).length;
    expect(acks).toBeGreaterThanOrEqual(20);
    expect(acks).toBeLessThan(40);
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], id: 99, history: 0 }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 99);
  });

  it('refills over time', () => {
    const limiter = new RateLimiter(2, 10, 0);
    expect([limiter.take(0), limiter.take(0), limiter.take(0)]).toEqual([true, true, false]);
    expect(limiter.take(100)).toBe(true);
    expect(limiter.take(100)).toBe(false);
  });
});

describe('token authentication', () => {
  const secret = 'correct horse battery staple';
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ authSecret: secret });
  });
  afterAll(() => server.close());
  const future = () => Math.floor(Date.now() / 1000) + 60;

  it('verifies signature and expiry', () => {
    const token = signToken(secret, { sub: 'alice', exp: future() });
    expect(verifyToken(secret, token, Date.now())).toEqual({ ok: true, claims: { sub: 'alice', exp: expect.any(Number) } });
    expect(verifyToken('another secret of length', token, Date.now())).toMatchObject({ ok: false, name: 'TokenInvalid' });
    expect(verifyToken(secret, signToken(secret, { sub: 'a', exp: 1 }), Date.now())).toMatchObject({ ok: false, name: 'TokenExpired' });
    const [payload, sig] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ sub: 'mallory', exp: future() })).toString('base64url');
    expect(verifyToken(secret, `${forged}.${sig}`, Date.now())).toMatchObject({ ok: false, name: 'TokenInvalid' });
    expect(verifyToken(secret, `${payload}.${sig}x`, Date.now())).toMatchObject({ ok: false, name: 'TokenInvalid' });
    for (const junk of ['', '.', 'a.b.c', 'x'.repeat(5000)]) expect(verifyToken(secret, junk, Date.now()).ok).toBe(false);
  });

  it('admits a valid token on the WebSocket upgrade (query or bearer) and refuses the rest with 401', async () => {
    const token = signToken(secret, { sub: 'alice', exp: future() });
    const url = server.url;
    expect(await tryUpgrade(url, {})).toBe(401);
    expect(await tryUpgrade(url, { Authorization: `Bearer ${token}` })).toBe('open');
    expect(await tryUpgrade(url, { Authorization: `Bearer ${token.slice(0, -2)}` })).toBe(401);
    expect(await tryUpgrade(url, { Authorization: `Bearer ${signToken(secret, { sub: 'a', exp: 1 })}` })).toBe(401);
    const viaQuery = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${token}`);
    await new Promise((resolve, reject) => {
      viaQuery.once('open', resolve);
      viaQuery.once('error', reject);
    });
    viaQuery.close();
  });

  it('guards SSE, streams and polls the same way', async () => {
    const token = signToken(secret, { sub: 'bob', exp: future() });
    await expect(connectSse(server.url, '/sse?symbols=AAPL')).rejects.toMatchObject({ status: 401, body: expect.stringContaining('TokenMissing') });
    await expect(connectSse(server.url, '/sse?symbols=AAPL&token=nope')).rejects.toMatchObject({ status: 401, body: expect.stringContaining('TokenInvalid') });
    const ok = await connectSse(server.url, `/sse?symbols=AAPL&token=${token}`);
    await ok.waitFor(FrameType.Snapshot);
    ok.close();
    expect((await fetch(`${server.url}/poll?symbols=AAPL`)).status).toBe(401);
    expect((await fetch(`${server.url}/poll?symbols=AAPL&token=${token}`)).status).toBe(200);
    // Public routes stay public.
    expect((await fetch(`${server.url}/api/symbols`)).status).toBe(200);
  });
});
