// Candle building and merging (web/src/lib/chart/candles.ts): the client folds ticks with the server's
// bar rules, and a fresh snapshot after a reconnect merges in without duplicate times or holes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candle } from '@tickwire/protocol/messages';
import { barStart, type PriceTicks, type UtcSeconds } from '@tickwire/protocol/units';
import { barsFromCandles, foldTick, lowerBound, mergeBars, spliceNewest, strictlyIncreasing, trimBars, type Bar } from '../src/lib/chart/candles.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0); // a whole minute, in ms

function candle(time: number, o: number, h: number, l: number, c: number, v: number): Candle {
  return { time: time as UtcSeconds, open: o as PriceTicks, high: h as PriceTicks, low: l as PriceTicks, close: c as PriceTicks, volume: v };
}

interface T {
  ms: number;
  price: number;
  size: number;
}

function foldAll(ticks: readonly T[], interval: number, bars: Bar[] = []): Bar[] {
  for (const t of ticks) foldTick(bars, t.ms, t.price, t.size, interval);
  return bars;
}

describe('foldTick', () => {
  it('starts bars at floor(sec / interval) · interval, UTC, like barStart', () => {
    const bars: Bar[] = [];
    foldTick(bars, T0 + 4_999, 100, 1, 5);
    foldTick(bars, T0 + 5_000, 101, 2, 5);
    expect(bars.map((b) => b.time)).toEqual([barStart(T0, 5), barStart(T0 + 5_000, 5)]);
    expect(bars[0]?.time).toBe(T0 / 1000);
  });

  it('builds OHLCV within a bar', () => {
    const bars = foldAll(
      [
        { ms: T0, price: 100, size: 1 },
        { ms: T0 + 10_000, price: 105, size: 2 },
        { ms: T0 + 20_000, price: 95, size: 3 },
        { ms: T0 + 59_999, price: 101, size: 4 },
      ],
      60,
    );
    expect(bars).toEqual([{ time: T0 / 1000, open: 100, high: 105, low: 95, close: 101, volume: 10 }]);
  });

  it('skips empty intervals (no synthetic bars) and never goes back in time', () => {
    const bars = foldAll(
      [
        { ms: T0, price: 100, size: 1 },
        { ms: T0 + 3_000, price: 102, size: 1 },
        { ms: T0 + 1_000, price: 99, size: 1 }, // late: folded into the newest bar, as the server does
      ],
      1,
    );
    expect(bars.map((b) => b.time)).toEqual([T0 / 1000, T0 / 1000 + 3]);
    expect(bars[1]).toMatchObject({ close: 99, low: 99, volume: 2 });
  });
});

describe('trimBars', () => {
  it('keeps the newest max bars once the slack is exceeded', () => {
    const bars: Bar[] = Array.from({ length: 2_100 }, (_, i) => ({ time: i, open: 1, high: 1, low: 1, close: 1, volume: 1 }));
    expect(trimBars(bars, 2_000, 100)).toBe(0);
    bars.push({ time: 2_100, open: 1, high: 1, low: 1, close: 1, volume: 1 });
    expect(trimBars(bars, 2_000, 100)).toBe(101);
    expect(bars).toHaveLength(2_000);
    expect(bars[0]?.time).toBe(101);
  });
});

describe('barsFromCandles', () => {
  it('sorts and keeps one bar per time', () => {
    const bars = barsFromCandles([candle(10, 1, 1, 1, 1, 1), candle(5, 2, 2, 2, 2, 2), candle(10, 3, 3, 3, 3, 3)]);
    expect(bars.map((b) => [b.time, b.open])).toEqual([
      [5, 2],
      [10, 3],
    ]);
  });
});

describe('mergeBars', () => {
  const local: Bar[] = [10, 11, 12, 13].map((t) => ({ time: t, open: t, high: t, low: t, close: t, volume: 1 }));

  it('keeps older local bars and takes the snapshot from its first bar on', () => {
    const snap: Bar[] = [12, 13, 14].map((t) => ({ time: t, open: 100 + t, high: 100 + t, low: 100 + t, close: 100 + t, volume: 9 }));
    const merged = mergeBars(local, snap);
    expect(merged.map((b) => b.time)).toEqual([10, 11, 12, 13, 14]);
    expect(merged.map((b) => b.open)).toEqual([10, 11, 112, 113, 114]);
  });

  it('drops local bars newer than the snapshot (the snapshot is the truth up to its seq)', () => {
    const snap: Bar[] = [{ time: 11, open: 5, high: 5, low: 5, close: 5, volume: 5 }];
    expect(mergeBars(local, snap).map((b) => b.time)).toEqual([10, 11]);
  });

  it('leaves the bars alone for an empty snapshot series', () => {
    expect(mergeBars(local, []).map((b) => b.time)).toEqual([10, 11, 12, 13]);
  });

  it('caps the result at max bars, newest kept', () => {
    const snap: Bar[] = [13, 14, 15].map((t) => ({ time: t, open: t, high: t, low: t, close: t, volume: 1 }));
    expect(mergeBars(local, snap, 4).map((b) => b.time)).toEqual([12, 13, 14, 15]);
    expect(mergeBars(local, snap, 2).map((b) => b.time)).toEqual([14, 15]);
  });

  it('does not alias snapshot bars (live ticks mutate the merged bars)', () => {
    const snap: Bar[] = [{ time: 20, open: 1, high: 1, low: 1, close: 1, volume: 1 }];
    const merged = mergeBars(local, snap);
    foldTick(merged, 20_500, 3, 1, 1);
    expect(snap[0]?.high).toBe(1);
  });

  it('reconnect: live bars + outage + fresh snapshot + live again equals the server fold of every tick', () => {
    const tickArb = fc.array(
      fc.record({ gapMs: fc.integer({ min: 0, max: 2_500 }), price: fc.integer({ min: 1, max: 1_000 }), size: fc.integer({ min: 1, max: 50 }) }),
      { minLength: 3, maxLength: 400 },
    );
    fc.assert(
      fc.property(tickArb, fc.nat(), fc.nat(), fc.constantFrom(1, 5, 60), fc.integer({ min: 1, max: 300 }), (raw, a, b, interval, history) => {
        let ms = T0;
        const ticks: T[] = raw.map((r) => ({ ms: (ms += r.gapMs), price: r.price, size: r.size }));
        // The client saw ticks [0, seen); the connection died; the server folded [0, snapAt) when the
        // fresh snapshot was taken; afterwards the client folds [snapAt, n) live.
        const seen = a % ticks.length;
        const snapAt = seen + (b % (ticks.length - seen + 1));
        const client = foldAll(ticks.slice(0, seen), interval);
        const serverAtSnap = foldAll(ticks.slice(0, snapAt), interval);
        const snapshot = serverAtSnap.slice(Math.max(0, serverAtSnap.length - history));
        const merged = mergeBars(
          client,
          snapshot.map((bar) => ({ ...bar })),
        );
        foldAll(ticks.slice(snapAt), interval, merged);
        const truth = foldAll(ticks, interval);

        expect(strictlyIncreasing(merged.map((bar) => bar.time))).toBe(true);
        // Everything from the snapshot's first bar on is exact (no holes, no double-counted volume)...
        const from = snapshot[0]?.time ?? -Infinity;
        expect(merged.slice(lowerBound(merged, from))).toEqual(truth.slice(lowerBound(truth, from)));
        // ...and older bars the client already had are kept (a bar cut by the disconnect is replaced).
        if (snapshot.length > 0) {
          expect(merged.slice(0, lowerBound(merged, from)).map((x) => x.time)).toEqual(client.filter((x) => x.time < from).map((x) => x.time));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('spliceNewest (a history page under local bars)', () => {
  const bar = (time: number, close = time): Bar => ({ time, open: close, high: close, low: close, close, volume: 1 });
  it('keeps older local bars, takes the page over its span and keeps local bars newer than it', () => {
    const local = [bar(10), bar(20), bar(30, 1), bar(40, 2), bar(50)];
    const page = [bar(30, 7), bar(40, 8)];
    const out = spliceNewest(local, page);
    expect(out.map((b) => b.time)).toEqual([10, 20, 30, 40, 50]);
    expect(out.map((b) => b.close)).toEqual([10, 20, 7, 8, 50]);
  });
  it('fills an empty book and bounds the result; an empty page changes nothing', () => {
    expect(spliceNewest([], [bar(1), bar(2), bar(3)], 2).map((b) => b.time)).toEqual([2, 3]);
    expect(spliceNewest([bar(1)], []).map((b) => b.time)).toEqual([1]);
  });
  it('always gives strictly increasing times', () => {
    const times = fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 40 }).map((t) => [...t].sort((a, b) => a - b));
    fc.assert(
      fc.property(times, times, (a, b) =>
        strictlyIncreasing(
          spliceNewest(
            a.map((t) => bar(t)),
            b.map((t) => bar(t)),
          ).map((x) => x.time),
        ),
      ),
    );
  });
});
