// Scrolling back through the history service (store.loadOlder): each load fetches twice the pages of the
// one before, bars arrive oldest first with no gap or duplicate at the seams, the book stops at the
// service's end and at MAX_HISTORY_BARS, and a failed page keeps what came before it.
import { describe, expect, it } from 'vitest';
import { encodeSnapshot, type SnapshotBody } from '@tickwire/protocol/codec';
import type { Candle } from '@tickwire/protocol/messages';
import type { EpochMs, PriceTicks, SizeLots, UtcSeconds } from '@tickwire/protocol/units';
import { HISTORY_PAGE, MAX_PAGES_PER_LOAD, type HistoryPage } from '../src/lib/market/store.js';
import { MAX_HISTORY_BARS } from '../src/lib/market/symbol.js';
import { marketHarness } from './market-harness.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const EPOCH = 3;
const MSFT = { id: 3, ticker: 'MSFT', name: 'Microsoft', assetClass: 'equity', priceScale: 2, sizeScale: 0 };

function snapshot(): SnapshotBody {
  const p = 40_000 as PriceTicks;
  return {
    ...{ symbolId: 3, ticker: 'MSFT', priceScale: 2, sizeScale: 0, seq: 1, lastTimeMs: T0 as EpochMs },
    ...{ last: p, lastSize: 1 as SizeLots, bid: p, ask: p, open: p, high: p, low: p, volume: 0, sessionStartMs: T0 as EpochMs },
    candles: [],
  };
}

/** A service holding `total` 1 m bars ending at T0, answering pages as GET /api/candles does. */
function service(total: number, failOnCall = -1) {
  const end = Math.floor(T0 / 1000 / 60) * 60;
  const times = Array.from({ length: total }, (_, i) => end - (total - 1 - i) * 60);
  const calls: Array<number | undefined> = [];
  const fetch = (_symbol: string, _interval: number, before: number | undefined, limit: number): Promise<HistoryPage> => {
    calls.push(before);
    if (calls.length - 1 === failOnCall) return Promise.reject(new Error('503'));
    const upTo = before === undefined ? times.length : times.findIndex((t) => t >= before);
    const stop = upTo === -1 ? times.length : upTo;
    const from = Math.max(0, stop - limit);
    const candles: Candle[] = times.slice(from, stop).map((t) => {
      const price = (40_000 + (t % 997)) as PriceTicks;
      return { time: t as UtcSeconds, open: price, high: price, low: price, close: price, volume: 1 };
    });
    return Promise.resolve({ candles, next: from > 0 ? times[from]! : null });
  };
  return { fetch, calls, times };
}

async function setup(total: number, failOnCall = -1) {
  const svc = service(total, failOnCall);
  const m = marketHarness(() => T0, [MSFT], ['MSFT'], svc.fetch);
  m.hello(EPOCH);
  m.frame(encodeSnapshot(EPOCH, T0, snapshot()));
  m.store.book('MSFT', 60); // asks for the newest page
  await settle();
  const bars = () => m.store.book('MSFT', 60)!.bars;
  const load = async () => {
    m.store.loadOlder('MSFT', 60);
    await settle();
  };
  return { ...m, svc, bars, load };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

function checkContiguous(times: number[]): void {
  const bad = times.findIndex((t, i) => i > 0 && t !== times[i - 1]! + 60);
  expect(bad, `bar ${bad} breaks the 1 m grid`).toBe(-1);
}

describe('history scroll-back (store.loadOlder)', () => {
  it('doubles the pages per load, oldest first, with no gap or duplicate at any seam', async () => {
    const h = await setup(40_000);
    expect(h.bars().length).toBe(HISTORY_PAGE);
    const sizes: number[] = [];
    for (let load = 0; load < 6; load++) {
      const before = h.bars().length;
      const calls = h.svc.calls.length;
      await h.load();
      const left = Math.ceil((40_000 - before) / HISTORY_PAGE);
      expect(h.svc.calls.length - calls, `load ${load}`).toBe(Math.min(MAX_PAGES_PER_LOAD, 2 ** load, left));
      sizes.push(h.bars().length - before);
    }
    // 1 + 1 + 2 + 4 + 8 + 16 pages reach 32,000 bars; the last load takes the 8,000 left and learns the end.
    expect(sizes).toEqual([1, 2, 4, 8, 16].map((p) => p * HISTORY_PAGE).concat([40_000 - 32 * HISTORY_PAGE]));
    const times = h.bars().map((b) => b.time);
    expect(times).toEqual(h.svc.times);
    checkContiguous(times);
    // Nothing older: another load asks nothing.
    const calls = h.svc.calls.length;
    await h.load();
    expect(h.svc.calls.length).toBe(calls);
  });

  it('stops at MAX_HISTORY_BARS', async () => {
    const h = await setup(MAX_HISTORY_BARS + 20 * HISTORY_PAGE);
    for (let load = 0; load < 12 && h.bars().length < MAX_HISTORY_BARS; load++) await h.load();
    expect(h.bars().length).toBeGreaterThanOrEqual(MAX_HISTORY_BARS);
    expect(h.bars().length).toBeLessThan(MAX_HISTORY_BARS + HISTORY_PAGE);
    const calls = h.svc.calls.length;
    await h.load();
    expect(h.svc.calls.length).toBe(calls);
    checkContiguous(h.bars().map((b) => b.time));
  });

  it('a page that fails keeps the pages before it and retries later', async () => {
    // Calls: 0 newest, 1 first load, 2-3 second load (3 fails).
    const h = await setup(10_000, 3);
    await h.load();
    await h.load();
    expect(h.bars().length).toBe(3 * HISTORY_PAGE);
    checkContiguous(h.bars().map((b) => b.time));
    const calls = h.svc.calls.length;
    await h.load(); // within the retry pause: nothing asked
    expect(h.svc.calls.length).toBe(calls);
  });
});
