// The shared full-jitter backoff: window bounds, doubling, cap, floor and the injected random source.
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, fullJitterMs } from '../src/backoff.js';

describe('backoffCeilingMs', () => {
  it('doubles from the base per doubling and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffCeilingMs(n, 500, 15_000))).toEqual([500, 1000, 2000, 4000, 8000, 15_000]);
    expect(backoffCeilingMs(10_000, 500, 15_000)).toBe(15_000);
  });
  it('treats negative doublings as none and stays finite for huge ones', () => {
    expect(backoffCeilingMs(-3, 250, 5000)).toBe(250);
    expect(Number.isFinite(backoffCeilingMs(1e9, 1, Number.POSITIVE_INFINITY))).toBe(true);
  });
});

describe('fullJitterMs', () => {
  const window = { baseMs: 500, capMs: 15_000 };
  it('maps the draw linearly onto [0, ceiling)', () => {
    expect(fullJitterMs(0, window, () => 0)).toBe(0);
    expect(fullJitterMs(0, window, () => 0.5)).toBe(250);
    expect(fullJitterMs(2, window, () => 0.25)).toBe(500);
  });
  it('never reaches the ceiling, even for a source returning 1 (or beyond), nor goes below 0', () => {
    expect(fullJitterMs(3, window, () => 1)).toBeLessThan(4000);
    expect(fullJitterMs(3, window, () => 7)).toBeLessThan(4000);
    expect(fullJitterMs(3, window, () => -1)).toBe(0);
  });
  it('starts the window at floorMs when given', () => {
    const w = { baseMs: 200, capMs: 5000, floorMs: 200 };
    expect(fullJitterMs(0, w, () => 0.9)).toBe(200);
    expect(fullJitterMs(2, w, () => 0)).toBe(200);
    expect(fullJitterMs(2, w, () => 0.5)).toBe(500);
  });
  it('uses Math.random by default and stays inside the window', () => {
    for (let i = 0; i < 200; i++) {
      const d = fullJitterMs(4, window);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(8000);
    }
  });
});
