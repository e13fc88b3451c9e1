// The dashboard's store on the client's ingest (web/src/lib/market/store.ts on @tickwire/client
// MarketFeed), fed real frames from the shared codec: duplicates dropped, gaps and lost ticks trigger a
// fresh snapshot and show as a resync, an epoch change voids state until snapshots arrive, reconnect
// snapshots merge into the bars, rows flash, and a resumed session applies replayed ticks.
import { describe, expect, it } from 'vitest';
import { encodeHeartbeat, encodeSnapshot, encodeUpdates, type SnapshotBody } from '@tickwire/protocol/codec';
import { TickFlag, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots, UtcSeconds } from '@tickwire/protocol/units';
import { checkHeartbeat, classifyTick } from '@tickwire/client/sequence';
import { marketHarness } from './market-harness.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const EPOCH = 7;

function tick(seq: number, price: number, ms = T0 + seq * 100, flags = 0): Tick {
  return {
    symbolId: 3,
    flags,
    seq,
    eventTimeMs: ms as EpochMs,
    price: price as PriceTicks,
    size: 10 as SizeLots,
    bid: (price - 1) as PriceTicks,
    ask: (price + 1) as PriceTicks,
  };
}

function snapshot(seq: number, last: number, candles: Array<[number, number]> = []): SnapshotBody {
  return {
    symbolId: 3,
    ticker: 'MSFT',
    priceScale: 2,
    sizeScale: 0,
    seq,
    lastTimeMs: T0 as EpochMs,
    last: last as PriceTicks,
    lastSize: 1 as SizeLots,
    bid: (last - 1) as PriceTicks,
    ask: (last + 1) as PriceTicks,
    open: 40_000 as PriceTicks,
    high: last as PriceTicks,
    low: last as PriceTicks,
    volume: 1000,
    sessionStartMs: T0 as EpochMs,
    candles: [
      {
        intervalSec: 1,
        candles: candles.map(([time, close]) => ({
          time: time as UtcSeconds,
          open: close as PriceTicks,
          high: close as PriceTicks,
          low: close as PriceTicks,
          close: close as PriceTicks,
          volume: 5,
        })),
      },
    ],
  };
}

const MSFT = { id: 3, ticker: 'MSFT', name: 'Microsoft', assetClass: 'equity', priceScale: 2, sizeScale: 0 };

function harness() {
  let now = T0;
  const m = marketHarness(() => now, [MSFT], ['MSFT']);
  return {
    store: m.store,
    resyncs: m.resyncs,
    feed: m.frame,
    hello: (epoch = EPOCH) => m.hello(epoch),
    advance: (ms: number) => (now += ms),
    /** The dashboard's symbol state with the client's seq state over it. */
    sym: () => ({ ...m.store.symbol('MSFT')!, ...m.feed.symbol('MSFT')! }),
    bars: () => m.store.book('MSFT', 1)!.bars,
  };
}

describe('classifyTick / checkHeartbeat', () => {
  const ready = () => ({ ready: true, epoch: 1, seq: 10 });
  it('classifies by seq and epoch', () => {
    expect(classifyTick(ready(), 1, 11, 0)).toBe('apply');
    expect(classifyTick(ready(), 1, 10, 0)).toBe('duplicate');
    expect(classifyTick(ready(), 1, 3, 0)).toBe('duplicate');
    expect(classifyTick(ready(), 1, 13, 0)).toBe('gap');
    expect(classifyTick(ready(), 1, 13, TickFlag.Conflated)).toBe('conflated');
    expect(classifyTick(ready(), 1, 11, TickFlag.Conflated)).toBe('conflated');
    expect(classifyTick(ready(), 1, 9, TickFlag.Conflated)).toBe('duplicate');
    expect(classifyTick(ready(), 2, 11, 0)).toBe('epoch');
    expect(classifyTick({ ...ready(), ready: false }, 1, 11, 0)).toBe('not-ready');
  });
  it('flags lost ticks on the first heartbeat naming a seq we lack (heartbeats follow their frames)', () => {
    const s = ready();
    expect(checkHeartbeat(s, 1, 10)).toBe('ok');
    expect(checkHeartbeat(s, 1, 9)).toBe('ok');
    expect(checkHeartbeat(s, 1, 11)).toBe('lost');
    expect(checkHeartbeat(s, 2, 10)).toBe('epoch');
    expect(checkHeartbeat({ ...s, ready: false }, 1, 99)).toBe('not-ready');
  });
});

describe('MarketStore', () => {
  it('shows a snapshot at once, then applies in-sequence ticks', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    expect(h.store.rows()[0]).toMatchObject({ ticker: 'MSFT', status: 'live', last: '410.00', change: '+10.00', changePct: '+2.50%' });
    h.feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010), tick(102, 40_990)]));
    expect(h.sym().seq).toBe(102);
    expect(h.store.rows()[0]).toMatchObject({ last: '409.90', bid: '409.89', ask: '409.91', trend: 1 });
    expect(h.store.tape('MSFT').map((t) => [t.price, t.dir])).toEqual([
      ['409.90', -1],
      ['410.10', 1],
    ]);
  });

  it('a symbol with no trade yet (a new ingested one) opens at its first trade: no change against zero', () => {
    const h = harness();
    h.hello();
    const empty = { ...snapshot(0, 0), open: 0 as PriceTicks, lastTimeMs: 0 as EpochMs, volume: 0, candles: [] };
    h.feed(encodeSnapshot(EPOCH, T0, empty));
    h.feed(encodeUpdates(EPOCH, T0, [tick(1, 1_224)]));
    expect(h.store.rows()[0]).toMatchObject({ last: '12.24', change: '0.00', changePct: '0.00%' });
    h.feed(encodeUpdates(EPOCH, T0, [tick(2, 1_230)]));
    expect(h.store.rows()[0]).toMatchObject({ last: '12.30', change: '+0.06' });
  });

  it('drops duplicates without touching state', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010)]));
    const volume = h.sym().volume;
    h.feed(encodeUpdates(EPOCH, T0, [tick(100, 1), tick(101, 2)]));
    expect(h.sym().last).toBe(41_010);
    expect(h.sym().volume).toBe(volume);
    expect(h.store.stats.duplicates).toBe(2);
  });

  it('ignores ticks until the snapshot arrives (they are folded into it)', () => {
    const h = harness();
    h.hello();
    h.feed(encodeUpdates(EPOCH, T0, [tick(99, 1)]));
    expect(h.sym().seeded).toBe(false);
  });

  it('on a gap asks for a fresh snapshot and ignores ticks until it arrives', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010), tick(105, 41_050), tick(106, 41_060)]));
    expect(h.resyncs).toEqual([['MSFT']]);
    expect(h.sym().ready).toBe(false);
    expect(h.sym().last).toBe(41_010);
    expect(h.store.rows()[0]?.status).toBe('resync');
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(106, 41_060)));
    h.feed(encodeUpdates(EPOCH, T0, [tick(107, 41_070)]));
    expect(h.sym().seq).toBe(107);
    expect(h.store.stats.gaps).toBe(1);
  });

  it('accepts a conflated seq jump', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeUpdates(EPOCH, T0, [tick(150, 41_500, T0 + 100, TickFlag.Conflated)]));
    expect(h.sym().seq).toBe(150);
    expect(h.resyncs).toEqual([]);
    expect(h.store.stats).toMatchObject({ gaps: 0, conflations: 1 });
  });

  it('detects lost ticks from the first heartbeat naming a higher seq, and repairs them with a snapshot', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeHeartbeat(EPOCH, T0, [{ symbolId: 3, seq: 100 }]));
    expect(h.resyncs).toEqual([]);
    h.feed(encodeHeartbeat(EPOCH, T0, [{ symbolId: 3, seq: 103 }]));
    expect(h.resyncs).toEqual([['MSFT']]);
    expect(h.store.rows()[0]).toMatchObject({ status: 'resync', mark: null });
    // Ticks until the snapshot are covered by it.
    h.feed(encodeUpdates(EPOCH, T0, [tick(104, 1)]));
    expect(h.sym().last).toBe(41_000);
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(104, 41_040)));
    expect(h.sym()).toMatchObject({ ready: true, seq: 104, last: 41_040 });
    expect(h.store.rows()[0]).toMatchObject({ status: 'live', mark: 'resynced' });
    h.advance(4_000);
    expect(h.store.freshnessChanged()).toBe(true);
    expect(h.store.rows()[0]?.mark).toBeNull();
    expect(h.store.stats).toMatchObject({ gaps: 1, resyncs: 1 });
  });

  it('on an epoch change drops seq state and waits for snapshots, asking if none come', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeUpdates(EPOCH + 1, T0, [tick(1, 50_000)]));
    expect(h.sym().ready).toBe(false);
    expect(h.sym().last).toBe(41_000);
    expect(h.resyncs).toEqual([]);
    h.advance(3_000);
    h.feed(encodeHeartbeat(EPOCH + 1, T0, []));
    expect(h.resyncs).toEqual([['MSFT']]);
    h.feed(encodeSnapshot(EPOCH + 1, T0, snapshot(1, 50_000)));
    h.feed(encodeUpdates(EPOCH + 1, T0, [tick(2, 50_010)]));
    expect(h.sym()).toMatchObject({ ready: true, epoch: EPOCH + 1, seq: 2, last: 50_010 });
  });

  it('reconnect: a fresh snapshot merges into the bars without duplicated or missing times', () => {
    const h = harness();
    const sec = T0 / 1000;
    h.hello();
    h.feed(
      encodeSnapshot(
        EPOCH,
        T0,
        snapshot(100, 41_000, [
          [sec - 2, 40_990],
          [sec - 1, 41_000],
        ]),
      ),
    );
    // Live ticks at sec, sec+1 (bar sec+1 is cut short by the disconnect).
    h.feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010, T0 + 100), tick(102, 41_020, T0 + 1_100)]));
    expect(h.bars().map((b) => b.time)).toEqual([sec - 2, sec - 1, sec, sec + 1]);
    // New connection: the snapshot covers sec-1 .. sec+3, including what was missed.
    h.hello();
    h.feed(encodeUpdates(EPOCH, T0, [tick(103, 1)])); // a stale frame of the old stream: ignored
    h.feed(
      encodeSnapshot(
        EPOCH,
        T0,
        snapshot(110, 41_100, [
          [sec - 1, 41_000],
          [sec, 41_010],
          [sec + 1, 41_030],
          [sec + 2, 41_050],
          [sec + 3, 41_100],
        ]),
      ),
    );
    h.feed(encodeUpdates(EPOCH, T0, [tick(111, 41_110, T0 + 3_500), tick(112, 41_120, T0 + 4_200)]));
    const bars = h.bars();
    expect(bars.map((b) => b.time)).toEqual([sec - 2, sec - 1, sec, sec + 1, sec + 2, sec + 3, sec + 4]);
    expect(bars[4]?.close).toBe(41_050);
    expect(bars[5]?.close).toBe(41_110);
    expect(bars[6]?.open).toBe(41_120);
  });

  it('marks refused symbols and keeps unchanged rows identical between frames', () => {
    const h = harness();
    h.store.setWatched(['MSFT', 'NOPE']);
    h.store.markRejected(['NOPE'], 'unknown symbol');
    const first = h.store.rows();
    expect(first[1]).toMatchObject({ ticker: 'NOPE', status: 'rejected', note: 'unknown symbol' });
    const second = h.store.rows();
    expect(second).toBe(first);
  });
});

describe('MarketStore conflated records', () => {
  it('apply as the new last/bid/ask and move the current bar without adding the skipped volume', () => {
    const h = harness();
    const sec = T0 / 1000;
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000, [[sec, 41_000]])));
    h.feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010, T0 + 100)]));
    const volume = h.sym().volume;
    const barVolume = h.bars().at(-1)!.volume;
    // The client fell behind: the server skipped 102..149 and sends the latest state as seq 150.
    h.feed(encodeUpdates(EPOCH, T0 + 900, [{ ...tick(150, 41_090, T0 + 800), size: 7 as SizeLots, flags: TickFlag.Conflated }]));
    expect(h.resyncs).toEqual([]);
    expect(h.sym()).toMatchObject({ ready: true, seq: 150, last: 41_090, bid: 41_089, ask: 41_091, lastSize: 7 });
    expect(h.sym().volume).toBe(volume);
    expect(h.bars().at(-1)).toMatchObject({ time: sec, close: 41_090, high: 41_090, volume: barVolume });
    expect(h.store.rows()[0]).toMatchObject({ status: 'live', last: '410.90', mark: 'conflated' });
    expect(h.store.tape('MSFT')[0]).toMatchObject({ key: 150, price: '410.90', dir: 1 });
    expect(h.store.stats).toMatchObject({ gaps: 0, resyncs: 0, conflations: 1 });
    // Full ticks resume right after the jump; a later conflated record in a new second opens a bar
    // with its price and no volume.
    h.feed(encodeUpdates(EPOCH, T0, [tick(151, 41_080, T0 + 950)]));
    expect(h.sym().seq).toBe(151);
    expect(h.sym().volume).toBe(volume + 10);
    h.feed(encodeUpdates(EPOCH, T0, [{ ...tick(170, 40_950, T0 + 2_300), flags: TickFlag.Conflated }]));
    expect(h.bars().at(-1)).toEqual({ time: sec + 2, open: 40_950, high: 40_950, low: 40_950, close: 40_950, volume: 0 });
    expect(h.sym().low).toBe(40_950);
    expect(h.store.stats.conflations).toBe(2);
  });

  it('is not a gap even when the jump is one, and an older conflated record is a duplicate', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeUpdates(EPOCH, T0, [{ ...tick(101, 41_020), flags: TickFlag.Conflated }]));
    h.feed(encodeUpdates(EPOCH, T0, [{ ...tick(99, 1), flags: TickFlag.Conflated }]));
    expect(h.sym()).toMatchObject({ seq: 101, last: 41_020 });
    expect(h.store.stats).toMatchObject({ gaps: 0, duplicates: 1 });
  });

  it('a heartbeat after the jump is consistent with it (no repair)', () => {
    const h = harness();
    h.hello();
    h.feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    h.feed(encodeUpdates(EPOCH, T0, [{ ...tick(180, 41_020), flags: TickFlag.Conflated }]));
    h.feed(encodeHeartbeat(EPOCH, T0, [{ symbolId: 3, seq: 180 }]));
    expect(h.resyncs).toEqual([]);
  });
});

describe('MarketStore row flashes', () => {
  it('flashes a row when its price moves, clears it after a moment, and never flashes rows just because the list changed', () => {
    let now = T0;
    const m = marketHarness(() => now, [MSFT, { id: 4, ticker: 'AAPL', name: 'Apple', assetClass: 'equity', priceScale: 2, sizeScale: 0 }], ['MSFT']);
    const { store, frame: feed } = m;
    m.hello(EPOCH);
    feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    expect(store.rows()[0]?.flash).toBe(0);
    now += 1000;
    feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010)]));
    expect(store.rows()[0]?.flash).toBe(1);
    expect(store.hasFlash()).toBe(true);
    now += 400;
    expect(store.rows()[0]?.flash).toBe(0);
    now += 1000;
    feed(encodeUpdates(EPOCH, T0, [tick(102, 40_990)]));
    expect(store.rows()[0]?.flash).toBe(-1);
    now += 400;
    expect(store.rows()[0]?.flash).toBe(0);
    // A move inside the throttle window is shown without a flash...
    now += 100;
    feed(encodeUpdates(EPOCH, T0, [tick(103, 40_950)]));
    expect(store.rows()[0]).toMatchObject({ last: '409.50', flash: 0 });
    // ...and a later rebuild of every row (the list changed) does not flash it after the fact.
    now += 1000;
    m.watch(['MSFT', 'AAPL']);
    expect(store.rows().map((r) => r.flash)).toEqual([0, 0]);
  });
});

describe('MarketStore resume', () => {
  function resumable() {
    const m = marketHarness(() => T0, [MSFT], ['MSFT']);
    return { store: m.store, feed: m.frame, hello: m.hello, client: m.feed };
  }

  it('offers a cursor of what it holds and, in the same epoch, applies the replayed ticks without a snapshot', () => {
    const { store, feed, hello, client } = resumable();
    expect(client.resumeCursor(['MSFT'])).toBeNull(); // nothing held yet
    hello(EPOCH, false);
    feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    feed(encodeUpdates(EPOCH, T0, [tick(101, 41_010)]));
    expect(client.resumeCursor(['MSFT'])).toBe(`e${EPOCH.toString(36)}-3.${(101).toString(36)}`);
    hello(EPOCH, true);
    expect(client.symbol('MSFT')!.ready).toBe(true);
    feed(encodeUpdates(EPOCH, T0, [tick(102, 41_020), tick(103, 41_030)]));
    expect(client.symbol('MSFT')!.seq).toBe(103);
    expect(store.tape('MSFT').map((t) => t.key)).toEqual([103, 102, 101]);
  });

  it('drops held state when the new connection is another epoch, or the cursor was not offered', () => {
    const { feed, hello, client } = resumable();
    hello(EPOCH, false);
    feed(encodeSnapshot(EPOCH, T0, snapshot(100, 41_000)));
    client.resumeCursor(['MSFT']);
    hello(EPOCH + 1, true);
    expect(client.symbol('MSFT')!.ready).toBe(false);
    feed(encodeSnapshot(EPOCH + 1, T0, snapshot(5, 41_000)));
    client.resumeCursor(['MSFT']);
    hello(EPOCH + 1, false);
    expect(client.symbol('MSFT')!.ready).toBe(false);
  });
});
