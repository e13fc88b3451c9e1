// Exact decimal → integer units (units.ts decimalToUnits), the conversion every ingested price and size
// goes through: examples where a float round trip is wrong, and fast-check properties against a BigInt
// reference that shares no code with the implementation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SCALE, U32_MAX, decimalToUnits, formatScaled, largestFittingScale, type DecimalUnits } from '../src/units.js';

/** Reference: exact rational arithmetic with BigInt. */
function reference(text: string, scale: number, max = U32_MAX): DecimalUnits {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/.exec(text);
  if (m === null || text.length > 64) return { ok: false, error: 'syntax' };
  const [, sign, whole = '', fraction = '', exponent = '0'] = m;
  const mantissa = BigInt(whole + fraction);
  const shift = Number(exponent) + scale - fraction.length;
  const num = shift >= 0 ? mantissa * 10n ** BigInt(shift) : mantissa;
  const den = shift >= 0 ? 1n : 10n ** BigInt(-shift);
  if (num === 0n) return { ok: true, units: 0 };
  if (sign === '-') return { ok: false, error: 'negative' };
  if (num / den > BigInt(max)) return { ok: false, error: 'overflow' };
  if (num % den !== 0n) return { ok: false, error: 'precision' };
  return { ok: true, units: Number(num / den) };
}

describe('decimalToUnits', () => {
  it('converts where a float round trip goes wrong', () => {
    expect(decimalToUnits('0.29', 2)).toEqual({ ok: true, units: 29 });
    expect(Math.trunc(0.29 * 100)).toBe(28); // the bug this function exists to avoid
    expect(decimalToUnits('1.005', 3)).toEqual({ ok: true, units: 1005 });
    expect(decimalToUnits('1.005', 2)).toEqual({ ok: false, error: 'precision' });
    expect(decimalToUnits('123.45', 2)).toEqual({ ok: true, units: 12345 });
    expect(decimalToUnits('123.4500', 2)).toEqual({ ok: true, units: 12345 });
    expect(decimalToUnits('0042', 0)).toEqual({ ok: true, units: 42 });
    expect(decimalToUnits('1.5e2', 0)).toEqual({ ok: true, units: 150 });
    expect(decimalToUnits('15e-1', 1)).toEqual({ ok: true, units: 15 });
    expect(decimalToUnits(0.1, 8)).toEqual({ ok: true, units: 10_000_000 });
    expect(decimalToUnits(1e-7, 8)).toEqual({ ok: true, units: 10 });
    expect(decimalToUnits(65_012.5, 2)).toEqual({ ok: true, units: 6_501_250 });
  });

  it('refuses what is not a positive-or-zero decimal that fits', () => {
    for (const bad of ['', ' 1', '1 ', '+1', '.5', '5.', '1,5', '0x10', 'NaN', 'Infinity', '1e', '1e99999', '١٢', '1'.repeat(65)]) {
      expect(decimalToUnits(bad, 2), bad).toEqual({ ok: false, error: 'syntax' });
    }
    expect(decimalToUnits(Number.NaN, 2)).toEqual({ ok: false, error: 'syntax' });
    expect(decimalToUnits(Number.POSITIVE_INFINITY, 2)).toEqual({ ok: false, error: 'syntax' });
    expect(decimalToUnits('-1', 2)).toEqual({ ok: false, error: 'negative' });
    expect(decimalToUnits(-0.01, 2)).toEqual({ ok: false, error: 'negative' });
    expect(decimalToUnits('-0.00', 2)).toEqual({ ok: true, units: 0 });
    expect(decimalToUnits('42949672.95', 2)).toEqual({ ok: true, units: U32_MAX });
    expect(decimalToUnits('42949672.96', 2)).toEqual({ ok: false, error: 'overflow' });
    expect(decimalToUnits('1e9999', 0)).toEqual({ ok: false, error: 'overflow' });
    expect(decimalToUnits('1e-9999', 12)).toEqual({ ok: false, error: 'precision' });
    // Overflow is decided on the integer part first: a too-large AND too-precise value overflows.
    expect(decimalToUnits('99999999999.001', 0)).toEqual({ ok: false, error: 'overflow' });
    expect(decimalToUnits('100', 0, 99)).toEqual({ ok: false, error: 'overflow' });
    expect(() => decimalToUnits('1', MAX_SCALE + 1)).toThrow(RangeError);
  });

  it('round-trips every u32 at every scale through its exact text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: U32_MAX }), fc.integer({ min: 0, max: MAX_SCALE }), (units, scale) => {
        expect(decimalToUnits(formatScaled(units, scale), scale)).toEqual({ ok: true, units });
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with a BigInt reference on arbitrary decimal texts', () => {
    const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: max });
    const text = fc
      .tuple(fc.boolean(), digits(14), fc.option(digits(14), { nil: undefined }), fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }))
      .map(([neg, whole, frac, exp]) => `${neg ? '-' : ''}${whole}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `e${exp}`}`);
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: MAX_SCALE }), (t, scale) => {
        expect(decimalToUnits(t, scale)).toEqual(reference(t, scale));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the reference on the short plain decimals producers send (the fast path) and at its edges', () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const text = fc.tuple(digits(1, 10), fc.option(digits(1, 8), { nil: undefined })).map(([whole, frac]) => (frac === undefined ? whole : `${whole}.${frac}`));
    const max = fc.oneof(fc.constant(U32_MAX), fc.integer({ min: 0, max: U32_MAX }), fc.constant(Number.MAX_SAFE_INTEGER));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: MAX_SCALE }), max, (t, scale, m) => {
        expect(decimalToUnits(t, scale, m)).toEqual(reference(t, scale, m));
      }),
      { numRuns: 5000 },
    );
    for (const t of ['999999999999999', '9999999999999999', '123456789012.345', '0.000000000001', '00000000000000.1', '1.']) {
      for (const scale of [0, 2, MAX_SCALE])
        expect(decimalToUnits(t, scale, Number.MAX_SAFE_INTEGER), `${t} at ${scale}`).toEqual(reference(t, scale, Number.MAX_SAFE_INTEGER));
    }
  });

  it('reads a JSON number as the decimal it prints as', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: MAX_SCALE }), (n, scale) => {
        expect(decimalToUnits(n, scale)).toEqual(reference(String(n), scale));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('largestFittingScale', () => {
  it('names the largest scale at which a value fits', () => {
    expect(largestFittingScale('42949672.95')).toBe(2);
    expect(largestFittingScale('42949672.96')).toBe(1);
    expect(largestFittingScale('0.5')).toBe(9);
    expect(largestFittingScale('0.000001')).toBe(MAX_SCALE);
    expect(largestFittingScale('5000000000')).toBeNull();
    expect(largestFittingScale('65012.5', Math.floor(U32_MAX / 16))).toBe(3);
  });
});
