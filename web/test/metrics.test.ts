// Rolling latency percentiles and update rates (web/src/lib/market/metrics.ts).
import { describe, expect, it } from 'vitest';
import { RateCounter, SampleWindow } from '../src/lib/market/metrics.js';

describe('SampleWindow', () => {
  it('takes the median over samples inside the window only', () => {
    const w = new SampleWindow(64);
    w.push(0, 1000); // outside the window below
    for (const v of [5, 1, 9, 3, 7]) w.push(10_000, v);
    expect(w.quantileSince(5_000, 0.5)).toBe(5);
    expect(w.countSince(5_000)).toBe(5);
    expect(w.quantileSince(20_000, 0.5)).toBeNull();
  });
  it('overwrites the oldest samples when full', () => {
    const w = new SampleWindow(4);
    for (let i = 0; i < 10; i++) w.push(i, i);
    expect(w.countSince(0)).toBe(4);
    expect(w.quantileSince(0, 0)).toBe(6);
    expect(w.quantileSince(0, 1)).toBe(9);
  });
});

describe('RateCounter', () => {
  it('averages whole seconds of the window', () => {
    const r = new RateCounter(5);
    for (let s = 0; s < 10; s++) r.add(s * 1000 + 10, 20);
    r.add(10_500, 999); // the running second is not counted yet
    expect(r.rate(10_600)).toBe(20);
    expect(r.rate(30_000)).toBe(0);
  });

  it('averages over the seconds seen so far while the window is not yet full', () => {
    const r = new RateCounter(5);
    expect(r.rate(0)).toBe(0);
    r.add(500, 7); // a partial first second...
    expect(r.rate(900)).toBe(0);
    expect(r.rate(1_100)).toBe(7); // ...counts only while it is all there is
    for (let s = 1; s < 3; s++) r.add(s * 1000 + 10, 20);
    expect(r.rate(3_200)).toBe(20); // seconds 1 and 2, the partial second 0 left out
  });
});
