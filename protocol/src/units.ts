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
