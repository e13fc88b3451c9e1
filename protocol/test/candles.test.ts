// The shared candle-bar rule (protocol/src/candles.ts) that the server's rings and the dashboard's bars use.
import { describe, expect, it } from 'vitest';
import { barTimeFor } from '../src/candles.js';
import { CANDLE_INTERVALS } from '../src/messages.js';

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, a multiple of every interval

describe('barTimeFor', () => {
  it('opens the first bar at floor(sec / interval) · interval', () => {
    for (const interval of CANDLE_INTERVALS) {
      expect(barTimeFor(T0 + interval * 1000 - 1, interval, null)).toBe(T0 / 1000);
      expect(barTimeFor(T0 + interval * 1000, interval, null)).toBe(T0 / 1000 + interval);
    }
  });
  it('stays in the newest bar until its interval has passed, then opens the next', () => {
    const newest = T0 / 1000;
    expect(barTimeFor(T0 + 4_999, 5, newest)).toBe(newest);
    expect(barTimeFor(T0 + 5_000, 5, newest)).toBe(newest + 5);
    expect(barTimeFor(T0 + 60_000, 5, newest)).toBe(newest + 60);
  });
  it('folds a trade stamped before the newest bar into it (time never goes backwards)', () => {
    const newest = T0 / 1000 + 60;
    expect(barTimeFor(T0, 5, newest)).toBe(newest);
    expect(barTimeFor(T0 - 3_600_000, 60, newest)).toBe(newest);
  });
});
