// Integration: real server on an ephemeral port, real `ws` clients: subscribe/unsubscribe semantics,
// per-symbol seq continuity, byte-identical fan-out, every bad control input answered in place, and a
// handshake without "Upgrade: websocket"/"Connection: upgrade" (a proxy that drops them) refused with 400.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '@tickwire/protocol/codes';
import { FrameType } from '@tickwire/protocol/messages';
import { connectWs, startServer, waitFor, type WsClient } from './harness.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;
const clients: WsClient[] = [];

async function client(): Promise<WsClient> {
  const c = await connectWs(server.url);
  clients.push(c);
  await c.waitFor(FrameType.Hello);
  return c;
}

beforeAll(async () => {
  // A fast feed so every symbol ticks many times within a test.
  server = await startServer({ tickRate: 5000, batchMs: 10, heartbeatMs: 200, maxSymbolsPerConnection: 5 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

describe('WebSocket fan-out', () => {
  it('greets with Hello naming the limits and the feed epoch', async () => {
    const c = await client();
    const hello = c.of(FrameType.Hello)[0]!.frame;
    expect(hello.maxSymbols).toBe(5);
    expect(hello.heartbeatMs).toBe(200);
    expect(hello.epoch).toBe(server.epoch);
    expect(hello.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('sends a snapshot then updates whose seq rises by exactly one per symbol', async () => {
    const c = await client();
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'EURUSD'], id: 11, history: 50 }));
    const ack = await c.waitFor(FrameType.Ack, (f) => f.requestId === 11);
    expect(ack.frame.symbolIds).toHaveLength(2);
    const snapshots = c.of(FrameType.Snapshot);
    expect(snapshots.map((s) => s.frame.ticker).sort()).toEqual(['AAPL', 'EURUSD']);
    const aapl = snapshots.find((s) => s.frame.ticker === 'AAPL')!.frame;
    expect(aapl.priceScale).toBe(2);
    expect(aapl.bid).toBeLessThan(aapl.ask);
    expect(aapl.candles.map((s) => s.intervalSec)).toEqual([1, 5, 60, 300]);
    expect(aapl.candles[0]!.candles.length).toBeGreaterThan(0);
    expect(aapl.candles[0]!.candles.length).toBeLessThanOrEqual(50);
    await waitFor(
      () =>
        c
          .of(FrameType.Updates)
          .flatMap((u) => u.frame.ticks)
          .filter((t) => t.symbolId === aapl.symbolId).length >= 20,
      {
        what: '20 AAPL ticks',
      },
    );
    for (const snap of snapshots) {
      let expected = snap.frame.seq + 1;
      const frameIndex = c.frames.indexOf(snap);
      for (const r of c.frames.slice(frameIndex + 1)) {
        if (r.frame.type !== FrameType.Updates) continue;
        for (const t of r.frame.ticks) {
          if (t.symbolId !== snap.frame.symbolId) continue;
          expect(t.seq).toBe(expected);
          expected++;
        }
      }
    }
    // Every Updates frame carries one symbol, the feed epoch, and a send time not before its ticks.
    for (const u of c.of(FrameType.Updates)) {
      expect(new Set(u.frame.ticks.map((t) => t.symbolId)).size).toBe(1);
      expect(u.frame.epoch).toBe(server.epoch);
      expect(u.frame.sendTimeMs).toBeGreaterThanOrEqual(Math.max(...u.frame.ticks.map((t) => t.eventTimeMs)));
    }
    expect(c.decodeErrors).toEqual([]);
  });

  it('heartbeats carry the latest seq of each subscribed symbol', async () => {
    const c = await client();
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['MSFT'], history: 0 }));
    const snap = await c.waitFor(FrameType.Snapshot);
    const hb = await c.waitFor(FrameType.Heartbeat, (f) => f.symbols.length === 1);
    const entry = hb.frame.symbols[0]!;
    expect(entry.symbolId).toBe(snap.frame.symbolId);
    const before = c.frames.slice(0, c.frames.indexOf(hb));
    const lastSeen = Math.max(snap.frame.seq, ...before.flatMap((r) => (r.frame.type === FrameType.Updates ? r.frame.ticks.map((t) => t.seq) : [])));
    expect(entry.seq).toBe(lastSeen);
  });

  it('stops updates for a symbol once the unsubscribe is acknowledged', async () => {
    const c = await client();
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT'], id: 1, history: 0 }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 1);
    const aaplId = c.of(FrameType.Snapshot).find((s) => s.frame.ticker === 'AAPL')!.frame.symbolId;
    c.send(JSON.stringify({ op: 'unsubscribe', symbols: ['AAPL'], id: 2 }));
    const ack = await c.waitFor(FrameType.Ack, (f) => f.requestId === 2);
    expect(ack.frame.symbolIds).toEqual([aaplId]);
    const after = c.frames.length;
    await waitFor(() => c.frames.slice(after).filter((r) => r.frame.type === FrameType.Updates).length >= 10, { what: 'MSFT updates' });
    const late = c.frames.slice(c.frames.indexOf(ack) + 1).filter((r) => r.frame.type === FrameType.Updates);
    expect(late.flatMap((r) => (r.frame.type === FrameType.Updates ? r.frame.ticks : [])).some((t) => t.symbolId === aaplId)).toBe(false);
  });

  it('delivers byte-identical frames to two clients on the same symbol', async () => {
    const a = await client();
    const b = await client();
    a.send(JSON.stringify({ op: 'subscribe', symbols: ['NVDA'], history: 0 }));
    b.send(JSON.stringify({ op: 'subscribe', symbols: ['NVDA'], history: 0 }));
    await a.waitFor(FrameType.Snapshot);
    await b.waitFor(FrameType.Snapshot);
    await waitFor(() => a.of(FrameType.Updates).length >= 10 && b.of(FrameType.Updates).length >= 10, { what: 'updates on both' });
    const key = (r: { frame: { ticks: { seq: number }[] } }) => r.frame.ticks[0]!.seq;
    const bByFirstSeq = new Map(b.of(FrameType.Updates).map((r) => [key(r), r.bytes]));
    let compared = 0;
    for (const r of a.of(FrameType.Updates)) {
      const other = bByFirstSeq.get(key(r));
      if (!other) continue;
      expect(Buffer.from(other).equals(Buffer.from(r.bytes))).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
  });

  it('re-subscribing a held symbol sends a fresh snapshot that continues the stream', async () => {
    const c = await client();
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['TSLA'], history: 0, id: 5 }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 5);
    await waitFor(() => c.of(FrameType.Updates).length >= 3, { what: 'updates' });
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['TSLA'], history: 0, id: 6 }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 6);
    const second = c.of(FrameType.Snapshot)[1]!;
    const prior = c.frames.slice(0, c.frames.indexOf(second)).flatMap((r) => (r.frame.type === FrameType.Updates ? r.frame.ticks : []));
    expect(second.frame.seq).toBe(prior.at(-1)!.seq);
  });

  describe('bad input gets a clear error and the connection stays open', () => {
    const cases: Array<[string, string | Buffer, number, RegExp]> = [
      ['malformed JSON', '{"op":"subscribe",', ErrorCode.BadJson, /not valid JSON/],
      ['a JSON array', '[1,2]', ErrorCode.BadMessage, /JSON object/],
      ['an unknown op', '{"op":"explode","symbols":[]}', ErrorCode.UnknownOp, /unknown op "explode"/],
      ['symbols of the wrong type', '{"op":"subscribe","symbols":"AAPL"}', ErrorCode.BadMessage, /must be an array/],
      ['a non-ticker entry', '{"op":"subscribe","symbols":[42]}', ErrorCode.BadMessage, /number is not a ticker/],
      ['an unknown symbol', '{"op":"subscribe","symbols":["AAPL","NOPE"],"id":9}', ErrorCode.UnknownSymbol, /unknown symbol: NOPE/],
      ['too many symbols', JSON.stringify({ op: 'subscribe', symbols: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'] }), ErrorCode.TooManySymbols, /at most 5/],
      ['a bad request id', '{"op":"subscribe","symbols":[],"id":-1}', ErrorCode.BadMessage, /"id" must be/],
      ['a binary control frame', Buffer.from([1, 2, 3]), ErrorCode.BinaryControl, /binary frames are not accepted/],
    ];
    for (const [name, input, code, message] of cases) {
      it(name, async () => {
        const c = await client();
        c.send(input);
        const err = await c.waitFor(FrameType.Error);
        expect(err.frame.code).toBe(code);
        expect(err.frame.message).toMatch(message);
        // Still serving this connection: a valid subscribe works afterwards.
        c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], id: 77, history: 0 }));
        await c.waitFor(FrameType.Ack, (f) => f.requestId === 77);
        expect(c.ws.readyState).toBe(c.ws.OPEN);
      });
    }

    it('applies nothing from a request naming an unknown symbol', async () => {
      const c = await client();
      c.send('{"op":"subscribe","symbols":["AAPL","NOPE"],"id":3}');
      const err = await c.waitFor(FrameType.Error);
      expect(err.frame.requestId).toBe(3);
      await new Promise((r) => setTimeout(r, 100));
      expect(c.of(FrameType.Snapshot)).toHaveLength(0);
      expect(c.of(FrameType.Updates)).toHaveLength(0);
    });

    it('drops a connection sending invalid UTF-8 text (uWS fails it, RFC 6455 §8.1) and keeps serving others', async () => {
      const watcher = await client();
      watcher.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0 }));
      await watcher.waitFor(FrameType.Snapshot);
      const c = await client();
      c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      const closed = await c.closed;
      expect(closed.code).toBe(1006);
      const count = watcher.of(FrameType.Updates).length;
      await waitFor(() => watcher.of(FrameType.Updates).length > count + 3, { what: 'updates after the invalid text' });
    });

    it('closes an oversized message with 1009 and keeps serving others', async () => {
      const watcher = await client();
      watcher.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0 }));
      await watcher.waitFor(FrameType.Snapshot);
      const c = await client();
      c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], pad: 'x'.repeat(20_000) }));
      const closed = await c.closed;
      expect(closed.code).toBe(CloseCode.MessageTooBig);
      expect(closed.reason).toMatch(/exceeds 16384/);
      const count = watcher.of(FrameType.Updates).length;
      await waitFor(() => watcher.of(FrameType.Updates).length > count + 3, { what: 'updates after the oversized message' });
    });
  });
});

/** Sends a raw handshake to /ws with `headers` and resolves with the status line and the body (waiting up to 5 s). */
function rawHandshake(headers: string): Promise<{ status: string; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port }, () => {
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n${headers}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let text = '';
    const done = () => {
      socket.destroy();
      resolve({ status: text.split('\r\n')[0] ?? '', text });
    };
    socket.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.startsWith('HTTP/1.1 101') || /\r\n\r\n[\s\S]*\}$/.test(text)) done();
    });
    socket.setTimeout(5000, done);
    socket.on('error', reject);
  });
}

describe('WebSocket handshake (RFC 6455 §4.2.1)', () => {
  it('refuses a handshake whose Upgrade and Connection headers a proxy dropped, with 400 and the reason', async () => {
    for (const headers of ['', 'Connection: close\r\n', 'Upgrade: websocket\r\n', 'Connection: upgrade\r\n']) {
      const answer = await rawHandshake(headers);
      expect(answer.status, JSON.stringify(headers)).toBe('HTTP/1.1 400 Bad Request');
      expect(answer.text).toContain('"name":"NotAWebSocketHandshake"');
    }
  });

  it('accepts the headers in any case and Connection with several tokens', async () => {
    for (const headers of ['Upgrade: websocket\r\nConnection: Upgrade\r\n', 'Upgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\n']) {
      expect((await rawHandshake(headers)).status, JSON.stringify(headers)).toBe('HTTP/1.1 101 Switching Protocols');
    }
  });
});
