// Resume: a client presenting a cursor gets exactly the ticks it missed when they are inside the window,
// a fresh snapshot otherwise — over WebSocket (subscribe with "resume") and SSE (Last-Event-ID).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICK_RECORD_SIZE, emptyTick, readTickRecord, writeTickRecord } from '@tickwire/protocol/codec';
import { ErrorCode } from '@tickwire/protocol/codes';
import { formatCursor } from '@tickwire/protocol/cursor';
import { FrameType } from '@tickwire/protocol/messages';
import { TickHistory } from '@tickwire/core/market/tick-history';
import { connectSse, connectWs, startServer, waitFor } from './harness.js';
import type { TickwireServer } from '../src/server.js';

function records(fromSeq: number, count: number): Uint8Array {
  const bytes = new Uint8Array(count * TICK_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) writeTickRecord(view, i * TICK_RECORD_SIZE, { ...emptyTick(), seq: fromSeq + i, price: (100 + i) as never });
  return bytes;
}

function seqs(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / TICK_RECORD_SIZE }, (_, i) => readTickRecord(view, i * TICK_RECORD_SIZE, emptyTick()).seq);
}

describe('TickHistory', () => {
  it('replays exactly the ticks after a cursor inside the window', () => {
    const h = new TickHistory(8);
    h.append(records(1, 5), 5);
    h.append(records(6, 7), 7);
    expect(h.oldestSeq).toBe(5);
    expect(seqs(h.after(4, 12)!)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(seqs(h.after(10, 12)!)).toEqual([11, 12]);
    expect(h.after(12, 12)!.length).toBe(0);
  });
  it('refuses cursors outside the window or ahead of the published seq', () => {
    const h = new TickHistory(8);
    h.append(records(1, 12), 12);
    expect(h.after(3, 12)).toBeNull();
    expect(h.after(13, 12)).toBeNull();
    expect(h.after(5, 11)).toBeNull();
  });
  it('never replays across a seq break', () => {
    const h = new TickHistory(8);
    h.append(records(1, 4), 4);
    h.append(records(1, 2), 2);
    expect(seqs(h.after(0, 2)!)).toEqual([1, 2]);
    expect(h.oldestSeq).toBe(1);
    expect(h.after(3, 2)).toBeNull();
  });
  it('holds nothing with capacity 0', () => {
    const h = new TickHistory(0);
    h.append(records(1, 4), 4);
    expect(h.after(2, 4)).toBeNull();
  });
});

describe('resume over the transports', () => {
  let server: TickwireServer;
  beforeAll(async () => {
    server = await startServer({ tickRate: 3000, batchMs: 10, resumeTicks: 5000 });
  });
  afterAll(() => server.close());

  it('WebSocket: subscribe with a cursor replays the missed ticks instead of a snapshot', async () => {
    const first = await connectWs(server.url);
    first.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0 }));
    const snap = (await first.waitFor(FrameType.Snapshot)).frame;
    await waitFor(() => first.of(FrameType.Updates).length >= 3, { what: 'updates' });
    first.close();
    const lastSeen = first
      .of(FrameType.Updates)
      .flatMap((u) => u.frame.ticks)
      .at(-1)!.seq;
    await new Promise((r) => setTimeout(r, 300));
    const second = await connectWs(server.url);
    const cursor = formatCursor(server.epoch, [[snap.symbolId, lastSeen]]);
    second.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], resume: cursor, id: 1 }));
    await second.waitFor(FrameType.Ack, (f) => f.requestId === 1);
    await waitFor(() => second.of(FrameType.Updates).length >= 3, { what: 'updates after resume' });
    expect(second.of(FrameType.Snapshot)).toHaveLength(0);
    const all = second.of(FrameType.Updates).flatMap((u) => u.frame.ticks);
    all.forEach((t, i) => expect(t.seq).toBe(lastSeen + 1 + i));
    second.close();
  });

  it('WebSocket: a stale or foreign-epoch cursor yields a snapshot; a malformed one an error', async () => {
    const c = await connectWs(server.url);
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0, resume: formatCursor((server.epoch + 1) >>> 0, [[0, 5]]), id: 1 }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 1);
    expect(c.of(FrameType.Snapshot)).toHaveLength(1);
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], resume: 'e!', id: 2 }));
    const err = await c.waitFor(FrameType.Error, (f) => f.requestId === 2);
    expect(err.frame.code).toBe(ErrorCode.BadMessage);
    expect(err.frame.message).toMatch(/bad resume cursor/);
    c.close();
  });

  it('SSE: Last-Event-ID resumes exactly after the last event seen', async () => {
    const first = await connectSse(server.url, '/sse?symbols=MSFT,EURUSD&history=0');
    await waitFor(() => first.of(FrameType.Updates).length >= 5, { what: 'updates' });
    first.close();
    const lastEvent = first.events.at(-1)!;
    const seen = new Map<number, number>();
    for (const r of first.of(FrameType.Snapshot)) seen.set(r.frame.symbolId, r.frame.seq);
    for (const r of first.of(FrameType.Updates)) for (const t of r.frame.ticks) seen.set(t.symbolId, t.seq);
    await new Promise((r) => setTimeout(r, 300));
    const second = await connectSse(server.url, '/sse?symbols=MSFT,EURUSD&history=0', { 'Last-Event-ID': lastEvent.id });
    await waitFor(() => second.of(FrameType.Updates).length >= 5, { what: 'updates after resume' });
    expect(second.of(FrameType.Snapshot)).toHaveLength(0);
    for (const [symbolId, last] of seen) {
      const next = second
        .of(FrameType.Updates)
        .flatMap((u) => u.frame.ticks)
        .filter((t) => t.symbolId === symbolId);
      next.forEach((t, i) => expect(t.seq).toBe(last + 1 + i));
    }
    second.close();
  });

  it('SSE: a malformed Last-Event-ID is refused before the stream starts', async () => {
    await expect(connectSse(server.url, '/sse?symbols=MSFT', { 'Last-Event-ID': 'zz' })).rejects.toMatchObject({ status: 400 });
  });
});
