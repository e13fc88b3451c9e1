// Display formatting: every number a trader reads goes through here, so prices always show the
// symbol's own decimals (exact, from integer ticks) and widths stay stable as values change.
import { formatScaled, scaleFactor } from '@tickwire/protocol/units';

/** Typographic minus: same advance width as "+" in tabular figures, unlike the hyphen. */
export const MINUS = '\u2212';
export const DASH = '\u2014';

export function formatPrice(ticks: number, scale: number): string {
  return formatScaled(ticks, scale).replace('-', MINUS);
}

/** Signed change in ticks → "+1.25" / "−0.40" / "0.00". */
export function formatChange(deltaTicks: number, scale: number): string {
  const text = formatScaled(Math.abs(deltaTicks), scale);
  if (deltaTicks > 0) return `+${text}`;
  if (deltaTicks < 0) return `${MINUS}${text}`;
  return text;
}

/** Change relative to a base price, as a signed percentage with two decimals. */
export function formatPercent(deltaTicks: number, baseTicks: number): string {
  if (baseTicks <= 0) return DASH;
  const pct = (deltaTicks / baseTicks) * 100;
  const text = Math.abs(pct).toFixed(2);
  if (text === '0.00') return '0.00%';
  return `${pct > 0 ? '+' : MINUS}${text}%`;
}

const SUFFIXES = ['', 'K', 'M', 'B', 'T'] as const;

/** 1234567 → "1,234,567" without Intl (toLocaleString is slow in hot render paths). */
export function groupThousands(n: number): string {
  const text = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = text.length; i > 0; i -= 3) out = text.slice(Math.max(0, i - 3), i) + (out === '' ? '' : `,${out}`);
  return n < 0 ? `-${out}` : out;
}

/** Compact volume: 950, 9,950, 12.3K, 4.56M. Fractional sizes (crypto) keep up to 2 decimals below 10. */
export function formatVolume(lots: number, sizeScale: number): string {
  const value = lots / scaleFactor(sizeScale);
  if (!Number.isFinite(value)) return DASH;
  if (value < 10 && value !== Math.trunc(value)) return value.toFixed(2);
  if (value < 10_000) return groupThousands(Math.round(value));
  let tier = 0;
  let scaled = value;
  while (scaled >= 1000 && tier < SUFFIXES.length - 1) {
    scaled /= 1000;
    tier++;
  }
  const digits = scaled < 10 ? 2 : scaled < 100 ? 1 : 0;
  // Rounding may carry into the next tier (999.96K → "1000.0K"): show it as 1.00M instead.
  if (Number(scaled.toFixed(digits)) >= 1000 && tier < SUFFIXES.length - 1) return `1.00${SUFFIXES[tier + 1]}`;
  return `${scaled.toFixed(digits)}${SUFFIXES[tier]}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with milliseconds, for the trade tape: "14:03:22.381". */
export function formatClockMs(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Local wall-clock time of a UTC-second bar time, seconds optional (chart axis and legend). */
export function formatBarTime(utcSec: number, withSeconds: boolean): string {
  const d = new Date(utcSec * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** Latency in ms: one decimal below 10 ms, whole ms above, a dash when unknown. */
export function formatLatency(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return DASH;
  if (Math.abs(ms) < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export function formatRate(perSecond: number): string {
  return groupThousands(Math.round(perSecond));
}

/** How long ago, coarse and calm: "0.4 s", "12 s", "3 min 5 s", "2 h 10 min". */
export function formatAge(ms: number): string {
  const t = Math.max(0, ms);
  if (t < 1000) return `${(t / 1000).toFixed(1)} s`;
  const sec = Math.floor(t / 1000);
  if (sec < 60) return `${sec} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ${sec % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
