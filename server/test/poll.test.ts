// Integration: short and long polling and binary HTTP streaming carry the WebSocket's ticks with no gap
// across request boundaries, resume from a cursor after a dropped request, and hold requests within
// bounds (count, time), releasing them on abort and on shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType, type Tick } from '@tickwire/protocol/messages';
import { connectStream, connectWs, pollOnce, postControl, startServer, waitFor, type Received } from './harness.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;

beforeAll(async () => {
  server = await startServer({ tickRate: 3000, batchMs: 10, maxHeldPolls: 3, pollWaitMs: 5000, resumeTicks: 2000 });
});
afterAll(() => server.close());

function ticksOf(frames: Received[], symbolId: number): Tick[] {
  return frames.flatMap((r) => (r.frame.type === FrameType.Updates ? r.frame.ticks.filter((t) => t.symbolId === symbolId) : []));
}

/** Runs `rounds` polls chaining cursors; returns every frame received, in order. */
async function pollChain(query: string, rounds: number, wait: number): Promise<{ frames: Received[]; cursor: string }> {
  let cursor = '';
  const frames: Received[] = [];
  for (let i = 0; i < rounds; i++) {
    const answer = await pollOnce(server.url, `${query}&wait=${wait}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(answer.status).toBe(200);
    frames.push(...answer.frames);
    cursor = answer.cursor!;
    // The client-chosen polling interval (short polling); long polls wait on the server instead.
    if (wait === 0) await new Promise((r) => setTimeout(r, 40));
  }
  return { frames, cursor };
}

describe('polling', () => {
  it('first answer: Hello and snapshots; later answers: only the ticks after the cursor', async () => {
    const first = await pollOnce(server.url, 'symbols=AAPL,EURUSD&history=5');
    expect(first.frames.map((f) => f.frame.type)).toEqual([FrameType.Hello, FrameType.Snapshot, FrameType.Snapshot]);
    expect(first.cursor).toMatch(/^e[0-9a-z]+-/);
    await new Promise((r) => setTimeout(r, 100));
    const next = await pollOnce(server.url, `symbols=AAPL,EURUSD&cursor=${first.cursor}`);
    expect(next.frames.length).toBeGreaterThan(0);
    expect(next.frames.every((f) => f.frame.type === FrameType.Updates)).toBe(true);
  });

  it('short polling chains cursors with no gap or duplicate across request boundaries', async () => {
    const { frames } = await pollChain('symbols=AAPL&history=0', 15, 0);
    const snap = frames.find((f) => f.frame.type === FrameType.Snapshot)!.frame;
    if (snap.type !== FrameType.Snapshot) throw new Error('unreachable');
    const seqs = ticksOf(frames, snap.symbolId).map((t) => t.seq);
    expect(seqs.length).toBeGreaterThan(5);
    seqs.forEach((seq, i) => expect(seq).toBe(snap.seq + 1 + i));
  });

  it('long polling returns as soon as data exists and delivers the WebSocket ticks', async () => {
    const ws = await connectWs(server.url);
    ws.send(JSON.stringify({ op: 'subscribe', symbols: ['MSFT'], history: 0 }));
    await ws.waitFor(FrameType.Snapshot);
    const started = Date.now();
    const { frames } = await pollChain('symbols=MSFT&history=0', 10, 4000);
    expect(Date.now() - started).toBeLessThan(8000);
    await new Promise((r) => setTimeout(r, 100));
    const snap = frames.find((f) => f.frame.type === FrameType.Snapshot)!.frame;
    if (snap.type !== FrameType.Snapshot) throw new Error('unreachable');
    const polled = ticksOf(frames, snap.symbolId);
    polled.forEach((t, i) => expect(t.seq).toBe(snap.seq + 1 + i));
    const pushed = new Map(ticksOf(ws.frames, snap.symbolId).map((t) => [t.seq, t]));
    expect(polled.length).toBeGreaterThan(5);
    for (const t of polled) {
      const twin = pushed.get(t.seq);
      if (twin) expect(t).toEqual(twin);
    }
    expect(polled.filter((t) => pushed.has(t.seq)).length).toBeGreaterThan(3);
    ws.close();
  });

  it('resumes from the cursor of the last answer after a dropped request', async () => {
    const first = await pollOnce(server.url, 'symbols=NVDA&history=0');
    const snap = first.frames[1]!.frame;
    if (snap.type !== FrameType.Snapshot) throw new Error('expected a snapshot');
    // A request that the client abandons: its answer is never read.
    const aborted = new AbortController();
    const lost = pollOnce(server.url, `symbols=NVDA&wait=4000&cursor=${first.cursor}`, aborted.signal).catch(() => null);
    aborted.abort();
    await lost;
    await new Promise((r) => setTimeout(r, 200));
    const resumed = await pollOnce(server.url, `symbols=NVDA&cursor=${first.cursor}`);
    const seqs = ticksOf(resumed.frames, snap.symbolId).map((t) => t.seq);
    expect(seqs[0]).toBe(snap.seq + 1);
    seqs.forEach((seq, i) => expect(seq).toBe(snap.seq + 1 + i));
  });

  it('answers a cursor outside the window, or from another epoch, with a snapshot — never a partial replay', async () => {
    const old = await pollOnce(server.url, `symbols=AAPL&cursor=e${server.epoch.toString(36)}-0.1`);
    expect(old.frames.map((f) => f.frame.type)).toEqual([FrameType.Snapshot]);
    const otherEpoch = await pollOnce(server.url, `symbols=AAPL&cursor=e${((server.epoch ^ 1) >>> 0).toString(36)}-0.1`);
    expect(otherEpoch.frames.map((f) => f.frame.type)).toEqual([FrameType.Snapshot]);
  });

  it('enforces its limits and answers bad input with 4xx JSON', async () => {
    expect((await pollOnce(server.url, 'symbols=')).status).toBe(400);
    expect((await pollOnce(server.url, 'symbols=NOPE')).status).toBe(404);
    expect((await pollOnce(server.url, 'symbols=AAPL&wait=999999')).status).toBe(400);
    expect((await pollOnce(server.url, 'symbols=AAPL&wait=-5')).status).toBe(400);
    expect((await pollOnce(server.url, 'symbols=AAPL&cursor=garbage')).status).toBe(400);
  });
});

describe('held long polls', () => {
  // One tick a second over 50 symbols: a given symbol stays quiet for many seconds, so polls are held.
  let quiet: TickwireServer;
  const query = 'symbols=ADAUSD&history=0';

  beforeAll(async () => {
    quiet = await startServer({ tickRate: 1, batchMs: 10, maxHeldPolls: 3, pollWaitMs: 5000 });
  });
  afterAll(() => quiet.close());

  async function cursorNow(): Promise<string> {
    return (await pollOnce(quiet.url, query)).cursor!;
  }

  it('returns an empty answer with a heartbeat when the wait passes without data', async () => {
    const cursor = await cursorNow();
    const started = Date.now();
    const answer = await pollOnce(quiet.url, `${query}&wait=300&cursor=${cursor}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(answer.status).toBe(200);
    expect(answer.frames.map((f) => f.frame.type)).toEqual([FrameType.Heartbeat]);
    expect(answer.cursor).toBe(cursor);
  });

  it('caps how many requests are held, and releases them on client abort', async () => {
    const cursor = await cursorNow();
    const controllers = [0, 1, 2].map(() => new AbortController());
    const held = controllers.map((c) => pollOnce(quiet.url, `${query}&wait=5000&cursor=${cursor}`, c.signal).catch(() => null));
    await waitFor(() => quiet.sessions.counts.poll === 3, { what: '3 held polls' });
    const refused = await pollOnce(quiet.url, `${query}&wait=5000&cursor=${cursor}`);
    expect(refused.status).toBe(503);
    for (const c of controllers) c.abort();
    await waitFor(() => quiet.sessions.counts.poll === 0, { what: 'aborted polls released' });
    await Promise.all(held);
  });

  it('answers held requests with 503 and Retry-After on shutdown', async () => {
    const cursor = await cursorNow();
    const pending = fetch(`${quiet.url}/poll?${query}&wait=5000&cursor=${cursor}`);
    await waitFor(() => quiet.sessions.counts.poll === 1, { what: 'held poll' });
    const started = Date.now();
    await quiet.close();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('binary HTTP streaming', () => {
  it('carries length-prefixed frames identical to the WebSocket ones, seq +1', async () => {
    const ws = await connectWs(server.url);
    ws.send(JSON.stringify({ op: 'subscribe', symbols: ['TSLA'], history: 0 }));
    const stream = await connectStream(server.url, '/stream?symbols=TSLA&history=0');
    expect(stream.response.headers['content-type']).toBe('application/vnd.tickwire.frames');
    await stream.waitFor(FrameType.Hello);
    const snap = (await stream.waitFor(FrameType.Snapshot)).frame;
    await waitFor(() => stream.of(FrameType.Updates).length >= 10 && ws.of(FrameType.Updates).length >= 10, { what: 'updates' });
    const seqs = ticksOf(stream.frames, snap.symbolId).map((t) => t.seq);
    seqs.forEach((seq, i) => expect(seq).toBe(snap.seq + 1 + i));
    const wsBytes = new Map(ws.of(FrameType.Updates).map((r) => [r.frame.ticks[0]!.seq, Buffer.from(r.bytes)]));
    const same = stream.of(FrameType.Updates).filter((r) => wsBytes.get(r.frame.ticks[0]!.seq)?.equals(Buffer.from(r.bytes)));
    expect(same.length).toBeGreaterThanOrEqual(5);
    expect(stream.decodeErrors).toEqual([]);
    stream.close();
    ws.close();
  });

  it('changes subscriptions through /stream/control', async () => {
    const stream = await connectStream(server.url, '/stream');
    const hello = (await stream.waitFor(FrameType.Hello)).frame;
    const res = await postControl(server.url, '/stream/control', hello.sessionId, '{"op":"subscribe","symbols":["BTCUSD"],"id":3,"history":0}');
    expect(res.status).toBe(200);
    await stream.waitFor(FrameType.Ack, (f) => f.requestId === 3);
    await stream.waitFor(FrameType.Updates);
    stream.close();
  });
});
