import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { chiSquareTest, tally } from '../../testing/statistics.ts';
import {
  integerSqrt,
  makeDiscreteGaussianSampler,
  rationalFromDecimal,
  sampleDiscreteGaussian,
} from './discrete-gaussian.ts';

/** P(x) = e^{−x²/(2σ²)} / Σ_y e^{−y²/(2σ²)}, normalised over |y| ≤ 50σ + 10 (the rest is < e^{−1250}). */
function discreteGaussianPmf(sigmaSquared: number): (x: number) => number {
  const span = Math.ceil(50 * Math.sqrt(sigmaSquared)) + 10;
  let z = 0;
  for (let y = -span; y <= span; y++) z += Math.exp(-(y * y) / (2 * sigmaSquared));
  return (x) => Math.exp(-(x * x) / (2 * sigmaSquared)) / z;
}

describe('discrete Gaussian sampler', () => {
  const cases = [
    { name: 'σ = 6 (σ² = 36)', num: 36n, den: 1n, n: 1_000_000 },
    { name: 'σ = 6.3 (σ² = 3969/100)', num: 3969n, den: 100n, n: 1_000_000 },
    { name: 'σ² = 1/2 (t = 1)', num: 1n, den: 2n, n: 1_000_000 },
    { name: 'σ² = 40 (K = 8, ρ = 0.1)', num: 40n, den: 1n, n: 1_000_000 },
    // c0 = 54000019, c1 = 15000005: number path for |Y| ≤ 9, BigInt acceptance above (≈ 3% of draws).
    { name: 'σ² = 54000019/3000001 (mixed number/BigInt acceptance)', num: 54_000_019n, den: 3_000_001n, n: 1_000_000 },
    { name: 'σ² ≈ 9 with 68-bit parts (BigInt path)', num: 9n * 2n ** 64n + 1n, den: 2n ** 64n, n: 1_000_000 },
  ];

  it.each(cases)('$name matches the exact PMF (χ² at α = 1e-6)', ({ num, den, n }) => {
    const rng = new SeededRandomSource(`dgauss-${num}/${den}`);
    const sigmaSquared = Number(num) / Number(den);
    const sample = makeDiscreteGaussianSampler(num, den);
    const counts = tally(n, () => sample(rng));
    const span = Math.ceil(12 * Math.sqrt(sigmaSquared)) + 5;
    const result = chiSquareTest(counts, n, discreteGaussianPmf(sigmaSquared), { min: -span, max: span });
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it('has power: σ² = 36 draws fail the χ² test against σ² = 37.4', () => {
    const rng = new SeededRandomSource('dgauss-power');
    const n = 1_000_000;
    const sample = makeDiscreteGaussianSampler(36n, 1n);
    const counts = tally(n, () => sample(rng));
    const result = chiSquareTest(counts, n, discreteGaussianPmf(37.4), { min: -80, max: 80 });
    expect(result.statistic).toBeGreaterThan(result.critical);
  });

  it('the one-shot form draws the same values as the prepared sampler', () => {
    const a = new SeededRandomSource('same');
    const b = new SeededRandomSource('same');
    const sample = makeDiscreteGaussianSampler(3969n, 100n);
    for (let i = 0; i < 100; i++) expect(sampleDiscreteGaussian(a, 3969n, 100n)).toBe(sample(b));
  });

  it('rejects a non-positive σ²', () => {
    expect(() => makeDiscreteGaussianSampler(0n, 1n)).toThrow(RangeError);
    expect(() => makeDiscreteGaussianSampler(1n, -1n)).toThrow(RangeError);
  });

  it('integerSqrt is ⌊√n⌋', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 35n, 36n, 37n, 2n ** 64n - 1n, 2n ** 64n, 10n ** 40n + 7n]) {
      const r = integerSqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });

  it('re-exports rationalFromDecimal for σ given as a decimal', () => {
    expect(rationalFromDecimal('6.3')).toEqual({ num: 63n, den: 10n });
  });
});
