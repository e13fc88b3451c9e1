// Display formatting: every number a trader reads goes through here, so prices always show the
// symbol's own decimals (exact, from integer ticks, via protocol/units.ts), numbers use the user's
// locale separators, times the chosen time zone, and widths stay stable as values change.
import { formatScaled, scaleFactor } from '@tickwire/protocol/units';

/** Typographic minus: same advance width as "+" in tabular figures, unlike the hyphen. */
export const MINUS = '\u2212';
export const DASH = '\u2014';

interface NumberStyle {
  group: string;
  decimal: string;
  /** Digits of the groups after the first (3 almost everywhere; 2 in Indian grouping). */
  secondary: number;
  /** 2 where a lone thousand is not grouped (es: "1234", but "12.345"). */
  minGrouping: number;
}

const EN: NumberStyle = { group: ',', decimal: '.', secondary: 3, minGrouping: 1 };

/**
 * Separators of a locale, read once from Intl and then applied by hand: the digits still come from
 * formatScaled (exact, no float), and Intl stays out of the per-update paths.
 */
function numberStyle(locale: string | undefined): NumberStyle {
  try {
    const nf = new Intl.NumberFormat(locale);
    const parts = nf.formatToParts(1234567.5);
    const integers = parts.filter((p) => p.type === 'integer').map((p) => p.value.length);
    return {
      group: parts.find((p) => p.type === 'group')?.value ?? '',
      decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
      secondary: integers.length >= 3 ? (integers[1] ?? 3) : 3,
      minGrouping: nf.formatToParts(1234).some((p) => p.type === 'group') ? 1 : 2,
    };
  } catch {
    return EN;
  }
}

let style: NumberStyle = numberStyle(typeof navigator === 'undefined' ? undefined : navigator.language);

/** Separators of `locale` (default: the browser's) for every number formatted from now on. */
export function setNumberLocale(locale?: string): void {
  style = numberStyle(locale ?? (typeof navigator === 'undefined' ? undefined : navigator.language));
}

export function decimalSeparator(): string {
  return style.decimal;
}

function groupDigits(int: string): string {
  if (style.group === '' || int.length < 3 + style.minGrouping) return int;
  let out = int.slice(-3);
  let rest = int.slice(0, -3);
  while (rest.length > 0) {
    out = `${rest.slice(-style.secondary)}${style.group}${out}`;
    rest = rest.slice(0, -style.secondary);
  }
  return out;
}

/** "-12345.67" (plain decimal text) → "−12,345.67" in the current locale. */
function localize(text: string): string {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const dot = body.indexOf('.');
  const int = dot === -1 ? body : body.slice(0, dot);
  const frac = dot === -1 ? '' : body.slice(dot + 1);
  return `${negative ? MINUS : ''}${groupDigits(int)}${frac === '' ? '' : style.decimal + frac}`;
}

export function formatPrice(ticks: number, scale: number): string {
  return localize(formatScaled(ticks, scale));
}

/** Signed change in ticks → "+1.25" / "−0.40" / "0.00". */
export function formatChange(deltaTicks: number, scale: number): string {
  const text = localize(formatScaled(Math.abs(deltaTicks), scale));
  if (deltaTicks > 0) return `+${text}`;
  if (deltaTicks < 0) return `${MINUS}${text}`;
  return text;
}

/** Change relative to a base price, as a signed percentage with two decimals. */
export function formatPercent(deltaTicks: number, baseTicks: number): string {
  if (baseTicks <= 0) return DASH;
  const pct = (deltaTicks / baseTicks) * 100;
  const text = Math.abs(pct).toFixed(2);
  if (text === '0.00') return `${localize(text)}%`;
  return `${pct > 0 ? '+' : MINUS}${localize(text)}%`;
}

const SUFFIXES = ['', 'K', 'M', 'B', 'T'] as const;

/** 1234567 → "1,234,567" (locale separators) without Intl (toLocaleString is slow in hot render paths). */
export function groupThousands(n: number): string {
  return localize(String(Math.trunc(n)));
}

/** Exact decimal text of an integer at `scale`, trailing fractional zeros dropped: 120000 @ 8 → "0.0012". */
function trimmedScaled(units: number, scale: number): string {
  const text = formatScaled(units, scale);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * A trade size, exactly, at the instrument's size scale with trailing zeros trimmed and grouped:
 * 0.0012 (BTC), 1.5, 87,312. Never rounded, so a small crypto print never reads "0.00".
 */
export function formatSize(lots: number, sizeScale: number): string {
  return localize(trimmedScaled(Math.round(lots), sizeScale));
}

/**
 * Compact volume: 950, 9,950, 12.3K, 4.56M. Below 10 a fractional volume (crypto) is exact at the size
 * scale, trailing zeros trimmed (0.0012, not 0.00); from 10 up whole units are precise enough.
 */
export function formatVolume(lots: number, sizeScale: number): string {
  const value = lots / scaleFactor(sizeScale);
  if (!Number.isFinite(value)) return DASH;
  if (value < 10 && value !== Math.trunc(value)) return formatSize(lots, sizeScale);
  if (value < 10_000) return groupThousands(Math.round(value));
  let tier = 0;
  let scaled = value;
  while (scaled >= 1000 && tier < SUFFIXES.length - 1) {
    scaled /= 1000;
    tier++;
  }
  const digits = scaled < 10 ? 2 : scaled < 100 ? 1 : 0;
  // Rounding may carry into the next tier (999.96K → "1000.0K"): show it as 1.00M instead.
  if (Number(scaled.toFixed(digits)) >= 1000 && tier < SUFFIXES.length - 1) return `${localize('1.00')}${SUFFIXES[tier + 1]}`;
  return `${localize(scaled.toFixed(digits))}${SUFFIXES[tier]}`;
}

/**
 * Splits a formatted number at its decimal separator, for columns aligned on the decimal point
 * (the integer part right-aligned, the fraction left-aligned in a fixed width).
 */
export function splitDecimal(text: string): { int: string; frac: string } {
  const at = text.lastIndexOf(style.decimal);
  return at === -1 ? { int: text, frac: '' } : { int: text.slice(0, at), frac: text.slice(at) };
}

// -- time zone ------------------------------------------------------------------------------------

/** 'local' (the browser's zone) or an IANA zone name such as 'America/New_York' or 'UTC'. */
let zone = 'local';
let zoneFormat: Intl.DateTimeFormat | null = null;
/** UTC offsets in minutes by quarter hour: every zone changes offset on a quarter-hour boundary. */
const offsets = new Map<number, number>();
const QUARTER_MS = 900_000;

/** Times from now on are shown in `timeZone` ('local' or an IANA name); an unknown name means local. */
export function setTimeZone(timeZone: string): void {
  if (timeZone === zone) return;
  offsets.clear();
  zoneFormat = wallFormat(timeZone);
  zone = zoneFormat === null ? 'local' : timeZone;
}

/** Formatter of a zone's wall-clock fields; null for 'local' or an unknown name. */
function wallFormat(timeZone: string): Intl.DateTimeFormat | null {
  if (timeZone === 'local') return null;
  try {
    const f = { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' } as const;
    return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', ...f });
  } catch {
    return null;
  }
}

/** Minutes east of UTC at `at` by the zone's wall clock. */
function offsetAt(format: Intl.DateTimeFormat, at: number): number {
  const f: Record<string, number> = {};
  for (const p of format.formatToParts(at)) if (p.type !== 'literal') f[p.type] = Number(p.value);
  const wall = Date.UTC(f.year ?? 1970, (f.month ?? 1) - 1, f.day ?? 1, f.hour ?? 0, f.minute ?? 0, f.second ?? 0);
  return Math.round((wall - Math.floor(at / 1000) * 1000) / 60_000);
}

export function currentTimeZone(): string {
  return zone;
}

/** Minutes east of UTC in the current zone at `ms`. */
function offsetMinutes(ms: number): number {
  if (zoneFormat === null) return -new Date(ms).getTimezoneOffset();
  const quarter = Math.floor(ms / QUARTER_MS);
  const cached = offsets.get(quarter);
  if (cached !== undefined) return cached;
  const minutes = offsetAt(zoneFormat, quarter * QUARTER_MS);
  if (offsets.size > 4096) offsets.clear();
  offsets.set(quarter, minutes);
  return minutes;
}

/** A Date whose UTC fields read as the wall clock of the current zone at `ms`. */
function wallClock(ms: number): Date {
  return new Date(ms + offsetMinutes(ms) * 60_000);
}

/**
 * The zone (default: the current one) as a trader reads it next to a time: "UTC", "UTC+1", "UTC−5",
 * "UTC+5:30".
 */
export function formatUtcOffset(ms: number = Date.now(), timeZone: string = zone): string {
  let minutes: number;
  if (timeZone === zone) minutes = offsetMinutes(ms);
  else {
    const format = wallFormat(timeZone);
    minutes = format === null ? -new Date(ms).getTimezoneOffset() : offsetAt(format, ms);
  }
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  const m = abs % 60;
  return `UTC${minutes > 0 ? '+' : MINUS}${Math.floor(abs / 60)}${m === 0 ? '' : `:${pad(m)}`}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Wall-clock time with milliseconds in the chosen zone, for the trade tape: "14:03:22.381". */
export function formatClockMs(ms: number): string {
  const d = wallClock(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** Wall-clock time of a UTC-second bar time in the chosen zone, seconds optional (chart axis and legend). */
export function formatBarTime(utcSec: number, withSeconds: boolean): string {
  const d = wallClock(utcSec * 1000);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** Day of a UTC-second bar time in the chosen zone: "5 Jan" (chart axis day marks). */
export function formatBarDate(utcSec: number): string {
  const d = wallClock(utcSec * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''}`;
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
