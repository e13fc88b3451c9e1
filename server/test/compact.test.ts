// Compact Updates (type 7) from a real server, checked with a decoder written from docs/protocol.md
// (compact-independent.ts): the same ticks as a standard subscriber gets, on WebSocket, SSE, the binary
// stream and polls; one encoding per symbol per batch shared by every compact subscriber; switching the
// encoding mid-stream loses and doubles nothing; bad `compact` values are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@tickwire/protocol/codes';
import { FrameType, HelloFlag, type Tick } from '@tickwire/protocol/messages';
import {
  connectSse,
  connectStream,
  connectWs,
  httpJson,
  pollOnce,
  postControl,
  startServer,
  waitFor,
  type FrameLog,
  type Received,
  type WsClient,
} from './harness.js';
import { specDecodeCompact, type SpecTick } from './compact-independent.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;
const closers: Array<() => void> = [];

async function ws(): Promise<WsClient> {
  const c = await connectWs(server.url);
  closers.push(() => c.close());
  await c.waitFor(FrameType.Hello);
  return c;
}

beforeAll(async () => {
  server = await startServer({ tickRate: 2000, batchMs: 10, heartbeatMs: 200 });
});

afterAll(async () => {
  for (const close of closers) close();
  await server.close();
});

/** Every compact frame a client received, decoded by the spec decoder (which throws on anything off-spec). */
function specTicks(log: FrameLog): SpecTick[] {
  return log.frames.filter((r) => r.bytes[1] === FrameType.UpdatesCompact).flatMap((r) => specDecodeCompact(r.bytes).ticks);
}

function standardTicks(log: FrameLog): Tick[] {
  return log.of(FrameType.Updates).flatMap((r) => r.frame.ticks);
}

const key = (t: { symbolId: number; seq: number }) => `${t.symbolId}:${t.seq}`;

/** The compact ticks equal the standard ones for every (symbol, seq) both saw: exact fields, times to the µs. */
function expectSameTicks(compact: SpecTick[], standard: Tick[], atLeast: number): void {
  const byKey = new Map(standard.map((t) => [key(t), t]));
  let compared = 0;
  for (const t of compact) {
    const s = byKey.get(key(t));
    if (s === undefined) continue;
    compared++;
    expect({ ...t, eventTimeMs: 0 }).toEqual({ ...s, eventTimeMs: 0 });
    expect(Math.abs(t.eventTimeMs - s.eventTimeMs)).toBeLessThan(0.001);
  }
  expect(compared).toBeGreaterThanOrEqual(atLeast);
}

function expectContiguous(ticks: Array<{ symbolId: number; seq: number }>, symbolId: number): void {
  const seqs = ticks.filter((t) => t.symbolId === symbolId).map((t) => t.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i], `seq after ${seqs[i - 1]}`).toBe(seqs[i - 1]! + 1);
}

describe('compact Updates over WebSocket', () => {
  it('are announced in the Hello header flags', async () => {
    const c = await ws();
    const hello = c.frames[0]!;
    expect(hello.frame.type).toBe(FrameType.Hello);
    expect(hello.bytes[2]! & HelloFlag.Compact).toBe(HelloFlag.Compact);
  });

  it('carry the ticks a standard subscriber gets, byte-identical for every compact subscriber', async () => {
    const [standard, compactA, compactB] = [await ws(), await ws(), await ws()];
    const symbols = ['AAPL', 'EURUSD', 'BTCUSD'];
    standard.send(JSON.stringify({ op: 'subscribe', symbols, id: 1, history: 0 }));
    compactA.send(JSON.stringify({ op: 'subscribe', symbols, id: 1, history: 0, compact: true }));
    compactB.send(JSON.stringify({ op: 'subscribe', symbols, id: 1, history: 0, compact: true }));
    for (const c of [standard, compactA, compactB]) await c.waitFor(FrameType.Ack, (f) => f.requestId === 1);
    await waitFor(() => specTicks(compactA).length >= 60 && specTicks(compactB).length >= 60, { what: '60 compact ticks each' });
    await new Promise((r) => setTimeout(r, 100));

    expect(compactA.of(FrameType.Updates)).toHaveLength(0);
    const spec = specTicks(compactA);
    // The product's decoder reads the same values as the spec decoder.
    const product = compactA.of(FrameType.UpdatesCompact).flatMap((r) => r.frame.ticks);
    expect(product).toEqual(spec);
    expectSameTicks(spec, standardTicks(standard), 40);
    for (const id of new Set(spec.map((t) => t.symbolId))) expectContiguous(spec, id);

    // Encoded once per symbol per batch: both compact subscribers got the very same bytes for a batch.
    const hexOf = (r: Received) => Buffer.from(r.bytes).toString('hex');
    const bHex = new Set(compactB.of(FrameType.UpdatesCompact).map(hexOf));
    const shared = compactA.of(FrameType.UpdatesCompact).filter((r) => bHex.has(hexOf(r)));
    expect(shared.length).toBeGreaterThan(10);
    // ...and smaller than the standard frames of the same ticks.
    const compactBytes = compactA.of(FrameType.UpdatesCompact).reduce((n, r) => n + r.bytes.length, 0);
    const standardBytes = standard.of(FrameType.Updates).reduce((n, r) => n + r.bytes.length, 0);
    const perTick = (bytes: number, log: FrameLog, type: 3 | 7) =>
      bytes / log.frames.filter((r) => r.frame.type === type).reduce((n, r) => n + ('ticks' in r.frame ? r.frame.ticks.length : 0), 0);
    expect(perTick(compactBytes, compactA, 7) * 1.8).toBeLessThan(perTick(standardBytes, standard, 3));
  });

  it('are built at most once per symbol per batch, however many clients take them', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => ws()));
    for (const c of clients) c.send(JSON.stringify({ op: 'subscribe', symbols: ['MSFT'], id: 2, history: 0, compact: true }));
    for (const c of clients) await c.waitFor(FrameType.Ack, (f) => f.requestId === 2);
    const before = { encoded: server.fanout.compact.encoded, frames: server.fanout.stats.frames };
    await waitFor(() => clients.every((c) => c.of(FrameType.UpdatesCompact).length >= 5), { what: 'compact MSFT frames' });
    const encoded = server.fanout.compact.encoded - before.encoded;
    expect(encoded).toBeGreaterThan(0);
    expect(encoded).toBeLessThanOrEqual(server.fanout.stats.frames - before.frames);
  });

  it('switch both ways mid-stream without losing or doubling a tick', async () => {
    const c = await ws();
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], id: 3, history: 0 }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 3);
    await c.waitFor(FrameType.Updates);
    c.send(JSON.stringify({ op: 'subscribe', symbols: [], id: 4, compact: true }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 4);
    await waitFor(() => c.of(FrameType.UpdatesCompact).length >= 5, { what: 'compact frames after the switch' });
    c.send(JSON.stringify({ op: 'subscribe', symbols: [], id: 5, compact: false }));
    await c.waitFor(FrameType.Ack, (f) => f.requestId === 5);
    const standardAfter = () =>
      c.frames.slice(c.frames.findIndex((r) => r.frame.type === FrameType.Ack && r.frame.requestId === 5)).filter((r) => r.frame.type === FrameType.Updates);
    await waitFor(() => standardAfter().length >= 3, { what: 'standard frames after switching back' });
    const all = c.frames.flatMap((r) => (r.frame.type === FrameType.Updates || r.frame.type === FrameType.UpdatesCompact ? r.frame.ticks : []));
    const aapl = all.filter((t) => t.symbolId === 0);
    expect(aapl.length).toBeGreaterThan(10);
    expectContiguous(aapl, 0);
  });

  it('refuses a compact value that is not a boolean, applying nothing', async () => {
    const c = await ws();
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], id: 6, compact: 'yes' }));
    const error = await c.waitFor(FrameType.Error, (f) => f.requestId === 6);
    expect(error.frame.code).toBe(ErrorCode.BadMessage);
    expect(c.of(FrameType.Snapshot)).toHaveLength(0);
  });
});

describe('compact Updates over HTTP', () => {
  it('SSE with compact=1 carries base64 of compact frames, standard SSE the usual ones', async () => {
    const compact = await connectSse(server.url, '/sse?symbols=AAPL,EURUSD&history=0&compact=1');
    const standard = await connectSse(server.url, '/sse?symbols=AAPL,EURUSD&history=0');
    closers.push(compact.close, standard.close);
    await waitFor(() => specTicks(compact).length >= 30 && standardTicks(standard).length >= 30, { what: 'SSE ticks' });
    expect(compact.of(FrameType.Hello)[0]!.frame.flags & HelloFlag.Compact).toBe(HelloFlag.Compact);
    expect(compact.of(FrameType.Updates)).toHaveLength(0);
    expect(standard.of(FrameType.UpdatesCompact)).toHaveLength(0);
    expectSameTicks(specTicks(compact), standardTicks(standard), 20);
    expect(compact.decodeErrors).toEqual([]);
  });

  it('the binary stream with compact=1 carries compact frames, and a control POST switches it back', async () => {
    const s = await connectStream(server.url, '/stream?symbols=BTCUSD&history=0&compact=1');
    closers.push(s.close);
    await waitFor(() => specTicks(s).length >= 10, { what: 'compact stream ticks' });
    const sessionId = s.of(FrameType.Hello)[0]!.frame.sessionId;
    const answer = await postControl(server.url, '/stream/control', sessionId, JSON.stringify({ op: 'subscribe', symbols: [], id: 9, compact: false }));
    expect(answer.status).toBe(200);
    await s.waitFor(FrameType.Ack, (f) => f.requestId === 9);
    await waitFor(() => s.of(FrameType.Updates).length >= 3, { what: 'standard frames after the POST' });
    const all = s.frames.flatMap((r) => (r.frame.type === FrameType.Updates || r.frame.type === FrameType.UpdatesCompact ? r.frame.ticks : []));
    expectContiguous(all, 2);
  });

  it('a poll with compact=1 replays missed ticks as one compact frame', async () => {
    const first = await pollOnce(server.url, 'symbols=AAPL&history=0');
    expect(first.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    const next = await pollOnce(server.url, `symbols=AAPL&compact=1&cursor=${encodeURIComponent(first.cursor!)}`);
    expect(next.status).toBe(200);
    const frames = next.frames.filter((r) => r.frame.type === FrameType.UpdatesCompact);
    expect(frames).toHaveLength(1);
    const ticks = specDecodeCompact(frames[0]!.bytes).ticks;
    expect(ticks.length).toBeGreaterThan(0);
    expectContiguous(ticks, 0);
  });

  it('refuses compact values other than 1 and 0', async () => {
    for (const path of ['/sse?symbols=AAPL&compact=yes', '/stream?symbols=AAPL&compact=2', '/poll?symbols=AAPL&compact=true']) {
      const res = await httpJson(server.url, path);
      expect(res.status, path).toBe(400);
    }
  });
});
