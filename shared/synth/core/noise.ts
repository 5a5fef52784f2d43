import type { RandomSource } from '../../ports/random.ts';
import { makeDiscreteGaussian } from '../../privacy/mechanisms/discrete-gaussian.ts';
import type { Rational } from '../../privacy/rational.ts';

/**
 * Exact discrete Gaussian noise N_ℤ(0, σ²) on every integer of a vector (shared/privacy samplers,
 * Canonne–Kamath–Steinke): the only noise the synthesizer adds. Sums are exact integers in
 * integer units, so the output support does not depend on the data.
 */
export function noisyIntegers(values: readonly number[], sigmaSquared: Rational, rng: RandomSource): number[] {
  return makeDiscreteGaussian({ sigmaSquared }).release(values, rng);
}

/**
 * The 95% half-width h of N_ℤ(0, σ²), in integer units: the smallest integer h ≥ 0 with
 * P(|X| ≤ h) ≥ 0.95, from the pmf summed in floating point over |x| ≤ 12σ (display only; for
 * σ > 10⁵ the continuous 1.96σ, rounded up, is used).
 */
export function discreteGaussianHalfWidth95(sigma: number): number {
  if (sigma > 1e5) return Math.ceil(1.959963984540054 * sigma);
  const limit = Math.ceil(12 * sigma) + 1;
  const weights: number[] = [];
  let total = 0;
  for (let x = 0; x <= limit; x++) {
    const w = Math.exp(-(x * x) / (2 * sigma * sigma)) * (x === 0 ? 1 : 2);
    weights.push(w);
    total += w;
  }
  let mass = 0;
  for (let h = 0; h <= limit; h++) {
    mass += (weights[h] as number) / total;
    if (mass >= 0.95) return h;
  }
  return limit;
}
