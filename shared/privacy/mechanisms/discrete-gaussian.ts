import { AppError } from '../../errors.ts';
import type { RandomSource } from '../../ports/random.ts';
import { zcdpLoss, type ZcdpLoss } from '../conversions.ts';
import { divRational, mulRational, rational, sqrtUp, type Rational, type RationalInput } from '../rational.ts';
import { makeDiscreteGaussianSampler } from '../samplers/discrete-gaussian.ts';
import { l2SquaredSensitivity, type SensitivityInput } from '../sensitivity.ts';
import { addNoise } from './add-noise.ts';
import { MAX_NOISE_PARAMETER, MIN_NOISE_PARAMETER, noiseParameter } from './parameters.ts';

/** σ as a decimal or rational (σ = 6 → σ² = 36), or σ² itself (e.g. from sigmaForRho). */
export type DiscreteGaussianOptions = { readonly sigma: RationalInput } | { readonly sigmaSquared: RationalInput };

export interface DiscreteGaussian {
  readonly mechanism: 'discrete-gaussian';
  /** √σ², rounded up: for display. The mechanism and its privacy map use `sigmaSquared`. */
  readonly sigma: number;
  readonly sigmaSquared: Rational;
  /** Adds independent discrete Gaussian noise to each integer. */
  release(values: readonly number[], rng: RandomSource): number[];
  release(values: readonly bigint[], rng: RandomSource): bigint[];
  /** ρ = Δ2²/(2σ²) for a query with L2 sensitivity Δ2 (a Sensitivity uses its exact `l2Squared`). */
  privacyMap(sensitivityL2: SensitivityInput): ZcdpLoss;
}

const SIGMA_SQUARED_BOUNDS = {
  min: mulRational(MIN_NOISE_PARAMETER, MIN_NOISE_PARAMETER),
  max: mulRational(MAX_NOISE_PARAMETER, MAX_NOISE_PARAMETER),
};

/**
 * The discrete Gaussian mechanism on integer vectors.
 *
 * Guarantee: ρ-zCDP with ρ = Δ2²/(2σ²) for integer-valued f with ‖f(D) − f(D′)‖₂ ≤ Δ2, the same
 * ρ as the continuous Gaussian (Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential
 * Privacy", NeurIPS 2020, privacy analysis of the (multivariate) discrete Gaussian).
 * Proof sketch (one coordinate, integer shift μ, Z = Σ_x e^{−x²/(2σ²)}): completing the square,
 *   e^{(α−1)·D_α(N_ℤ(μ,σ²) ‖ N_ℤ(0,σ²))} = e^{α(α−1)μ²/(2σ²)} · Σ_x e^{−(x−αμ)²/(2σ²)} / Z,
 * and the shifted sum never exceeds Z (CKS20, via Poisson summation), so D_α ≤ αμ²/(2σ²);
 * coordinates are independent, so the divergences add to α‖μ‖²/(2σ²) ≤ α·Δ2²/(2σ²).
 * Noise is sampled exactly (samplers/discrete-gaussian.ts) from the exact rational σ².
 * Reference: OpenDP measurements/noise (ZExpFamily<2>, ρ = (Δ2/scale)²/2).
 */
export function makeDiscreteGaussian(options: DiscreteGaussianOptions): DiscreteGaussian {
  let sigmaSquared: Rational;
  if ('sigmaSquared' in options) {
    sigmaSquared = noiseParameter(options.sigmaSquared, 'sigmaSquared', SIGMA_SQUARED_BOUNDS);
  } else if ('sigma' in options) {
    const sigma = noiseParameter(options.sigma, 'sigma');
    sigmaSquared = mulRational(sigma, sigma);
  } else {
    throw new AppError('DP_INVALID_PARAMETER', 'discrete Gaussian needs sigma or sigmaSquared');
  }
  const sample = makeDiscreteGaussianSampler(sigmaSquared.num, sigmaSquared.den);
  return {
    mechanism: 'discrete-gaussian',
    sigma: sqrtUp(sigmaSquared),
    sigmaSquared,
    release: ((values: readonly number[] | readonly bigint[], rng: RandomSource) =>
      addNoise(values, rng, sample)) as DiscreteGaussian['release'],
    privacyMap: (sensitivityL2) =>
      zcdpLoss(
        divRational(l2SquaredSensitivity(sensitivityL2, 'sensitivityL2'), mulRational(rational(2n), sigmaSquared)),
      ),
  };
}
