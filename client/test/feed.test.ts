// The client's ingest (client/src/feed.ts) on scripted frames: decoded ticks in the instrument's units
// beside the raw records, gaps found in Updates and in Heartbeats and repaired by one rate-limited
// re-subscribe, epoch changes, resume cursors across a reconnect, conflated records, stale events.
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeHeader, encodeHeartbeat, encodeHello, encodeSnapshot, encodeUpdates, type SnapshotBody } from '@tickwire/protocol/codec';
import { FrameType, TickFlag, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots, UtcSeconds } from '@tickwire/protocol/units';
import { MarketFeed, RESYNC_AFTER_MS, type ResyncEvent, type StaleEvent } from '../src/feed.js';
import type { PriceTick, SnapshotEvent } from '../src/decoded.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const EPOCH = 9;

const rec = (seq: number, price: number, flags = 0): Tick => ({
  symbolId: 7,
  flags,
  seq,
  eventTimeMs: (T0 + seq) as EpochMs,
  price: price as PriceTicks,
  size: 1500 as SizeLots,
  bid: (price - 2) as PriceTicks,
  ask: (price + 2) as PriceTicks,
});

const snap = (seq: number, last: number): SnapshotBody => ({
  symbolId: 7,
  ticker: 'EURUSD',
  priceScale: 5,
  sizeScale: 3,
  seq,
  lastTimeMs: T0 as EpochMs,
  last: last as PriceTicks,
  lastSize: 1000 as SizeLots,
  bid: (last - 2) as PriceTicks,
  ask: (last + 2) as PriceTicks,
  open: 108_000 as PriceTicks,
  high: last as PriceTicks,
  low: last as PriceTicks,
  volume: 25_500,
  sessionStartMs: T0 as EpochMs,
  candles: [
    {
      intervalSec: 60,
      candles: [
        {
          time: (T0 / 1000) as UtcSeconds,
          open: 108_000 as PriceTicks,
          high: 108_400 as PriceTicks,
          low: 107_900 as PriceTicks,
          close: last as PriceTicks,
          volume: 2500,
        },
      ],
    },
  ],
});

function setup() {
  let now = T0;
  const resyncRequests: string[][] = [];
  const feed = new MarketFeed({ requestResync: (t) => resyncRequests.push(t), now: () => now });
  feed.setSymbols(['EURUSD']);
  const snapshots: SnapshotEvent[] = [];
  const ticks: PriceTick[] = [];
  const records: Array<{ seq: number; price: number; conflated: boolean }> = [];
  const resyncs: ResyncEvent[] = [];
  const stales: StaleEvent[] = [];
  feed.on('snapshot', (s) => snapshots.push(s));
  feed.on('ticks', (batch) => ticks.push(...batch));
  feed.on('record', (r, _s, _h, conflated) => records.push({ seq: r.seq, price: r.price, conflated }));
  feed.on('resync', (e) => resyncs.push(e));
  feed.on('stale', (e) => stales.push(e));
  const frame = (bytes: Uint8Array) => {
    const head = decodeHeader(bytes);
    if (!head.ok) throw new Error(head.error);
    feed.frame(bytes, head.value);
  };
  const hello = (epoch: number, resumed: boolean) => {
    const f = decodeFrame(encodeHello(epoch, now, { heartbeatMs: 1000, maxSymbols: 100, sessionId: 's', serverId: 'x' }));
    if (!f.ok || f.value.type !== FrameType.Hello) throw new Error('hello');
    feed.sessionStarted(f.value, resumed);
  };
  return { feed, frame, hello, snapshots, ticks, records, resyncs, stales, resyncRequests, advance: (ms: number) => (now += ms) };
}

describe('MarketFeed', () => {
  it('delivers snapshots and ticks in the instrument units, and the raw records beside them', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_345)));
    h.frame(encodeUpdates(EPOCH, T0 + 5, [rec(11, 108_350), rec(12, 108_340)]));
    expect(h.snapshots).toHaveLength(1);
    expect(h.snapshots[0]).toMatchObject({ ticker: 'EURUSD', seq: 10, last: 1.08345, bid: 1.08343, volume: 25.5, repaired: false, epochChanged: false });
    expect(h.snapshots[0]?.candles.get(60)).toEqual([{ time: T0 / 1000, open: 1.08, high: 1.084, low: 1.079, close: 1.08345, volume: 2.5 }]);
    expect(h.ticks.length).toBeGreaterThan(0);
    expect(h.ticks).toEqual([
      { ticker: 'EURUSD', symbolId: 7, seq: 11, timeMs: T0 + 11, price: 1.0835, size: 1.5, bid: 1.08348, ask: 1.08352, conflated: false, sendTimeMs: T0 + 5 },
      { ticker: 'EURUSD', symbolId: 7, seq: 12, timeMs: T0 + 12, price: 1.0834, size: 1.5, bid: 1.08338, ask: 1.08342, conflated: false, sendTimeMs: T0 + 5 },
    ]);
    expect(h.records).toEqual([
      { seq: 11, price: 108_350, conflated: false },
      { seq: 12, price: 108_340, conflated: false },
    ]);
  });

  it('finds lost ticks in a heartbeat, asks for one snapshot (rate-limited), and marks the snapshot that repairs them', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    h.frame(encodeHeartbeat(EPOCH, T0, [{ symbolId: 7, seq: 10 }]));
    expect(h.resyncRequests).toEqual([]);
    h.frame(encodeHeartbeat(EPOCH, T0, [{ symbolId: 7, seq: 14 }]));
    expect(h.resyncs).toEqual([{ ticker: 'EURUSD', reason: 'gap' }]);
    expect(h.resyncRequests).toEqual([['EURUSD']]);
    expect(h.feed.symbol('EURUSD')?.ready).toBe(false);
    // Ticks before the repair are covered by it; a second heartbeat does not ask again within the window.
    h.frame(encodeUpdates(EPOCH, T0, [rec(15, 1)]));
    h.frame(encodeHeartbeat(EPOCH, T0, [{ symbolId: 7, seq: 15 }]));
    expect(h.records).toEqual([]);
    expect(h.resyncRequests).toHaveLength(1);
    h.frame(encodeSnapshot(EPOCH, T0, snap(15, 108_100)));
    expect(h.snapshots.at(-1)).toMatchObject({ seq: 15, repaired: true });
    h.frame(encodeUpdates(EPOCH, T0, [rec(16, 108_110)]));
    expect(h.records.map((r) => r.seq)).toEqual([16]);
    expect(h.feed.counters).toMatchObject({ gaps: 1, resyncs: 1, snapshots: 2 });
  });

  it('a seq jump in Updates is a gap; a conflated jump is not; older records are duplicates', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    h.frame(encodeUpdates(EPOCH, T0, [rec(30, 108_300, TickFlag.Conflated), rec(30, 1), rec(31, 108_310)]));
    expect(h.records).toEqual([
      { seq: 30, price: 108_300, conflated: true },
      { seq: 31, price: 108_310, conflated: false },
    ]);
    expect(h.ticks[0]?.conflated).toBe(true);
    h.frame(encodeUpdates(EPOCH, T0, [rec(33, 1)]));
    expect(h.resyncRequests).toEqual([['EURUSD']]);
    expect(h.feed.counters).toMatchObject({ duplicates: 1, conflations: 1, gaps: 1 });
  });

  it('an epoch change voids the symbol and waits for the server, then asks if no snapshot comes', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    h.frame(encodeUpdates(EPOCH + 1, T0, [rec(1, 1)]));
    expect(h.resyncs).toEqual([{ ticker: 'EURUSD', reason: 'epoch' }]);
    expect(h.resyncRequests).toEqual([]);
    h.advance(RESYNC_AFTER_MS);
    h.frame(encodeHeartbeat(EPOCH + 1, T0, []));
    expect(h.resyncRequests).toEqual([['EURUSD']]);
    h.frame(encodeSnapshot(EPOCH + 1, T0, snap(1, 108_000)));
    expect(h.snapshots.at(-1)).toMatchObject({ epoch: EPOCH + 1, repaired: true, epochChanged: true });
  });

  it('resumes across a reconnect in the same epoch (replayed ticks apply), not across an epoch change', () => {
    const h = setup();
    expect(h.feed.resumeCursor(['EURUSD'])).toBeNull();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    h.frame(encodeUpdates(EPOCH, T0, [rec(11, 108_010)]));
    expect(h.feed.resumeCursor(['EURUSD'])).toBe(`e${EPOCH.toString(36)}-7.${(11).toString(36)}`);
    h.hello(EPOCH, true);
    h.frame(encodeUpdates(EPOCH, T0, [rec(12, 108_020)]));
    expect(h.records.map((r) => r.seq)).toEqual([11, 12]);
    h.feed.resumeCursor(['EURUSD']);
    h.hello(EPOCH + 1, true);
    expect(h.feed.symbol('EURUSD')?.ready).toBe(false);
    // Offered but not resumed (the server would not take the cursor): void too.
    h.frame(encodeSnapshot(EPOCH + 1, T0, snap(3, 108_000)));
    h.feed.resumeCursor(['EURUSD']);
    h.hello(EPOCH + 1, false);
    expect(h.feed.symbol('EURUSD')?.ready).toBe(false);
  });

  it('reports a symbol stale after three silent heartbeat intervals, and fresh again when data covers it', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    h.feed.checkStaleness();
    expect(h.stales).toEqual([]);
    h.advance(3_000);
    h.feed.checkStaleness();
    h.feed.checkStaleness();
    expect(h.stales).toEqual([{ ticker: 'EURUSD', stale: { reason: 'silent', forMs: 3_000 } }]);
    h.frame(encodeHeartbeat(EPOCH, T0, [{ symbolId: 7, seq: 10 }]));
    h.feed.checkStaleness();
    expect(h.stales.at(-1)).toEqual({ ticker: 'EURUSD', stale: null });
    expect(h.stales).toHaveLength(2);
  });

  it('marks one symbol whose source stopped trading while the rest of the feed trades on (an ingest producer gone quiet)', () => {
    const h = setup();
    h.feed.setSymbols(['EURUSD', 'ACME']);
    h.hello(EPOCH, false);
    const acme = (seq: number, price: number): Tick => ({ ...rec(seq, price), symbolId: 8 });
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    h.frame(encodeSnapshot(EPOCH, T0, { ...snap(10, 5_000), symbolId: 8, ticker: 'ACME' }));
    let now = T0;
    let seq = 10;
    /** `ms` of 50 ms frames: EURUSD trades in each, ACME too while `acmeTrades`; a heartbeat naming both every second. */
    const run = (ms: number, acmeTrades: boolean) => {
      for (let t = 0; t < ms; t += 50) {
        now = h.advance(50);
        seq++;
        h.frame(encodeUpdates(EPOCH, now, acmeTrades ? [rec(seq, 108_000 + (seq % 5)), acme(seq, 5_000 + (seq % 3))] : [rec(seq, 108_000 + (seq % 5))]));
        if (seq % 20 === 0)
          h.frame(
            encodeHeartbeat(EPOCH, now, [
              { symbolId: 7, seq },
              { symbolId: 8, seq: acmeTrades ? seq : acmeSeq },
            ]),
          );
      }
    };
    run(10_000, true);
    const acmeSeq = seq;
    expect(h.feed.staleness('ACME')).toBeNull();
    run(4_000, false);
    expect(h.feed.staleness('ACME'), 'four seconds: not yet').toBeNull();
    run(3_000, false);
    expect(h.feed.staleness('ACME')).toMatchObject({ reason: 'feed' });
    expect(h.feed.staleness('ACME')!.forMs).toBeGreaterThanOrEqual(5_000);
    expect(h.feed.staleness('EURUSD')).toBeNull();
    expect(h.feed.feedStalledFor()).toBeNull();
    // Its next trade clears it.
    seq++;
    h.frame(encodeUpdates(EPOCH, now, [acme(acmeSeq + 1, 5_001)]));
    expect(h.feed.staleness('ACME')).toBeNull();
  });

  it('drops state of unsubscribed symbols and ignores their late snapshots; refused symbols are never re-asked', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.feed.setSymbols([]);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    expect(h.snapshots).toEqual([]);
    h.feed.setInstruments([{ id: 7, ticker: 'EURUSD', name: 'Euro', assetClass: 'fx', priceScale: 5, sizeScale: 3 }]);
    h.feed.setSymbols(['EURUSD']);
    h.feed.reject(['EURUSD'], 'unknown symbol');
    h.advance(RESYNC_AFTER_MS * 2);
    h.frame(encodeHeartbeat(EPOCH, T0, []));
    expect(h.resyncRequests).toEqual([]);
  });
});

describe('feed stall with nothing followed', () => {
  it('an emptied symbol list is not a stalled feed, and a new list warms up afresh', () => {
    const h = setup();
    h.hello(EPOCH, false);
    h.frame(encodeSnapshot(EPOCH, T0, snap(10, 108_000)));
    for (let seq = 11; seq <= 40; seq++) {
      h.advance(100);
      h.frame(encodeUpdates(EPOCH, T0 + seq * 100, [rec(seq, 108_000 + seq)]));
    }
    // Control: trades stop while heartbeats go on — a stall.
    for (let i = 0; i < 8; i++) {
      h.advance(1000);
      h.frame(encodeHeartbeat(EPOCH, T0, [{ symbolId: 7, seq: 40 }]));
    }
    expect(h.feed.feedStalledFor()).not.toBeNull();
    // The user removes the last symbol: heartbeats (now empty) keep arriving, nothing is traded, nothing stalls.
    h.feed.setSymbols([]);
    for (let i = 0; i < 8; i++) {
      h.advance(1000);
      h.frame(encodeHeartbeat(EPOCH, T0, []));
    }
    expect(h.feed.feedStalledFor()).toBeNull();
    // A symbol added again starts without the old silence held against it.
    h.feed.setSymbols(['EURUSD']);
    h.advance(1000);
    h.frame(encodeHeartbeat(EPOCH, T0, [{ symbolId: 7, seq: 40 }]));
    expect(h.feed.feedStalledFor()).toBeNull();
  });
});
