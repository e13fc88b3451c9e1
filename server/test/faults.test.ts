// Fault tests through the server's test hooks: a stalled feed (heartbeats go on, /healthz says so,
// recovery resumes the stream) and lost frames (every gap is revealed by the next heartbeat and repaired
// by re-subscribing, after which the client's state equals the server's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType, type SnapshotFrame } from '@tickwire/protocol/messages';
import { connectWs, httpJson, startServer, waitFor, type WsClient } from './harness.js';
import type { TickwireServer } from '../src/server.js';

let server: TickwireServer;
beforeAll(async () => {
  server = await startServer({ tickRate: 2000, batchMs: 10, heartbeatMs: 250, testHooks: true });
});
afterAll(() => server.close());

describe('feed stall', () => {
  it('keeps heartbeats flowing, reports the stall, and resumes the stream in order', async () => {
    const c = await connectWs(server.url);
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL'], history: 0 }));
    const snap = (await c.waitFor(FrameType.Snapshot)).frame;
    await c.waitFor(FrameType.Updates);
    expect((await httpJson(server.url, '/__test/feed/stall', { method: 'POST' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const mark = c.frames.length;
    // Over 3 heartbeat intervals: heartbeats, no updates, all naming the same seq.
    await waitFor(() => c.frames.slice(mark).filter((r) => r.frame.type === FrameType.Heartbeat).length >= 3, { what: 'heartbeats during stall' });
    const during = c.frames.slice(mark);
    expect(during.filter((r) => r.frame.type === FrameType.Updates)).toHaveLength(0);
    const seqs = new Set(during.flatMap((r) => (r.frame.type === FrameType.Heartbeat ? r.frame.symbols.map((s) => s.seq) : [])));
    expect(seqs.size).toBe(1);
    await new Promise((r) => setTimeout(r, 5200));
    const health = await httpJson(server.url, '/healthz');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'feed-stalled' });
    await httpJson(server.url, '/__test/feed/resume', { method: 'POST' });
    const resumedAt = c.frames.length;
    await waitFor(() => c.frames.slice(resumedAt).some((r) => r.frame.type === FrameType.Updates), { what: 'updates after recovery' });
    expect((await httpJson(server.url, '/healthz')).status).toBe(200);
    const ticks = c.of(FrameType.Updates).flatMap((u) => u.frame.ticks);
    ticks.forEach((t, i) => expect(t.seq).toBe(snap.seq + 1 + i));
    c.close();
  }, 15_000);
});

/**
 * A client that repairs gaps the way the protocol says: a tick whose seq skips, or a heartbeat naming a
 * seq above what it holds, means lost frames → ignore that symbol's ticks and re-subscribe it (snapshot).
 */
function repairingClient(c: WsClient) {
  const state = new Map<number, { seq: number; last: number; bid: number; ask: number }>();
  const awaiting = new Set<number>();
  let seen = 0;
  /** `frameIndex`: position in c.frames of the frame that revealed the gap. */
  const repairs: Array<{ symbolId: number; frameIndex: number }> = [];
  const repair = (symbolId: number) => {
    if (awaiting.has(symbolId)) return;
    awaiting.add(symbolId);
    repairs.push({ symbolId, frameIndex: seen });
    const ticker = c.of(FrameType.Snapshot).find((r) => r.frame.symbolId === symbolId)!.frame.ticker;
    c.send(JSON.stringify({ op: 'subscribe', symbols: [ticker], history: 0 }));
  };
  const step = () => {
    for (; seen < c.frames.length; seen++) {
      const f = c.frames[seen]!.frame;
      if (f.type === FrameType.Snapshot) {
        state.set(f.symbolId, { seq: f.seq, last: f.last, bid: f.bid, ask: f.ask });
        awaiting.delete(f.symbolId);
      }
      if (f.type === FrameType.Updates) {
        for (const t of f.ticks) {
          const s = state.get(t.symbolId);
          if (!s || awaiting.has(t.symbolId) || t.seq <= s.seq) continue;
          if (t.seq !== s.seq + 1) repair(t.symbolId);
          else state.set(t.symbolId, { seq: t.seq, last: t.price, bid: t.bid, ask: t.ask });
        }
      }
      if (f.type === FrameType.Heartbeat) {
        for (const h of f.symbols) {
          const s = state.get(h.symbolId);
          if (s && h.seq > s.seq) repair(h.symbolId);
        }
      }
    }
  };
  const timer = setInterval(step, 5);
  return { state, repairs, stop: () => clearInterval(timer) };
}

describe('lost frames', () => {
  it('every injected gap is revealed within one heartbeat and repaired to the server state', async () => {
    const c = await connectWs(server.url);
    c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT', 'EURUSD'], history: 0 }));
    await waitFor(() => c.of(FrameType.Snapshot).length === 3, { what: 'snapshots' });
    const client = repairingClient(c);
    const idOf = new Map(c.of(FrameType.Snapshot).map((r) => [r.frame.ticker, r.frame.symbolId]));
    /** c.frames.length when each drop was in effect (its POST answered): counted in frames, not wall time. */
    const droppedFrom = new Map<number, number>();
    for (const symbol of ['AAPL', 'MSFT', 'EURUSD']) {
      expect((await httpJson(server.url, `/__test/drop?symbol=${symbol}&frames=3`, { method: 'POST' })).status).toBe(200);
      droppedFrom.set(idOf.get(symbol)!, c.frames.length);
    }
    await waitFor(() => new Set(client.repairs.map((r) => r.symbolId)).size === 3, { timeoutMs: 3000, what: 'repairs of all three symbols' });
    // Revealed by the next heartbeat at the latest: at most two heartbeats arrive between the drop taking
    // effect and the repair (the first may precede the dropped frames). Independent of HTTP round trips.
    for (const r of client.repairs) {
      const from = droppedFrom.get(r.symbolId);
      expect(from, `repair of an undropped symbol ${r.symbolId}`).toBeDefined();
      const heartbeats = c.frames.slice(from, r.frameIndex + 1).filter((f) => f.frame.type === FrameType.Heartbeat).length;
      expect(heartbeats).toBeLessThanOrEqual(2);
    }
    // Stop the feed so client and server can be compared at rest.
    await httpJson(server.url, '/__test/feed/stall', { method: 'POST' });
    await new Promise((r) => setTimeout(r, 600));
    client.stop();
    const probe = await connectWs(server.url);
    probe.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'MSFT', 'EURUSD'], history: 0 }));
    await waitFor(() => probe.of(FrameType.Snapshot).length === 3, { what: 'probe snapshots' });
    for (const { frame } of probe.of(FrameType.Snapshot) as Array<{ frame: SnapshotFrame }>) {
      expect(client.state.get(frame.symbolId)).toEqual({ seq: frame.seq, last: frame.last, bid: frame.bid, ask: frame.ask });
    }
    await httpJson(server.url, '/__test/feed/resume', { method: 'POST' });
    c.close();
    probe.close();
  }, 15_000);

  it('test hooks are absent unless enabled', async () => {
    const plain = await startServer({});
    expect((await httpJson(plain.url, '/__test/feed/stall', { method: 'POST' })).status).toBe(404);
    await plain.close();
  });
});
