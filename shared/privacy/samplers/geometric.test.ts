import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { chiSquareTest, tally } from '../../testing/statistics.ts';
import { sampleGeometricFast, sampleGeometricSlow } from './geometric.ts';

/** P(V = v) = (1 − e^{−x})·e^{−xv} on v ≥ 0. */
function geometricPmf(x: number): (v: number) => number {
  return (v) => (v < 0 ? 0 : -Math.expm1(-x) * Math.exp(-x * v));
}

describe('geometric samplers', () => {
  const cases = [
    { name: 'slow, x = 1/2', draw: sampleGeometricSlow, num: 1n, den: 2n, n: 1_000_000, max: 80 },
    { name: 'fast, x = 3/7', draw: sampleGeometricFast, num: 3n, den: 7n, n: 1_000_000, max: 90 },
    { name: 'fast, x = 5/2', draw: sampleGeometricFast, num: 5n, den: 2n, n: 1_000_000, max: 20 },
    {
      name: 'fast, x ≈ 1/2 with 61-bit parts (BigInt path)',
      draw: sampleGeometricFast,
      num: 2n ** 60n + 1n,
      den: 2n ** 61n,
      n: 1_000_000,
      max: 80,
    },
  ];

  it.each(cases)('$name matches the exact PMF (χ² at α = 1e-6)', ({ draw, num, den, n, max }) => {
    const rng = new SeededRandomSource(`geometric-${num}/${den}`);
    const counts = tally(n, () => draw(rng, num, den));
    const result = chiSquareTest(counts, n, geometricPmf(Number(num) / Number(den)), { min: 0, max });
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it('rejects a non-positive rate', () => {
    const rng = new SeededRandomSource(4);
    expect(() => sampleGeometricSlow(rng, 0n, 1n)).toThrow(RangeError);
    expect(() => sampleGeometricFast(rng, 1n, -1n)).toThrow(RangeError);
  });
});
