// Display formatting (web/src/lib/format.ts): exact prices at the symbol's scale with the locale's
// separators, signed changes, exact trade sizes and compact volumes at the size scale, times in a
// chosen zone, latency.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DASH,
  MINUS,
  currentTimeZone,
  formatBarDate,
  formatBarTime,
  formatChange,
  formatClockMs,
  formatLatency,
  formatPercent,
  formatPrice,
  formatSize,
  formatUtcOffset,
  formatVolume,
  groupThousands,
  setNumberLocale,
  setTimeZone,
  splitDecimal,
} from '../src/lib/format.js';

beforeEach(() => setNumberLocale('en-US'));
afterEach(() => {
  setNumberLocale('en-US');
  setTimeZone('local');
});

describe('formatPrice', () => {
  it('shows exactly priceScale decimals from integer ticks', () => {
    expect(formatPrice(22_761, 2)).toBe('227.61');
    expect(formatPrice(107_898, 5)).toBe('1.07898');
    expect(formatPrice(151_485, 3)).toBe('151.485');
    expect(formatPrice(5, 2)).toBe('0.05');
    expect(formatPrice(42, 0)).toBe('42');
    expect(formatPrice(-5, 2)).toBe(`${MINUS}0.05`);
  });
  it('groups thousands with the locale separators (digits still exact)', () => {
    expect(formatPrice(6_498_041, 2)).toBe('64,980.41');
    expect(formatPrice(123_456_789_01, 2)).toBe('123,456,789.01');
    setNumberLocale('de-DE');
    expect(formatPrice(6_498_041, 2)).toBe('64.980,41');
    expect(formatPrice(107_898, 5)).toBe('1,07898');
    setNumberLocale('fr-FR');
    expect(formatPrice(6_498_041, 2)).toBe('64\u202f980,41');
    setNumberLocale('en-IN');
    expect(formatPrice(1_234_567_89, 2)).toBe('12,34,567.89');
    setNumberLocale('es-ES'); // a lone thousand is not grouped in Spanish
    expect(formatPrice(123_456, 2)).toBe('1234,56');
    expect(formatPrice(1_234_567, 2)).toBe('12.345,67');
  });
});

describe('formatChange / formatPercent', () => {
  it('signs changes with + and a typographic minus', () => {
    expect(formatChange(125, 2)).toBe('+1.25');
    expect(formatChange(-40, 2)).toBe(`${MINUS}0.40`);
    expect(formatChange(0, 2)).toBe('0.00');
    expect(formatChange(-25, 5)).toBe(`${MINUS}0.00025`);
    expect(formatChange(250_000, 2)).toBe('+2,500.00');
  });
  it('gives two-decimal percentages against the base', () => {
    expect(formatPercent(1000, 40_000)).toBe('+2.50%');
    expect(formatPercent(-1, 40_000)).toBe('0.00%');
    expect(formatPercent(-300, 40_000)).toBe(`${MINUS}0.75%`);
    expect(formatPercent(5, 0)).toBe(DASH);
    setNumberLocale('de-DE');
    expect(formatPercent(1000, 40_000)).toBe('+2,50%');
  });
});

describe('formatSize (trade sizes)', () => {
  it('is exact at the size scale with trailing zeros trimmed: small crypto prints never read 0.00', () => {
    expect(formatSize(120_000, 8)).toBe('0.0012'); // 0.0012 BTC
    expect(formatSize(1, 8)).toBe('0.00000001');
    expect(formatSize(499_999, 8)).toBe('0.00499999');
    expect(formatSize(150_000_000, 8)).toBe('1.5');
    expect(formatSize(1_234_567_891, 8)).toBe('12.34567891');
    expect(formatSize(800_000, 6)).toBe('0.8'); // ETH
    expect(formatSize(100, 0)).toBe('100');
    expect(formatSize(87_312, 0)).toBe('87,312'); // FX: every unit, no "87.3K"
    expect(formatSize(1_000_000, 0)).toBe('1,000,000');
    expect(formatSize(0, 8)).toBe('0');
    setNumberLocale('de-DE');
    expect(formatSize(123_456_789_000, 8)).toBe('1.234,56789');
  });
  it('splits at the decimal separator for decimal-point alignment', () => {
    expect(splitDecimal('1,234.5')).toEqual({ int: '1,234', frac: '.5' });
    expect(splitDecimal('87,312')).toEqual({ int: '87,312', frac: '' });
    setNumberLocale('de-DE');
    expect(splitDecimal('1.234,5')).toEqual({ int: '1.234', frac: ',5' });
  });
});

describe('formatVolume (aggregates)', () => {
  it('compacts large volumes and keeps small ones whole', () => {
    expect(formatVolume(950, 0)).toBe('950');
    expect(formatVolume(9_950, 0)).toBe('9,950');
    expect(formatVolume(12_345, 0)).toBe('12.3K');
    expect(formatVolume(4_561_000, 0)).toBe('4.56M');
    expect(formatVolume(5_660_000_000, 0)).toBe('5.66B');
    expect(formatVolume(999_960, 0)).toBe('1.00M');
  });
  it('applies the size scale (crypto lots); a fraction below 10 is exact, never 0.00', () => {
    expect(formatVolume(150_000_000, 8)).toBe('1.5');
    expect(formatVolume(120_000, 8)).toBe('0.0012');
    expect(formatVolume(266_200_000_000, 8)).toBe('2,662');
    setNumberLocale('de-DE');
    expect(formatVolume(4_561_000, 0)).toBe('4,56M');
    expect(groupThousands(9_950)).toBe('9.950');
  });
});

describe('times and latency', () => {
  it('formats tape times with milliseconds and bar times with optional seconds, in local time by default', () => {
    const d = new Date(2026, 0, 5, 9, 3, 7, 45);
    expect(currentTimeZone()).toBe('local');
    expect(formatClockMs(d.getTime())).toBe('09:03:07.045');
    expect(formatBarTime(d.getTime() / 1000, true)).toBe('09:03:07');
    expect(formatBarTime(d.getTime() / 1000, false)).toBe('09:03');
  });
  it('shows times in a chosen zone, daylight saving included', () => {
    const winter = Date.UTC(2026, 0, 5, 14, 30, 0, 250); // New York UTC−5, Tokyo UTC+9
    const summer = Date.UTC(2026, 6, 5, 14, 30, 0, 250); // New York UTC−4
    setTimeZone('UTC');
    expect(formatClockMs(winter)).toBe('14:30:00.250');
    expect(formatUtcOffset(winter)).toBe('UTC');
    setTimeZone('America/New_York');
    expect(formatClockMs(winter)).toBe('09:30:00.250');
    expect(formatClockMs(summer)).toBe('10:30:00.250');
    expect(formatUtcOffset(winter)).toBe(`UTC${MINUS}5`);
    expect(formatUtcOffset(summer)).toBe(`UTC${MINUS}4`);
    expect(formatBarTime(winter / 1000, false)).toBe('09:30');
    setTimeZone('Asia/Tokyo');
    expect(formatBarTime(winter / 1000, true)).toBe('23:30:00');
    expect(formatBarDate(Date.UTC(2026, 0, 5, 20, 0) / 1000)).toBe('6 Jan'); // already the next day in Tokyo
    setTimeZone('Asia/Kolkata');
    expect(formatUtcOffset(winter)).toBe('UTC+5:30');
    expect(formatUtcOffset(summer, 'Europe/London')).toBe('UTC+1'); // another zone than the current one
    expect(formatUtcOffset(winter, 'UTC')).toBe('UTC');
    // The New York spring-forward instant (07:00 UTC on 8 March 2026): 01:59:59 is followed by 03:00:00.
    setTimeZone('America/New_York');
    const jump = Date.UTC(2026, 2, 8, 7, 0, 0);
    expect(formatClockMs(jump - 1)).toBe('01:59:59.999');
    expect(formatClockMs(jump)).toBe('03:00:00.000');
  });
  it('falls back to local time for an unknown zone name', () => {
    setTimeZone('Mars/Olympus_Mons');
    expect(currentTimeZone()).toBe('local');
  });
  it('formats latency', () => {
    expect(formatLatency(null)).toBe(DASH);
    expect(formatLatency(3.456)).toBe('3.5 ms');
    expect(formatLatency(24.6)).toBe('25 ms');
  });
});
