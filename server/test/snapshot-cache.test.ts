// The shared snapshot cache and the per-connection byte budget: a cached frame is byte-identical to a
// fresh encoding of the same state, is never served once the state moved (ticks, a loaded feed snapshot,
// an epoch reset — even when seq stays the same), and memory stays within the stated slots.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeSnapshot } from '@tickwire/protocol/codec';
import { FrameType, type Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { SymbolState } from '@tickwire/core/market/symbol-state';
import { ByteBudget, AddressBudgets } from '../src/snapshot-budget.js';
import { SNAPSHOT_CACHE_SLOTS, SnapshotCache } from '@tickwire/core/snapshot-cache';

const instrument = { id: 3, ticker: 'TEST', name: 'Test', assetClass: 'equity', priceScale: 2, sizeScale: 0 };

function tick(seq: number, timeMs: number, price = 1000 + seq): Tick {
  return {
    symbolId: 3,
    flags: 0,
    seq,
    eventTimeMs: timeMs as EpochMs,
    price: price as PriceTicks,
    size: 1 as SizeLots,
    bid: (price - 1) as PriceTicks,
    ask: (price + 1) as PriceTicks,
  };
}

function seqOf(frame: Uint8Array): number {
  const d = decodeFrame(frame);
  if (!d.ok || d.value.type !== FrameType.Snapshot) throw new Error('not a snapshot');
  return d.value.seq;
}

describe('SnapshotCache', () => {
  it('shares one encoding per (symbol, history, state) and matches a fresh encoding byte for byte', () => {
    const state = new SymbolState(instrument, 100);
    for (let s = 1; s <= 50; s++) state.apply(tick(s, 1_000_000 + s * 700));
    const cache = new SnapshotCache();
    const a = cache.get(state, 7, 20, 5000);
    const b = cache.get(state, 7, 20, 9000);
    expect(b).toBe(a);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    expect(Buffer.from(a).equals(Buffer.from(encodeSnapshot(7, 5000, state.snapshot(20))))).toBe(true);
    // Another history length is another frame.
    expect(cache.get(state, 7, 0, 5000)).not.toBe(a);
  });

  it('never serves a stale seq after a tick', () => {
    const state = new SymbolState(instrument, 100);
    state.apply(tick(1, 1_000_000));
    const cache = new SnapshotCache();
    expect(seqOf(cache.get(state, 1, 10, 0))).toBe(1);
    for (let s = 2; s <= 30; s++) {
      state.apply(tick(s, 1_000_000 + s * 100));
      expect(seqOf(cache.get(state, 1, 10, 0))).toBe(s);
      expect(seqOf(cache.get(state, 1, 10, 0))).toBe(s);
    }
  });

  it('re-encodes when the state changed without seq moving (a loaded feed snapshot, an epoch reset)', () => {
    const state = new SymbolState(instrument, 100);
    for (let s = 1; s <= 5; s++) state.apply(tick(s, 1_000_000 + s * 1000));
    const cache = new SnapshotCache();
    const before = cache.get(state, 1, 10, 0);
    // Same seq, other candles and price: what a gateway re-syncing from a restarted feed can load.
    const other = state.snapshot(10);
    state.load({ ...other, last: 4242 as PriceTicks, candles: [{ intervalSec: 1, candles: [] }] });
    expect(state.seq).toBe(5);
    const after = cache.get(state, 1, 10, 0);
    expect(after).not.toBe(before);
    const d = decodeFrame(after);
    expect(d.ok && d.value.type === FrameType.Snapshot && d.value.last).toBe(4242);
    // The epoch is in every frame's header: a new epoch never gets the old bytes.
    const e2 = cache.get(state, 2, 10, 0);
    expect(decodeFrame(e2)).toMatchObject({ ok: true, value: { epoch: 2 } });
    state.reset();
    expect(cache.get(state, 2, 10, 0)).not.toBe(e2);
  });

  it('keeps at most SNAPSHOT_CACHE_SLOTS frames per symbol, dropping the least recently used', () => {
    const state = new SymbolState(instrument, 100);
    for (let s = 1; s <= 200; s++) state.apply(tick(s, 1_000_000 + s * 1000));
    const cache = new SnapshotCache();
    const keep = cache.get(state, 1, 100, 0);
    for (let h = 1; h <= 50; h++) {
      cache.get(state, 1, h, 0);
      cache.get(state, 1, 100, 0);
    }
    expect(cache.stats.entries).toBe(SNAPSHOT_CACHE_SLOTS);
    expect(cache.get(state, 1, 100, 0)).toBe(keep);
    // Bytes accounted match the frames held (bounded by slots x the largest snapshot).
    expect(cache.stats.bytes).toBeLessThanOrEqual(SNAPSHOT_CACHE_SLOTS * keep.length);
    expect(cache.stats.bytes).toBeGreaterThan(keep.length);
  });
});

describe('session figures', () => {
  it('start afresh with the first tick of a new epoch, volume included', () => {
    const state = new SymbolState(instrument, 100);
    for (let s = 1; s <= 5; s++) state.apply(tick(s, 1_000_000 + s * 1000));
    expect(state.snapshot(0).volume).toBe(5);
    state.reset();
    state.apply(tick(1, 2_000_000, 777));
    expect(state.snapshot(0)).toMatchObject({ seq: 1, open: 777, high: 777, low: 777, volume: 1, sessionStartMs: 2_000_000, candles: [] });
  });
});

describe('ByteBudget', () => {
  it('allows the burst, refuses more, refills at the stated rate', () => {
    const b = new ByteBudget({ burstBytes: 1000, bytesPerSecond: 100 }, 0);
    expect(b.take(600, 0)).toBe(true);
    expect(b.take(600, 0)).toBe(false);
    expect(b.waitMs(600, 0)).toBe(2000);
    expect(b.take(600, 1000)).toBe(false);
    expect(b.take(600, 2000)).toBe(true);
  });
  it('lets one reply larger than the burst through only from a full bucket, as debt', () => {
    const b = new ByteBudget({ burstBytes: 1000, bytesPerSecond: 100 }, 0);
    expect(b.take(5000, 0)).toBe(true);
    expect(b.take(1, 40_000)).toBe(false);
    expect(b.take(1, 50_000)).toBe(true);
  });
  it('AddressBudgets remembers a bounded number of addresses', () => {
    const budgets = new AddressBudgets({ burstBytes: 10, bytesPerSecond: 1 }, 2);
    expect(budgets.of('a', 0).take(10, 0)).toBe(true);
    expect(budgets.of('a', 0).take(10, 0)).toBe(false);
    budgets.of('b', 0);
    budgets.of('c', 0);
    // 'a' was forgotten (oldest): a fresh bucket.
    expect(budgets.of('a', 0).take(10, 0)).toBe(true);
  });
});
