// A symbol's history rings: the generated past goes under bars live ticks already made (seeding runs after
// start-up) with the bar at the seam merged into one, and a restart's saved state or a gateway's snapshot
// refills them from the snapshot rings so live bars since the feed began are kept.
import { describe, expect, it } from 'vitest';
import type { Tick } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots } from '@tickwire/protocol/units';
import { SymbolState, type PastBarColumns } from '../src/market/symbol-state.js';

const INFO = { id: 0, ticker: 'TEST', name: 'Test', assetClass: 'equity', priceScale: 2, sizeScale: 0 };
const T0 = 1_800_000_000_000 + 30_500; // the past ends mid-minute

function tick(seq: number, timeMs: number, price: number, size = 1): Tick {
  return {
    symbolId: 0,
    flags: 0,
    seq,
    eventTimeMs: timeMs as EpochMs,
    price: price as PriceTicks,
    size: size as SizeLots,
    bid: (price - 1) as PriceTicks,
    ask: (price + 1) as PriceTicks,
  };
}

/** 1 m bars for the two hours before T0 (the newest one partial), closing at 1000. */
function past(): PastBarColumns {
  const end = Math.floor(T0 / 60_000) * 60;
  const time = Array.from({ length: 120 }, (_, k) => end - (119 - k) * 60);
  const close = time.map((_, k) => (k === 119 ? 1000 : 900 + k));
  const open = close.map((c, k) => (k === 0 ? c : close[k - 1]!));
  return {
    length: 120,
    time,
    step: time.map(() => 60),
    open,
    high: close.map((c, k) => Math.max(c, open[k]!) + 2),
    low: close.map((c, k) => Math.min(c, open[k]!) - 2),
    close,
    volume: time.map(() => 10),
  };
}

describe('SymbolState history rings', () => {
  it('puts the past under live bars, merging the bar at the seam, every interval strictly increasing', () => {
    const s = new SymbolState(INFO, 100);
    for (let k = 0; k < 200; k++) s.apply(tick(k + 1, T0 + 1 + k * 1000, 1000 + (k % 7)));
    s.loadPast(past());
    const m1 = s.historyRing(60)!.latest(1000);
    for (let i = 1; i < m1.length; i++) expect(m1[i]!.time).toBeGreaterThan(m1[i - 1]!.time);
    const seam = m1.find((b) => b.time === Math.floor(T0 / 60_000) * 60)!;
    expect(seam.open).toBe(past().open[119]);
    expect(seam.volume).toBe(10 + 30); // the past's part and the 30 live ticks of the rest of that minute
    expect(m1).toHaveLength(120 + 3);
    for (const interval of [1, 5, 300, 900, 3600, 14_400, 86_400]) {
      const bars = s.historyRing(interval)!.latest(10_000);
      for (let i = 1; i < bars.length; i++) expect(bars[i]!.time).toBeGreaterThan(bars[i - 1]!.time);
      for (const b of bars) expect(b.time % interval).toBe(0);
    }
    // 1 s bars come from live ticks only (the past has no 1 s step here).
    expect(s.historyRing(1)!.length).toBe(200);
  });

  it('refills history rings from a restart’s saved state', () => {
    const a = new SymbolState(INFO, 100);
    for (let k = 0; k < 300; k++) a.apply(tick(k + 1, T0 + k * 1000, 1000 + (k % 5)));
    const b = new SymbolState(INFO, 100);
    b.importState(a.exportState());
    expect(b.historyRing(60)!.latest(100)).toEqual(a.historyRing(60)!.latest(100));
    expect(b.historyRing(3600)!.latest(100)).toEqual(a.historyRing(3600)!.latest(100));
  });
});
