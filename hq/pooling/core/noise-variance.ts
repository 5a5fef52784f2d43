import { mulRational, rational, rationalToNumberUp, type Rational } from '../../../shared/privacy/rational.ts';

/**
 * The variance of one released value's noise, from what its payload states (docs/hq-pooling.md §1).
 *
 * Discrete Gaussian N_ℤ(0, σ²): Var ≤ σ² (Canonne, Kamath, Steinke 2020, the variance bound of the
 * discrete Gaussian: it is σ-subgaussian, so E[X²] ≤ σ²). HQ carries σ² — an exact rational
 * upper bound, tight to within 10⁻⁶ relative for σ ≥ 1 — not the exact variance, which is an
 * infinite series.
 * Discrete Laplace with scale t, P(x) ∝ q^|x|, q = e^{−1/t}: Var = 2q/(1 − q)² exactly
 * (Σ_x x² q^|x| · (1 − q)/(1 + q)); irrational, so computed in double with expm1 for 1 − q
 * (relative error below 10⁻¹⁵ for every scale a payload may carry).
 * A value is an integer number of granularity g, so the real value's noise variance is Var·g².
 */

export type NoiseSpec =
  | { readonly mechanism: 'discrete-gaussian'; readonly sigmaSquared: Rational }
  | { readonly mechanism: 'discrete-laplace'; readonly scale: Rational };

export interface NoiseVariance {
  /** In real units (×g²), as a double never below the exact Gaussian bound. */
  readonly variance: number;
  /** Discrete Gaussian only: the exact bound σ²·g². */
  readonly exactBound: Rational | null;
}

const RATIONAL_TEXT = /^(\d{1,40})(?:\/([1-9]\d{0,39}))?$/;

/** "80", "1/500": the payloads' exact rationals (schema-checked on receipt). */
export function parseRationalText(text: string, name: string): Rational {
  const match = RATIONAL_TEXT.exec(text);
  if (match === null) throw new RangeError(`${name} is "${text}", expected a rational "num" or "num/den"`);
  return rational(BigInt(match[1] as string), BigInt(match[2] ?? '1'));
}

export function laplaceVariance(scale: number): number {
  const oneMinusQ = -Math.expm1(-1 / scale);
  const q = 1 - oneMinusQ;
  return (2 * q) / (oneMinusQ * oneMinusQ);
}

export function noiseVariance(noise: NoiseSpec, granularity: Rational): NoiseVariance {
  const g2 = mulRational(granularity, granularity);
  if (noise.mechanism === 'discrete-gaussian') {
    const exactBound = mulRational(noise.sigmaSquared, g2);
    return { variance: rationalToNumberUp(exactBound), exactBound };
  }
  const t = Number(noise.scale.num) / Number(noise.scale.den);
  return { variance: laplaceVariance(t) * rationalToNumberUp(g2), exactBound: null };
}
