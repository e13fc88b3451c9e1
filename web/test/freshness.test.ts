// Staleness rules with a fake clock: per-symbol "stale" after 3 heartbeat intervals without a frame
// covering the symbol, "feed stalled" when heartbeats arrive but trades stopped although the feed
// normally trades (client/src/freshness.ts), and how the store shows both on rows and in
// health() (web/src/lib/market/rows.ts, on the client's MarketFeed).
import { describe, expect, it } from 'vitest';
import { encodeHeartbeat, encodeSnapshot, encodeUpdates, type SnapshotBody } from '@tickwire/protocol/codec';
import type { Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { FRESHNESS, FeedWatch, staleAfterMs, symbolStaleness } from '@tickwire/client/freshness';
import { rowTooltip } from '../src/lib/market/rows.js';
import { marketHarness } from './market-harness.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const EPOCH = 3;

describe('symbolStaleness', () => {
  it('is fresh until 3 heartbeat intervals pass without a frame covering the symbol', () => {
    expect(staleAfterMs(1000)).toBe(3000);
    expect(symbolStaleness(T0, T0 + 2999, 1000, null)).toBeNull();
    expect(symbolStaleness(T0, T0 + 3000, 1000, null)).toEqual({ reason: 'silent', forMs: 3000 });
    expect(symbolStaleness(T0, T0 + 1400, 500, null)).toBeNull();
    expect(symbolStaleness(T0, T0 + 1500, 500, null)).toMatchObject({ reason: 'silent' });
  });

  it('reports a stalled feed for covered symbols, but silence on the symbol wins', () => {
    expect(symbolStaleness(T0, T0 + 500, 1000, 6000)).toEqual({ reason: 'feed', forMs: 6000 });
    expect(symbolStaleness(T0, T0 + 4000, 1000, 6000)).toEqual({ reason: 'silent', forMs: 4000 });
  });
});

describe('FeedWatch', () => {
  /** A feed trading every `gapMs` with a heartbeat every second, from T0 to `until`. */
  function trading(watch: FeedWatch, gapMs: number, until: number): number {
    let t = T0;
    for (; t <= until; t += gapMs) {
      watch.traded(t);
      if (Math.floor(t / 1000) !== Math.floor((t - gapMs) / 1000)) watch.heartbeat(t);
    }
    return t - gapMs;
  }

  it('calls the feed stalled once heartbeats keep coming but trades stop for 5 s', () => {
    const watch = new FeedWatch();
    const last = trading(watch, 20, T0 + 10_000);
    for (let t = last + 1000; t <= last + 8000; t += 1000) {
      watch.heartbeat(t);
      const stalled = watch.stalledFor(t, 1000);
      expect(stalled, `at +${t - last} ms`).toBe(t - last >= 5000 ? t - last : null);
    }
    watch.traded(last + 8500);
    expect(watch.stalledFor(last + 8500, 1000)).toBeNull();
  });

  it('is not stalled while heartbeats stop too: that is a connection problem, shown per symbol', () => {
    const watch = new FeedWatch();
    const last = trading(watch, 20, T0 + 10_000);
    watch.heartbeat(last);
    expect(watch.stalledFor(last + 2900, 1000)).toBeNull();
    expect(watch.stalledFor(last + 6000, 1000)).toBeNull();
  });

  it('needs a feed that normally trades: a few trades then silence is a quiet market', () => {
    const watch = new FeedWatch();
    for (let i = 0; i < FRESHNESS.feedWarmTrades - 1; i++) watch.traded(T0 + i * 20);
    watch.heartbeat(T0 + 9_000);
    expect(watch.stalledFor(T0 + 9_000, 1000)).toBeNull();
  });

  it('scales the threshold with how often the watched symbols normally trade', () => {
    const watch = new FeedWatch();
    const last = trading(watch, 2_000, T0 + 200_000); // one trade every 2 s: quiet symbols
    expect(watch.stallAfterMs()).toBeGreaterThan(15_000);
    watch.heartbeat(last + 9_000);
    expect(watch.stalledFor(last + 9_000, 1000)).toBeNull();
    watch.heartbeat(last + 30_000);
    expect(watch.stalledFor(last + 30_000, 1000)).toBe(30_000);
  });
});

function tick(seq: number, price: number, ms: number, size = 10): Tick {
  return {
    symbolId: 3,
    flags: 0,
    seq,
    eventTimeMs: ms as EpochMs,
    price: price as PriceTicks,
    size: size as SizeLots,
    bid: (price - 1) as PriceTicks,
    ask: (price + 1) as PriceTicks,
  };
}

function snapshot(seq: number, last: number): SnapshotBody {
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
    open: last as PriceTicks,
    high: last as PriceTicks,
    low: last as PriceTicks,
    volume: 1000,
    sessionStartMs: T0 as EpochMs,
    candles: [],
  };
}

function harness() {
  let now = T0;
  const {
    store,
    frame: feed,
    hello,
  } = marketHarness(() => now, [{ id: 3, ticker: 'MSFT', name: 'Microsoft', assetClass: 'equity', priceScale: 2, sizeScale: 0 }], ['MSFT']);
  hello(EPOCH);
  feed(encodeSnapshot(EPOCH, now, snapshot(100, 41_000)));
  let seq = 100;
  return {
    store,
    feed,
    advance: (ms: number) => (now += ms),
    now: () => now,
    trade: () => feed(encodeUpdates(EPOCH, now, [tick(++seq, 41_000 + (seq % 7), now)])),
    beat: () => feed(encodeHeartbeat(EPOCH, now, [{ symbolId: 3, seq }])),
    row: () => store.rows()[0]!,
  };
}

describe('MarketStore freshness', () => {
  it('marks a row stale after 3 s without a tick or a heartbeat, counts the seconds, clears on the next heartbeat', () => {
    const h = harness();
    h.advance(2_900);
    expect(h.store.freshnessChanged()).toBe(false);
    expect(h.row()).toMatchObject({ stale: null, staleLabel: '' });
    h.advance(100);
    expect(h.store.freshnessChanged()).toBe(true);
    expect(h.row()).toMatchObject({ stale: 'silent', staleLabel: 'stale 3s', staleNote: 'no data for 3 s', last: '410.00' });
    expect(h.store.health()).toEqual({ feedStalledSec: null, stale: { MSFT: 'no data for 3 s' }, silentCount: 1 });
    const health = h.store.health();
    expect(h.store.health()).toBe(health); // unchanged: the same object
    h.advance(500);
    expect(h.store.freshnessChanged()).toBe(false); // still "3 s": nothing to republish
    h.advance(500);
    expect(h.store.freshnessChanged()).toBe(true);
    expect(h.row().staleLabel).toBe('stale 4s');
    h.beat();
    expect(h.row()).toMatchObject({ stale: null, staleLabel: '' });
    expect(h.store.health().silentCount).toBe(0);
  });

  it('a tick clears it too; a quiet symbol covered by heartbeats never goes stale', () => {
    const h = harness();
    h.advance(3_500);
    expect(h.row().stale).toBe('silent');
    h.trade();
    expect(h.row().stale).toBeNull();
    for (let i = 0; i < 20; i++) {
      h.advance(1000);
      h.beat();
      expect(h.row().stale).toBeNull();
    }
    // The age of the last trade is what tells this quiet market from frozen data.
    expect(rowTooltip(h.row(), h.now())).toContain('last trade 20 s ago');
  });

  it('shows a stalled feed on every row and in health() while heartbeats flow without trades', () => {
    const h = harness();
    for (let i = 0; i < 200; i++) {
      h.advance(50);
      h.trade();
      if (i % 20 === 0) h.beat();
    }
    expect(h.row().stale).toBeNull();
    for (let s = 1; s <= 4; s++) {
      h.advance(1000);
      h.beat();
      expect(h.store.health().feedStalledSec).toBeNull();
    }
    h.advance(1000);
    h.beat();
    expect(h.store.freshnessChanged()).toBe(true);
    expect(h.store.health()).toMatchObject({ feedStalledSec: 5, silentCount: 0 });
    expect(h.row()).toMatchObject({ stale: 'feed', staleLabel: 'stale 5s' });
    expect(h.row().staleNote).toMatch(/feed stalled: no trades for 5 s/);
    h.trade();
    expect(h.store.health().feedStalledSec).toBeNull();
    expect(h.row().stale).toBeNull();
  });
});
