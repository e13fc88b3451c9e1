// Display formatting (web/src/lib/format.ts): exact prices at the symbol's scale, signed changes,
// compact volumes, latency.
import { describe, expect, it } from 'vitest';
import { formatChange, formatLatency, formatPercent, formatPrice, formatVolume, MINUS, DASH, formatClockMs, formatBarTime } from '../src/lib/format.js';

describe('formatPrice', () => {
  it('shows exactly priceScale decimals from integer ticks', () => {
    expect(formatPrice(22_761, 2)).toBe('227.61');
    expect(formatPrice(107_898, 5)).toBe('1.07898');
    expect(formatPrice(151_485, 3)).toBe('151.485');
    expect(formatPrice(5, 2)).toBe('0.05');
    expect(formatPrice(6_498_041, 2)).toBe('64980.41');
    expect(formatPrice(42, 0)).toBe('42');
  });
});

describe('formatChange / formatPercent', () => {
  it('signs changes with + and a typographic minus', () => {
    expect(formatChange(125, 2)).toBe('+1.25');
    expect(formatChange(-40, 2)).toBe(`${MINUS}0.40`);
    expect(formatChange(0, 2)).toBe('0.00');
    expect(formatChange(-25, 5)).toBe(`${MINUS}0.00025`);
  });
  it('gives two-decimal percentages against the base', () => {
    expect(formatPercent(1000, 40_000)).toBe('+2.50%');
    expect(formatPercent(-1, 40_000)).toBe('0.00%');
    expect(formatPercent(-300, 40_000)).toBe(`${MINUS}0.75%`);
    expect(formatPercent(5, 0)).toBe(DASH);
  });
});

describe('formatVolume', () => {
  it('compacts large volumes and keeps small ones whole', () => {
    expect(formatVolume(950, 0)).toBe('950');
    expect(formatVolume(9_950, 0)).toBe('9,950');
    expect(formatVolume(12_345, 0)).toBe('12.3K');
    expect(formatVolume(4_561_000, 0)).toBe('4.56M');
    expect(formatVolume(5_660_000_000, 0)).toBe('5.66B');
    expect(formatVolume(999_960, 0)).toBe('1.00M');
  });
  it('applies the size scale (crypto lots)', () => {
    expect(formatVolume(150_000_000, 8)).toBe('1.50');
    expect(formatVolume(266_200_000_000, 8)).toBe('2,662');
  });
});

describe('times and latency', () => {
  it('formats tape times with milliseconds and bar times with optional seconds', () => {
    const d = new Date(2026, 0, 5, 9, 3, 7, 45);
    expect(formatClockMs(d.getTime())).toBe('09:03:07.045');
    expect(formatBarTime(d.getTime() / 1000, true)).toBe('09:03:07');
    expect(formatBarTime(d.getTime() / 1000, false)).toBe('09:03');
  });
  it('formats latency', () => {
    expect(formatLatency(null)).toBe(DASH);
    expect(formatLatency(3.456)).toBe('3.5 ms');
    expect(formatLatency(24.6)).toBe('25 ms');
  });
});
