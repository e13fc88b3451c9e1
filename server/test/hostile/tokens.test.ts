// Tokens on open connections: a WebSocket, SSE stream, binary stream or held long poll outlives its
// token by at most ~1 s (WebSocket: close 4001; streams end; the poll is answered), a reconnect with the
// same token is refused with TokenExpired, and tokens expiring beyond --max-token-lifetime are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@tickwire/protocol/codes';
import { FrameType } from '@tickwire/protocol/messages';
import { TOKEN_CLOCK_SKEW_SEC, signToken } from '../../src/auth.js';
import type { TickwireServer } from '../../src/server.js';
import { connectSse, connectStream, startServer, waitFor } from '../harness.js';
import { openWs } from './raw-http.js';

const secret = 'token-expiry-test-secret-0123';
const LIFETIME_CAP_SEC = 120;

describe('token expiry and lifetime cap', () => {
  let server: TickwireServer;
  beforeAll(async () => {
    // One tick per second over 50 symbols: a long poll is held for seconds, so its answer time is the token's doing.
    server = await startServer({ authSecret: secret, maxTokenLifetimeSec: LIFETIME_CAP_SEC, pollWaitMs: 20_000, tickRate: 1 });
  });
  afterAll(() => server.close());

  it('ends every kind of open connection within ~1 s of exp (WebSocket with 4001) and refuses the token afterwards', async () => {
    // Whole seconds on the wire: at least 2 s ahead, so every connection is open well before.
    const exp = Math.floor(Date.now() / 1000) + 3;
    const expMs = exp * 1000;
    const token = signToken(secret, { sub: 'alice', exp });

    const ws = await openWs(server.url, `?token=${token}`);
    if (typeof ws === 'number') throw new Error(`upgrade refused with ${ws}`);
    const sse = await connectSse(server.url, `/sse?symbols=AAPL&history=0&token=${token}`);
    const stream = await connectStream(server.url, `/stream?symbols=AAPL&history=0&token=${token}`);
    await sse.waitFor(FrameType.Hello);
    await stream.waitFor(FrameType.Hello);
    const sseEnd = sse.ended.then(() => Date.now());
    const streamEnd = stream.ended.then(() => Date.now());
    // A long poll on a symbol held at its current seq: nothing to answer until the wait or the token ends.
    const first = await fetch(`${server.url}/poll?symbols=AAPL&history=0&token=${token}`);
    const cursor = first.headers.get('x-tickwire-cursor');
    expect(first.status).toBe(200);
    expect(cursor).toBeTruthy();
    // Re-issued if a rare AAPL tick answers it early; the last held poll must be answered at the expiry.
    const poll = (async () => {
      let c = cursor!;
      let lastAnsweredMs = 0;
      for (let i = 0; i < 20 && Date.now() < expMs + 2000; i++) {
        const r = await fetch(`${server.url}/poll?symbols=AAPL&history=0&wait=20000&cursor=${encodeURIComponent(c)}&token=${token}`);
        await r.arrayBuffer();
        if (r.status !== 200) return { status: r.status, lastAnsweredMs };
        lastAnsweredMs = Date.now();
        c = r.headers.get('x-tickwire-cursor') ?? c;
      }
      return { status: 0, lastAnsweredMs };
    })();

    const wsClose = await ws.closed;
    expect(wsClose.code).toBe(CloseCode.TokenExpired);
    expect(wsClose.reason).toBe('token expired');
    // The held poll (wait 20 s) was answered at the expiry, not kept past it; the next one is refused.
    const refused = await poll;
    expect(refused.status).toBe(401);
    const ends = { ws: wsClose.atMs, sse: await sseEnd, stream: await streamEnd, lastPoll: refused.lastAnsweredMs };
    for (const [what, at] of Object.entries(ends)) {
      expect(at, `${what} ended ${at - expMs} ms after exp`).toBeGreaterThanOrEqual(expMs - 50);
      expect(at, `${what} ended ${at - expMs} ms after exp`).toBeLessThanOrEqual(expMs + 1000);
    }

    expect(await openWs(server.url, `?token=${token}`)).toBe(401);
    await expect(connectSse(server.url, `/sse?token=${token}`)).rejects.toMatchObject({ status: 401, body: expect.stringContaining('TokenExpired') });
  });

  it('keeps a connection whose token is still valid', async () => {
    const token = signToken(secret, { sub: 'bob', exp: Math.floor(Date.now() / 1000) + 60 });
    const ws = await openWs(server.url, `?token=${token}`);
    if (typeof ws === 'number') throw new Error(`upgrade refused with ${ws}`);
    await waitFor(() => ws.frames.some((f) => f.type === FrameType.Heartbeat), { what: 'a heartbeat', timeoutMs: 5000 });
    const early = await Promise.race([ws.closed, new Promise((r) => setTimeout(() => r(null), 1500))]);
    expect(early).toBeNull();
    ws.ws.close();
  });

  it('refuses tokens that expire further ahead than --max-token-lifetime (plus the clock-skew slack)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const within = signToken(secret, { sub: 'a', exp: now + LIFETIME_CAP_SEC });
    const skewed = signToken(secret, { sub: 'a', exp: now + LIFETIME_CAP_SEC + TOKEN_CLOCK_SKEW_SEC - 5 });
    const tooLong = signToken(secret, { sub: 'a', exp: now + LIFETIME_CAP_SEC + TOKEN_CLOCK_SKEW_SEC + 30 });
    const year = signToken(secret, { sub: 'a', exp: now + 365 * 86_400 });
    for (const ok of [within, skewed]) {
      const ws = await openWs(server.url, `?token=${ok}`);
      expect(typeof ws).not.toBe('number');
      if (typeof ws !== 'number') ws.ws.close();
    }
    for (const bad of [tooLong, year]) {
      expect(await openWs(server.url, `?token=${bad}`)).toBe(401);
      await expect(connectSse(server.url, `/sse?token=${bad}`)).rejects.toMatchObject({ status: 401, body: expect.stringContaining('TokenLifetimeTooLong') });
      expect((await fetch(`${server.url}/poll?symbols=AAPL&token=${bad}`)).status).toBe(401);
    }
  });
});
