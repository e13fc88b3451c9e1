// Hostile clients of the HTTP streams' control endpoints (POST /sse/control, /stream/control): a foreign
// page's CSRF POST, a missing or wrong content type, a session id replayed from a URL, another token
// subject steering someone's stream, a body smuggling a request. Each is refused with a JSON error and
// leaves the victim's stream untouched; the legitimate owner still steers it. Also the WebSocket's
// frame-level guards (binary frames against the rate limit, invalid UTF-8 → 1007).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '@tickwire/protocol/codes';
import { FrameType, type Frame } from '@tickwire/protocol/messages';
import { signToken } from '../../src/auth.js';
import type { TickwireServer } from '../../src/server.js';
import { connectSse, connectStream, postControl, startServer, waitFor, type FrameLog } from '../harness.js';
import { openWs, rawExchange, rawGet, rawPost } from './raw-http.js';

const SUBSCRIBE_MSFT = '{"op":"subscribe","symbols":["MSFT"],"id":7,"history":0}';

type Path = '/sse/control' | '/stream/control';
const ENDPOINTS: Array<[Path, (url: string, q: string) => Promise<FrameLog & { close(): void }>]> = [
  ['/sse/control', (url, q) => connectSse(url, `/sse${q}`)],
  ['/stream/control', (url, q) => connectStream(url, `/stream${q}`)],
];

/** True when the stream got anything for request 7 or any MSFT snapshot: the refused POST was applied. */
function applied(log: FrameLog): boolean {
  return log.frames.some(
    ({ frame }) => (frame.type === FrameType.Ack && frame.requestId === 7) || (frame.type === FrameType.Snapshot && frame.ticker === 'MSFT'),
  );
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

describe.each(ENDPOINTS)('%s without auth', (path, open) => {
  let server: TickwireServer;
  let port: number;
  beforeAll(async () => {
    server = await startServer();
    port = server.port;
  });
  afterAll(() => server.close());

  async function victim() {
    const log = await open(server.url, '?symbols=AAPL&history=0');
    const hello = (await log.waitFor(FrameType.Hello)).frame;
    return { log, session: hello.sessionId };
  }

  it('refuses a foreign-origin text/plain POST (CSRF) with 403 and applies nothing', async () => {
    const { log, session } = await victim();
    // What a form or fetch(no-cors) on https://evil.test can send without a preflight.
    const headers = { Origin: 'https://evil.test', 'Content-Type': 'text/plain', 'X-Tickwire-Session': session };
    const { responses } = await rawExchange(port, rawPost(port, path, headers, SUBSCRIBE_MSFT));
    expect(responses[0]?.status).toBe(403);
    expect(JSON.parse(responses[0]!.body)).toEqual({ error: { name: 'OriginNotAllowed', message: expect.any(String) } });
    await settle();
    expect(applied(log)).toBe(false);
    log.close();
  });

  it('answers 415 to a POST without Content-Type or with text/plain, even from no origin', async () => {
    const { log, session } = await victim();
    for (const type of [null, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const headers: Record<string, string> = { 'X-Tickwire-Session': session };
      if (type !== null) headers['Content-Type'] = type;
      const { responses } = await rawExchange(port, rawPost(port, path, headers, SUBSCRIBE_MSFT));
      expect(responses[0]?.status, `content type ${type}`).toBe(415);
      expect(JSON.parse(responses[0]!.body).error.name).toBe('UnsupportedMediaType');
    }
    await settle();
    expect(applied(log)).toBe(false);
    log.close();
  });

  it('refuses a session id in the URL (replayed from a log) and an unknown one', async () => {
    const { log, session } = await victim();
    const inUrl = await rawExchange(port, rawPost(port, `${path}?session=${session}`, { 'Content-Type': 'application/json' }, SUBSCRIBE_MSFT));
    expect(inUrl.responses[0]?.status).toBe(400);
    expect(JSON.parse(inUrl.responses[0]!.body).error.name).toBe('SessionInUrl');
    const guessed = await postControl(server.url, path, `${session.slice(0, -2)}AA`, SUBSCRIBE_MSFT);
    expect(guessed.status).toBe(404);
    expect(guessed.body).toMatchObject({ error: { name: 'UnknownSession' } });
    await settle();
    expect(applied(log)).toBe(false);
    log.close();
  });

  it('does not let one transport’s session id steer the other transport', async () => {
    const { log, session } = await victim();
    const other: Path = path === '/sse/control' ? '/stream/control' : '/sse/control';
    expect((await postControl(server.url, other, session, SUBSCRIBE_MSFT)).status).toBe(404);
    await settle();
    expect(applied(log)).toBe(false);
    log.close();
  });

  it('does not run a refused POST’s body as a pipelined request', async () => {
    const { log, session } = await victim();
    // The body is a complete request: were it parsed as one, a second answer would come back.
    const smuggled = rawGet(port, '/healthz');
    const bytes = rawPost(port, path, { 'Content-Type': 'text/plain', 'X-Tickwire-Session': session }, smuggled) + rawGet(port, '/api/symbols');
    const { responses } = await rawExchange(port, bytes, 3, 1500);
    expect(responses.map((r) => r.status)).toEqual([415, 200]);
    expect(responses[1]!.body).toContain('"symbols"');
    log.close();
  });

  it('still applies the owner’s JSON control POST', async () => {
    const { log, session } = await victim();
    const ok = await postControl(server.url, path, session, SUBSCRIBE_MSFT, { Origin: server.url });
    expect(ok.status).toBe(200);
    await log.waitFor(FrameType.Ack, (f) => f.requestId === 7);
    await log.waitFor(FrameType.Snapshot, (f) => f.ticker === 'MSFT');
    log.close();
  });
});

describe.each(ENDPOINTS)('%s with --auth-secret', (path, open) => {
  const secret = 'control-test-secret-0123456789';
  const token = (sub: string) => signToken(secret, { sub, exp: Math.floor(Date.now() / 1000) + 600 });
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ authSecret: secret });
  });
  afterAll(() => server.close());

  it('binds the stream to its token subject: no token 401, another subject 403, the owner 200', async () => {
    const log = await open(server.url, `?symbols=AAPL&history=0&token=${token('alice')}`);
    const session = (await log.waitFor(FrameType.Hello)).frame.sessionId;
    const none = await postControl(server.url, path, session, SUBSCRIBE_MSFT);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { name: 'TokenMissing' } });
    const forged = await postControl(server.url, path, session, SUBSCRIBE_MSFT, { Authorization: `Bearer ${token('alice').slice(0, -3)}xyz` });
    expect(forged.status).toBe(401);
    const mallory = await postControl(server.url, path, session, SUBSCRIBE_MSFT, { Authorization: `Bearer ${token('mallory')}` });
    expect(mallory.status).toBe(403);
    expect(mallory.body).toMatchObject({ error: { name: 'NotSessionOwner' } });
    await settle();
    expect(applied(log)).toBe(false);
    const alice = await postControl(server.url, path, session, SUBSCRIBE_MSFT, { Authorization: `Bearer ${token('alice')}` });
    expect(alice.status).toBe(200);
    await log.waitFor(FrameType.Ack, (f) => f.requestId === 7);
    log.close();
  });
});

describe('WebSocket frame guards', () => {
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('counts binary frames against the control rate limit: a flood gets BinaryControl, then RateLimited', async () => {
    const c = await openWs(server.url);
    if (typeof c === 'number') throw new Error(`upgrade refused with ${c}`);
    await waitFor(() => c.frames.some((f) => f.type === FrameType.Hello), { what: 'hello' });
    for (let i = 0; i < 40; i++) c.ws.send(Buffer.from(`{"op":"subscribe","symbols":["AAPL"],"id":${i}}`), { binary: true });
    const errors = () => c.frames.filter((f): f is Extract<Frame, { type: typeof FrameType.Error }> => f.type === FrameType.Error);
    await waitFor(() => errors().length === 40, { what: '40 errors' });
    const codes = errors().map((e) => e.code);
    // The burst is 20 with a refill of 10/s: the sending loop takes well under the second a refill needs.
    expect(codes.filter((x) => x === ErrorCode.BinaryControl).length).toBeGreaterThanOrEqual(20);
    expect(codes.filter((x) => x === ErrorCode.RateLimited).length).toBeGreaterThanOrEqual(10);
    // Rate-limited: a text subscribe right after is refused too (the budget is shared with text frames).
    c.ws.send('{"op":"subscribe","symbols":["AAPL"],"id":99}');
    await waitFor(() => errors().some((e) => e.requestId === 99 && e.code === ErrorCode.RateLimited), { what: 'text message limited' });
    c.ws.close();
  });

  it('cuts a connection whose text frame is not UTF-8 (uWS itself: 1006, before our handler) and keeps serving', async () => {
    const c = await openWs(server.url);
    if (typeof c === 'number') throw new Error(`upgrade refused with ${c}`);
    await waitFor(() => c.frames.some((f) => f.type === FrameType.Hello), { what: 'hello' });
    // ws sends a Buffer given with binary: false as a text frame without validating it.
    c.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    const closed = await Promise.race([c.closed, settle(3000).then(() => null)]);
    // uWS v20.30 validates text frames and drops the connection without a close frame, so the server's
    // 1007 (CloseCode.InvalidPayload, in ws.ts) cannot be sent. Should this turn into 1007, uWS now hands
    // such frames over: update docs/security.md and docs/protocol.md.
    expect(closed?.code).toBe(1006);
    expect(closed?.code).not.toBe(CloseCode.InvalidPayload);
    const next = await openWs(server.url);
    if (typeof next === 'number') throw new Error(`upgrade refused with ${next}`);
    await waitFor(() => next.frames.some((f) => f.type === FrameType.Hello), { what: 'hello after the cut' });
    next.ws.close();
  });
});
