// Gateway logic against a deterministic in-process bus: the market core publishes on a PortHub, the
// gateway (a real server, in this process) reads it through a bus that can lose chosen frames or play
// a disconnect. Covers interest-based subscriptions, deferred snapshots, seq stitching, bridging holes
// with the feed's recent ticks, fresh snapshots when a hole is too wide, the heartbeat revealing a lost
// last frame, a feed restart (new epoch), and polls for symbols the gateway does not hold.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '@tickwire/protocol/messages';
import { formatCursor } from '@tickwire/protocol/cursor';
import { createLogger } from '@tickwire/core/log';
import type { Bus, BusStatus, BusSubscription } from '@tickwire/core/nats/bus';
import { runFeed, type FeedConfig, type RunningFeed } from '../src/nats/feed-process.js';
import { PortHub } from '../src/nats/port-bus.js';
import { marketDataSubject } from '@tickwire/core/nats/subjects';
import type { TickwireServer } from '../src/server.js';
import { connectWs, httpJson, pollOnce, readCounter, startServer, waitFor, type Received, type WsClient } from './harness.js';
import { eventually } from './nats-harness.js';

const silent = createLogger('silent');

const FEED: FeedConfig = {
  nats: '',
  seed: 7,
  symbols: 10,
  tickRate: 3000,
  batchMs: 10,
  warmupSec: 2,
  candleCapacity: 100,
  resumeTicks: 512,
  heartbeatMs: 150,
  record: null,
  replay: null,
  speed: 1,
  logLevel: 'silent',
};

/** The gateway's view of the hub, with faults on demand. */
class FaultyBus implements Bus {
  readonly name = 'faulty';
  readonly maxPayload: number;
  connected = true;
  /** Subject → frames still to lose. */
  readonly drop = new Map<string, number>();
  /** Subject → time until which every frame is lost. */
  readonly blackhole = new Map<string, number>();
  readonly active = new Map<string, number>();
  private readonly listeners: Array<(s: BusStatus) => void> = [];

  constructor(private readonly hub: PortHub) {
    this.maxPayload = hub.maxPayload;
  }

  publish(): void {}
  serve(): BusSubscription {
    throw new Error('not used');
  }
  subscribe(subject: string, onMessage: (data: Uint8Array, subject: string) => void): BusSubscription {
    this.active.set(subject, (this.active.get(subject) ?? 0) + 1);
    const inner = this.hub.subscribe(subject, (data, s) => {
      if (!this.connected || (this.blackhole.get(s) ?? 0) > Date.now()) return;
      const left = this.drop.get(s) ?? 0;
      if (left > 0) return void this.drop.set(s, left - 1);
      onMessage(data, s);
    });
    return {
      unsubscribe: () => {
        this.active.set(subject, (this.active.get(subject) ?? 1) - 1);
        inner.unsubscribe();
      },
    };
  }
  subscribed(subject: string): boolean {
    return (this.active.get(subject) ?? 0) > 0;
  }
  request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    return this.connected ? this.hub.request(subject, data) : Promise.reject(new Error('disconnected'));
  }
  onStatus(listener: (s: BusStatus) => void): void {
    this.listeners.push(listener);
  }
  setConnected(up: boolean): void {
    this.connected = up;
    for (const l of this.listeners) l(up ? 'reconnected' : 'disconnected');
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Walks a client's frames for one symbol: every tick must continue the seq, a Snapshot may reset it. */
function continuity(log: { frames: Received[] }, symbolId: number): { snapshots: number; gaps: string[]; lastSeq: number; epochs: Set<number> } {
  let seq: number | null = null;
  let snapshots = 0;
  const gaps: string[] = [];
  const epochs = new Set<number>();
  for (const { frame } of log.frames) {
    if (frame.type === FrameType.Snapshot && frame.symbolId === symbolId) {
      snapshots++;
      seq = frame.seq;
      epochs.add(frame.epoch);
    } else if (frame.type === FrameType.Updates) {
      for (const t of frame.ticks) {
        if (t.symbolId !== symbolId) continue;
        if (seq === null || t.seq !== seq + 1) gaps.push(`${seq} → ${t.seq}`);
        seq = t.seq;
        epochs.add(frame.epoch);
      }
    }
  }
  return { snapshots, gaps, lastSeq: seq ?? -1, epochs };
}

const hub = new PortHub();
const bus = new FaultyBus(hub);
let feed: RunningFeed;
let server: TickwireServer;
const clients: WsClient[] = [];

async function client(symbols: string[], extra: Record<string, unknown> = {}): Promise<WsClient> {
  const c = await connectWs(server.url);
  clients.push(c);
  c.send(JSON.stringify({ op: 'subscribe', symbols, history: 5, id: 1, ...extra }));
  return c;
}

beforeAll(async () => {
  feed = await runFeed(FEED, hub, silent);
  server = await startServer(
    { candleCapacity: 100, defaultHistory: 5, resumeTicks: 200, heartbeatMs: 200 },
    { bus, gateway: { lingerMs: 150 }, logger: silent },
  );
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await server.close();
  await feed.close();
});

/** Resyncs of this gateway for one reason (the metric is cumulative: compare before and after an action). */
const resyncs = (url: string, reason: string): Promise<number> => readCounter(url, 'tickwire_bus_resyncs_total', { reason });
/** Resyncs that a hole in the bus stream can cause: a later frame shows it (gap) or a feed heartbeat does. */
const holeResyncs = async (url: string): Promise<number> => (await resyncs(url, 'gap')) + (await resyncs(url, 'heartbeat'));

const AAPL = 0;
const EURUSD = 1;
const BTCUSD = 2;
const MSFT = 3;
const NVDA = 4;

describe('gateway over the feed bus', () => {
  it('subscribes a symbol on the bus only while it has local subscribers', async () => {
    expect(bus.subscribed(marketDataSubject(MSFT))).toBe(false);
    const interestBefore = await resyncs(server.url, 'interest');
    const c = await client(['MSFT']);
    await c.waitFor(FrameType.Ack);
    expect(bus.subscribed(marketDataSubject(MSFT))).toBe(true);
    expect(bus.subscribed(marketDataSubject(BTCUSD))).toBe(false);
    c.close();
    // The linger (150 ms here) keeps it briefly for reconnects, then it is left.
    await waitFor(() => !bus.subscribed(marketDataSubject(MSFT)), { what: 'unsubscribed after the last subscriber left' });
    // Taking the symbol on was a sync of its own, counted as interest (exactly one: MSFT had no holder).
    expect((await resyncs(server.url, 'interest')) - interestBefore).toBe(1);
  });

  it('defers the snapshot of a symbol it does not hold yet, then streams from exactly that seq', async () => {
    const c = await client(['AAPL', 'EURUSD']);
    await c.waitFor(FrameType.Ack);
    const types = c.frames.map((r) => r.frame.type).filter((t) => t !== FrameType.Heartbeat);
    // Snapshots (both), then the Ack, then data: never a frame of a symbol before its snapshot.
    expect(types.slice(0, 4)).toEqual([FrameType.Hello, FrameType.Snapshot, FrameType.Snapshot, FrameType.Ack]);
    await waitFor(() => c.of(FrameType.Updates).length >= 10, { what: 'updates' });
    for (const id of [AAPL, EURUSD]) expect(continuity(c, id).gaps).toEqual([]);
    // Same state as the feed: the snapshot's seq was the feed's published seq at that moment.
    const snap = c.of(FrameType.Snapshot)[0]!.frame;
    expect(snap.seq).toBeGreaterThan(0);
    expect(snap.candles.length).toBe(4);
  });

  it('bridges a few lost frames with the feed’s recent ticks: no gap, no snapshot', async () => {
    const c = await client(['AAPL']);
    await waitFor(() => c.of(FrameType.Updates).length >= 3, { what: 'updates' });
    const holesBefore = await holeResyncs(server.url);
    const refreshesBefore = await readCounter(server.url, 'tickwire_bus_refreshes_total');
    bus.drop.set(marketDataSubject(AAPL), 3);
    await waitFor(() => !bus.drop.get(marketDataSubject(AAPL)), { what: 'frames dropped' });
    const mark = c.frames.length;
    await waitFor(() => c.frames.slice(mark).filter((r) => r.frame.type === FrameType.Updates).length >= 10, { what: 'updates after the hole' });
    const result = continuity(c, AAPL);
    expect(result.gaps).toEqual([]);
    expect(result.snapshots).toBe(1);
    // The hole was seen (by the next frame, or by a heartbeat when one came first) and bridged, not refreshed.
    expect((await holeResyncs(server.url)) - holesBefore).toBeGreaterThan(0);
    expect((await readCounter(server.url, 'tickwire_bus_refreshes_total')) - refreshesBefore).toBe(0);
  });

  it('sends a fresh snapshot when the hole is wider than the feed’s recent ticks', async () => {
    const c = await client(['AAPL']);
    await waitFor(() => c.of(FrameType.Updates).length >= 3, { what: 'updates' });
    // AAPL gets ~1/3 of 3000 ticks/s: a 1 s outage (snapshot requests fail too, so nothing repairs
    // it meanwhile) misses ~1000 ticks, more than the 512 the feed hands over.
    const refreshesBefore = await readCounter(server.url, 'tickwire_bus_refreshes_total');
    bus.setConnected(false);
    await new Promise((r) => setTimeout(r, 1000));
    bus.setConnected(true);
    await waitFor(() => c.of(FrameType.Snapshot).length >= 2, { what: 'a fresh snapshot' });
    await waitFor(() => c.frames.at(-1)!.frame.type === FrameType.Updates, { what: 'updates after the snapshot' });
    const result = continuity(c, AAPL);
    expect(result.gaps).toEqual([]);
    expect((await readCounter(server.url, 'tickwire_bus_refreshes_total')) - refreshesBefore).toBeGreaterThan(0);
  });

  it('a hole no later frame reveals is found by the feed heartbeat and repaired', async () => {
    const c = await client(['MSFT']);
    await waitFor(() => c.of(FrameType.Updates).length >= 3, { what: 'updates' });
    const heartbeatBefore = await resyncs(server.url, 'heartbeat');
    // Every MSFT frame is lost for 400 ms: only the heartbeats (every 150 ms) can tell the gateway.
    bus.blackhole.set(marketDataSubject(MSFT), Date.now() + 400);
    await eventually(async () => (await resyncs(server.url, 'heartbeat')) > heartbeatBefore, { what: 'a heartbeat resync of this hole' });
    await new Promise((r) => setTimeout(r, 500));
    const mark = c.frames.length;
    await waitFor(() => c.frames.slice(mark).some((r) => r.frame.type === FrameType.Updates), { what: 'updates after the hole' });
    expect(continuity(c, MSFT).gaps).toEqual([]);
  });

  it('keeps clients through a bus outage and resumes them without a hole', async () => {
    // Quieter symbols (~200 ticks/s each), so the outage stays well inside the 512 ticks the feed hands over.
    const c = await client(['MSFT', 'NVDA']);
    await waitFor(() => c.of(FrameType.Updates).length >= 3, { what: 'updates' });
    bus.setConnected(false);
    const mark = c.frames.length;
    await new Promise((r) => setTimeout(r, 100));
    // Heartbeats continue during the outage; the seqs in them stand still.
    await waitFor(() => c.frames.slice(mark).some((r) => r.frame.type === FrameType.Heartbeat), { what: 'heartbeat during outage' });
    bus.setConnected(true);
    await waitFor(() => c.frames.slice(mark).filter((r) => r.frame.type === FrameType.Updates).length >= 10, { what: 'updates after the outage' });
    for (const id of [MSFT, NVDA]) {
      // Bridged with the feed's recent ticks: still the one snapshot of the subscribe.
      expect(continuity(c, id)).toMatchObject({ gaps: [], snapshots: 1 });
    }
  });

  it('resumes a cursor on a symbol it did not hold: the missed ticks, no snapshot', async () => {
    const first = await client(['BTCUSD']);
    await waitFor(() => first.of(FrameType.Updates).length >= 2, { what: 'updates' });
    first.close();
    const seen = continuity(first, BTCUSD).lastSeq;
    // Let the gateway drop BTCUSD (linger 150 ms): the resume below syncs it afresh from the feed.
    await waitFor(() => !bus.subscribed(marketDataSubject(BTCUSD)), { what: 'BTCUSD dropped' });
    const second = await client(['BTCUSD'], { resume: formatCursor(feed.core.fanout.epoch, [[BTCUSD, seen]]), id: 2 });
    await second.waitFor(FrameType.Ack, (f) => f.requestId === 2);
    await waitFor(() => second.of(FrameType.Updates).length >= 2, { what: 'updates after resume' });
    expect(second.of(FrameType.Snapshot)).toHaveLength(0);
    const ticks = second.of(FrameType.Updates).flatMap((u) => u.frame.ticks);
    ticks.forEach((t, i) => expect(t.seq).toBe(seen + 1 + i));
  });

  it('answers a poll for a symbol it does not hold once synced', async () => {
    const answer = await pollOnce(server.url, 'symbols=USDJPY&history=3');
    expect(answer.status).toBe(200);
    expect(answer.frames.map((f) => f.frame.type)).toEqual([FrameType.Hello, FrameType.Snapshot]);
    const snap = answer.frames[1]!.frame;
    expect(snap.type === FrameType.Snapshot && snap.seq).toBeGreaterThan(0);
  });
});

describe('bounded pending', () => {
  it('drops and counts frames past the local bound; their symbols resync and clients see no hole', async () => {
    // 600 bytes hold about one AAPL frame: most batches overflow.
    const tight = await startServer(
      { candleCapacity: 100, defaultHistory: 5, resumeTicks: 200 },
      { bus: new FaultyBus(hub), gateway: { maxPendingBytes: 600 }, logger: silent },
    );
    const overflowBefore = await readCounter(tight.url, 'tickwire_bus_dropped_total', { reason: 'pending-overflow' });
    const holesBefore = await holeResyncs(tight.url);
    const c = await connectWs(tight.url);
    try {
      c.send(JSON.stringify({ op: 'subscribe', symbols: ['AAPL', 'EURUSD', 'BTCUSD', 'MSFT', 'NVDA'], history: 0, id: 1 }));
      await waitFor(() => c.of(FrameType.Updates).length >= 30, { what: 'updates' });
      // A server of its own: its counters hold only this test's events; still read as deltas from the start.
      expect((await readCounter(tight.url, 'tickwire_bus_dropped_total', { reason: 'pending-overflow' })) - overflowBefore).toBeGreaterThan(0);
      expect((await holeResyncs(tight.url)) - holesBefore).toBeGreaterThan(0);
      for (const id of [AAPL, EURUSD, BTCUSD, MSFT, NVDA]) expect(continuity(c, id).gaps).toEqual([]);
    } finally {
      c.close();
      await tight.close();
    }
  });
});

describe('feed restart', () => {
  it('moves to the new epoch and sends every holder a fresh snapshot', async () => {
    const c = await client(['AAPL', 'EURUSD']);
    await waitFor(() => c.of(FrameType.Updates).length >= 3, { what: 'updates' });
    const oldEpoch = feed.epoch;
    await feed.close();
    feed = await runFeed(FEED, hub, silent);
    expect(feed.epoch).not.toBe(oldEpoch);
    await waitFor(() => c.of(FrameType.Snapshot).filter((s) => s.frame.epoch === feed.epoch).length >= 2, { what: 'snapshots of the new epoch' });
    await waitFor(() => c.of(FrameType.Updates).some((u) => u.frame.epoch === feed.epoch), { what: 'updates of the new epoch' });
    for (const id of [AAPL, EURUSD]) {
      expect(continuity({ frames: c.frames.filter((r) => r.frame.epoch === feed.epoch) }, id).gaps).toEqual([]);
    }
    expect(server.fanout.epoch).toBe(feed.epoch);
    expect(((await httpJson(server.url, '/healthz')).body as { epoch: number }).epoch).toBe(feed.epoch);
  });
});
