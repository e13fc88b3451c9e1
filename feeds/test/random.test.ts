import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random.js';

function draws(rng: Rng, n: number, f: (r: Rng) => number): number[] {
  return Array.from({ length: n }, () => f(rng));
}

function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

describe('Rng', () => {
  it('is reproducible per seed and differs between seeds, including seeds beyond 32 bits', () => {
    const a = draws(new Rng(42), 100, (r) => r.nextUint32());
    expect(draws(new Rng(42), 100, (r) => r.nextUint32())).toEqual(a);
    expect(draws(new Rng(43), 100, (r) => r.nextUint32())).not.toEqual(a);
    expect(draws(new Rng(42 + 2 ** 32), 100, (r) => r.nextUint32())).not.toEqual(a);
    expect(draws(new Rng(-42), 100, (r) => r.nextUint32())).not.toEqual(a);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
    expect(() => new Rng(2 ** 60)).toThrow(RangeError);
  });

  it('draws uniforms in [0, 1) with the right moments', () => {
    const xs = draws(new Rng(1), 100_000, (r) => r.uniform());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, sd } = meanSd(xs);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeCloseTo(Math.sqrt(1 / 12), 2);
  });

  it('draws standard normals, exponentials and log-normals with the right moments', () => {
    const normal = meanSd(draws(new Rng(2), 100_000, (r) => r.normal()));
    expect(normal.mean).toBeCloseTo(0, 1);
    expect(normal.sd).toBeCloseTo(1, 1);

    const exp = meanSd(draws(new Rng(3), 100_000, (r) => r.exponential(4)));
    expect(exp.mean).toBeCloseTo(0.25, 2);
    expect(exp.sd).toBeCloseTo(0.25, 2);

    const logs = meanSd(draws(new Rng(4), 100_000, (r) => Math.log(r.logNormal(3, 0.5))));
    expect(logs.mean).toBeCloseTo(3, 1);
    expect(logs.sd).toBeCloseTo(0.5, 1);
  });

  it('returns the cached Box–Muller spare as the second normal of a pair, uncorrelated with the first', () => {
    const rng = new Rng(5);
    let sxy = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) sxy += rng.normal() * rng.normal();
    expect(Math.abs(sxy / n)).toBeLessThan(0.03);
  });
});
