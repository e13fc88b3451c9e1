// Units carried on the wire and the only place where they are converted.
// Prices and sizes travel as unsigned integers scaled by a per-symbol number of decimals, so no
// float ever drifts; times are epoch milliseconds on the wire and UTC seconds for the chart.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Price in integer ticks: value = ticks / 10^priceScale. */
export type PriceTicks = Brand<number, 'PriceTicks'>;
/** Trade size in integer lots: value = lots / 10^sizeScale. */
export type SizeLots = Brand<number, 'SizeLots'>;
/** Milliseconds since the Unix epoch (may carry a fraction). */
export type EpochMs = Brand<number, 'EpochMs'>;
/** Whole seconds since the Unix epoch, UTC: the time unit of chart bars. */
export type UtcSeconds = Brand<number, 'UtcSeconds'>;

/** Largest price or size an unsigned 32-bit field can hold. */
export const U32_MAX = 0xffff_ffff;
/** Most decimals a price or size scale may have. */
export const MAX_SCALE = 12;

const POW10: readonly number[] = Array.from({ length: MAX_SCALE + 1 }, (_, i) => 10 ** i);

/**
 * 10^scale: the divisor between a wire integer and its display number. Never throws (a scale outside
 * 0..MAX_SCALE is computed, not looked up), so display code can use it on unchecked scales.
 */
export function scaleFactor(scale: number): number {
  return POW10[scale] ?? 10 ** scale;
}

function pow10(scale: number): number {
  const p = POW10[scale];
  if (p === undefined) throw new RangeError(`scale ${scale} is outside 0..${MAX_SCALE}`);
  return p;
}

/** Ticks → display number (for charts and maths only, never stored back on the wire). */
export function ticksToNumber(ticks: number, scale: number): number {
  return ticks / pow10(scale);
}

/** Display number → nearest integer ticks. */
export function numberToTicks(value: number, scale: number): number {
  return Math.round(value * pow10(scale));
}

/** Why a decimal could not become integer units. */
export type DecimalError = 'syntax' | 'negative' | 'precision' | 'overflow';
export type DecimalUnits = { ok: true; units: number } | { ok: false; error: DecimalError };

/** Longest decimal text looked at; anything longer is refused as syntax before any work. */
export const MAX_DECIMAL_CHARS = 64;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;

/**
 * A decimal (string such as "123.45", "1e-3", or a JSON number) → integer units of 10^-scale, EXACTLY:
 * the digits are shifted as text, never multiplied as a float, so "0.29" at scale 2 is 29 (a float
 * round trip gives 28.999…). A number is read through its shortest round-trip text (String(n)), i.e.
 * the decimal the producer wrote. Errors: `syntax` (not a plain decimal, NaN, Infinity, too long),
 * `negative`, `overflow` (the integer part exceeds `max`, checked first), `precision` (non-zero digits
 * below 10^-scale: refused rather than rounded). Zero is a valid result; callers decide if it is allowed.
 */
export function decimalToUnits(value: string | number, scale: number, max: number = U32_MAX): DecimalUnits {
  pow10(scale);
  if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`max ${max} is not a safe non-negative integer`);
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, error: 'syntax' };
    text = String(value);
  } else text = value;
  if (text.length > MAX_DECIMAL_CHARS) return { ok: false, error: 'syntax' };
  const plain = plainDecimalUnits(text, scale, max);
  if (plain !== null) return plain;
  const m = DECIMAL.exec(text);
  if (m === null) return { ok: false, error: 'syntax' };
  const [, sign, whole = '', fraction = '', exponent = '0'] = m;
  let digits = whole + fraction;
  // Position of the decimal point inside `digits` once the value is multiplied by 10^scale.
  let point = whole.length + Number(exponent) + scale;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  if (digits.length === 0) return { ok: true, units: 0 };
  if (sign === '-') return { ok: false, error: 'negative' };
  // digits starts with a non-zero digit, so the integer part has exactly `point` digits: more than `max`
  // has is an overflow, decided before building a number that could lose precision.
  const integerDigits = Math.max(0, point);
  if (integerDigits > String(max).length) return { ok: false, error: 'overflow' };
  const integerPart = integerDigits === 0 ? 0 : Number(digits.slice(0, integerDigits).padEnd(integerDigits, '0'));
  if (integerPart > max) return { ok: false, error: 'overflow' };
  if (point < digits.length) return { ok: false, error: 'precision' };
  return { ok: true, units: integerPart };
}

/** Digits in a fast-path decimal: fewer than 16, so the digits as an integer are exact in a float. */
const PLAIN_MAX_CHARS = 16;

/**
 * The common case of decimalToUnits without regular expressions or strings: digits with an optional
 * fraction no longer than `scale` ("123.45" at scale 2), no sign or exponent. The digits read as an
 * integer are exact (< 10^15) and a power of ten times it is exact while it stays under `max`, a safe
 * integer, so the answer is the exact one. null: not that shape, the general path decides.
 */
function plainDecimalUnits(text: string, scale: number, max: number): DecimalUnits | null {
  const n = text.length;
  if (n === 0 || n >= PLAIN_MAX_CHARS) return null;
  let digits = 0;
  let fraction = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      // One point, with digits on both sides ("1." and ".5" are the general path's syntax errors).
      if (fraction !== -1 || i === 0 || i === n - 1) return null;
      fraction = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      digits = digits * 10 + (c - 0x30);
      if (fraction !== -1) fraction++;
    } else return null;
  }
  if (fraction > scale) return null;
  const units = digits * POW10[scale - Math.max(0, fraction)]!;
  return units > max ? { ok: false, error: 'overflow' } : { ok: true, units };
}

/**
 * The largest scale (0..MAX_SCALE) at which `value` still fits in `max` units (its extra decimals
 * aside), or null when it overflows even at scale 0: what an error message suggests instead.
 */
export function largestFittingScale(value: string | number, max: number = U32_MAX): number | null {
  for (let scale = MAX_SCALE; scale >= 0; scale--) {
    const r = decimalToUnits(value, scale, max);
    if (r.ok || r.error === 'precision') return scale;
    if (r.error !== 'overflow') return null;
  }
  return null;
}

/**
 * Exact decimal string of an integer scaled by 10^scale, built from the integer's digits so no
 * binary-float rounding can show (e.g. 108345 at scale 5 → "1.08345").
 */
export function formatScaled(units: number, scale: number): string {
  const negative = units < 0;
  const digits = Math.abs(Math.trunc(units))
    .toString()
    .padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

export function msToUtcSeconds(ms: number): UtcSeconds {
  return Math.floor(ms / 1000) as UtcSeconds;
}

/** Start of the bar of `intervalSec` seconds that contains `ms`, in UTC seconds. */
export function barStart(ms: number, intervalSec: number): UtcSeconds {
  const sec = Math.floor(ms / 1000);
  return (sec - (sec % intervalSec)) as UtcSeconds;
}
