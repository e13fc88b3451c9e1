// Integration: the SSE fallback carries the WebSocket's frames byte for byte (base64), keeps snapshot-
// then-updates semantics, lets a client change subscriptions on the open stream, and answers bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCursor } from '@tickwire/protocol/cursor';
import { ErrorCode } from '@tickwire/protocol/codes';
import { FrameType } from '@tickwire/protocol/messages';
import { connectSse, connectWs, postControl, startServer, waitFor, type SseClient } from './harness.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  server = await startServer({ tickRate: 5000, batchMs: 10, heartbeatMs: 200, maxSymbolsPerConnection: 5 });
});

afterAll(async () => {
  for (const c of open) c.close();
  await server.close();
});

async function sse(query: string): Promise<SseClient> {
  const c = await connectSse(server.url, `/sse${query}`);
  open.push(c);
  return c;
}

describe('SSE fallback', () => {
  it('answers with event-stream headers, Hello, snapshots, then updates with seq +1', async () => {
    const c = await sse('?symbols=AAPL,BTCUSD&history=20');
    expect(c.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.response.headers['cache-control']).toMatch(/no-cache/);
    expect(c.response.headers['x-accel-buffering']).toBe('no');
    const hello = await c.waitFor(FrameType.Hello);
    expect(c.frames[0]).toBe(hello);
    await waitFor(() => c.of(FrameType.Updates).length >= 10, { what: 'SSE updates' });
    const snaps = c.of(FrameType.Snapshot);
    expect(snaps.map((s) => s.frame.ticker).sort()).toEqual(['AAPL', 'BTCUSD']);
    for (const snap of snaps) {
      let expected = snap.frame.seq + 1;
      for (const r of c.frames.slice(c.frames.indexOf(snap) + 1)) {
        if (r.frame.type !== FrameType.Updates) continue;
        for (const t of r.frame.ticks) if (t.symbolId === snap.frame.symbolId) expect(t.seq).toBe(expected++);
      }
    }
    expect(c.parser.retryMs).toBe(1000);
    expect(c.decodeErrors).toEqual([]);
  });

  it('puts a resume cursor in the id of every event, matching what the event delivered', async () => {
    const c = await sse('?symbols=MSFT&history=0');
    await waitFor(() => c.of(FrameType.Updates).length >= 5, { what: 'updates' });
    expect(c.events.every((e) => e.id.length > 0)).toBe(true);
    const last = c.events.at(-1)!;
    const cursor = parseCursor(last.id, 100);
    expect(cursor.ok).toBe(true);
    if (!cursor.ok) return;
    expect(cursor.value.epoch).toBe(server.epoch);
    const msftId = c.of(FrameType.Snapshot)[0]!.frame.symbolId;
    const seen = c
      .of(FrameType.Updates)
      .flatMap((u) => u.frame.ticks)
      .at(-1)!.seq;
    expect(cursor.value.seqs.get(msftId)).toBeGreaterThanOrEqual(seen);
  });

  it('carries exactly the WebSocket frames for the same symbol', async () => {
    const ws = await connectWs(server.url);
    open.push(ws);
    ws.send(JSON.stringify({ op: 'subscribe', symbols: ['NVDA'], history: 0 }));
    const c = await sse('?symbols=NVDA&history=0');
    await ws.waitFor(FrameType.Snapshot);
    await waitFor(() => c.of(FrameType.Updates).length >= 10 && ws.of(FrameType.Updates).length >= 10, { what: 'updates on both' });
    const wsByFirstSeq = new Map(ws.of(FrameType.Updates).map((r) => [r.frame.ticks[0]!.seq, r.bytes]));
    let compared = 0;
    for (const r of c.of(FrameType.Updates)) {
      const twin = wsByFirstSeq.get(r.frame.ticks[0]!.seq);
      if (!twin) continue;
      expect(Buffer.from(r.bytes).equals(Buffer.from(twin))).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
  });

  it('changes subscriptions on the open stream through /sse/control without breaking continuity', async () => {
    const c = await sse('?symbols=AAPL&history=0');
    const hello = await c.waitFor(FrameType.Hello);
    const aapl = (await c.waitFor(FrameType.Snapshot)).frame;
    const post = (body: unknown) => postControl(server.url, '/sse/control', hello.frame.sessionId, JSON.stringify(body));
    const added = await post({ op: 'subscribe', symbols: ['EURUSD'], id: 4, history: 0 });
    expect(added.status).toBe(200);
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 4);
    const eur = c.of(FrameType.Snapshot).find((s) => s.frame.ticker === 'EURUSD')!.frame;
    await waitFor(() => c.of(FrameType.Updates).some((u) => u.frame.ticks[0]!.symbolId === eur.symbolId), { what: 'EURUSD updates' });
    const removed = await post({ op: 'unsubscribe', symbols: ['EURUSD'], id: 5 });
    expect(removed.status).toBe(200);
    const ack = await c.waitFor(FrameType.Ack, (f) => f.requestId === 5);
    const mark = c.frames.length;
    await waitFor(() => c.frames.slice(mark).filter((r) => r.frame.type === FrameType.Updates).length >= 5, { what: 'AAPL updates' });
    const after = c.frames.slice(c.frames.indexOf(ack) + 1).flatMap((r) => (r.frame.type === FrameType.Updates ? r.frame.ticks : []));
    expect(after.some((t) => t.symbolId === eur.symbolId)).toBe(false);
    // AAPL never skipped a seq while the subscription set changed around it.
    const aaplSeqs = c
      .of(FrameType.Updates)
      .flatMap((u) => u.frame.ticks)
      .filter((t) => t.symbolId === aapl.symbolId)
      .map((t) => t.seq);
    aaplSeqs.forEach((seq, i) => expect(seq).toBe(aapl.seq + 1 + i));
  });

  it('sends heartbeat frames with the subscribed seqs', async () => {
    const c = await sse('?symbols=ETHUSD&history=0');
    const hb = await c.waitFor(FrameType.Heartbeat, (f) => f.symbols.length === 1);
    expect(hb.frame.symbols[0]!.symbolId).toBe(c.of(FrameType.Snapshot)[0]!.frame.symbolId);
  });

  describe('bad input', () => {
    it('refuses unknown symbols with 404 before the stream starts', async () => {
      await expect(connectSse(server.url, '/sse?symbols=AAPL,NOPE')).rejects.toMatchObject({ status: 404, body: expect.stringContaining('NOPE') });
    });
    it('refuses a malformed ticker and a bad history', async () => {
      await expect(connectSse(server.url, '/sse?symbols=aa%20pl')).rejects.toMatchObject({ status: 404 });
      await expect(connectSse(server.url, '/sse?symbols=AAPL&history=-1')).rejects.toMatchObject({ status: 400 });
    });
    it('refuses more symbols than the limit', async () => {
      await expect(connectSse(server.url, '/sse?symbols=AAPL,MSFT,NVDA,TSLA,AMZN,EURUSD')).rejects.toMatchObject({
        status: 400,
        body: expect.stringContaining('at most 5'),
      });
    });
    it('answers control posts for unknown sessions, bad JSON, unknown symbols and oversized bodies', async () => {
      const unknown = await postControl(server.url, '/sse/control', 'nope', '{"op":"subscribe","symbols":["AAPL"]}');
      expect(unknown.status).toBe(404);
      const c = await sse('');
      const hello = await c.waitFor(FrameType.Hello);
      const post = (body: string) => postControl(server.url, '/sse/control', hello.frame.sessionId, body);
      const badJson = await post('{"op":');
      expect(badJson.status).toBe(400);
      expect(badJson.body).toMatchObject({ error: { code: ErrorCode.BadJson } });
      await c.waitFor(FrameType.Error, (f) => f.code === ErrorCode.BadJson);
      const badSymbol = await post('{"op":"subscribe","symbols":["NOPE"]}');
      expect(badSymbol.status).toBe(400);
      expect(badSymbol.body).toMatchObject({ error: { code: ErrorCode.UnknownSymbol } });
      const tooBig = await post('x'.repeat(20_000));
      expect(tooBig.status).toBe(413);
      // The stream is still alive and serves a valid request.
      const ok = await post('{"op":"subscribe","symbols":["AAPL"],"id":8,"history":0}');
      expect(ok.status).toBe(200);
      await c.waitFor(FrameType.Ack, (f) => f.requestId === 8);
    });
  });
});
