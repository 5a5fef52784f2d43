import type { RandomSource } from '../../ports/random.ts';
import { pureDpLoss, type PureDpLoss } from '../conversions.ts';
import { divRational, type Rational, type RationalInput } from '../rational.ts';
import { sampleDiscreteLaplaceSmall } from '../samplers/discrete-laplace.ts';
import { l1Sensitivity, type SensitivityInput } from '../sensitivity.ts';
import { addNoise } from './add-noise.ts';
import { noiseParameter } from './parameters.ts';

export interface DiscreteLaplaceOptions {
  /** The scale t > 0 (a decimal, bigint or exact rational): noise P(x) ∝ e^{−|x|/t}. */
  readonly scale: RationalInput;
}

export interface DiscreteLaplace {
  readonly mechanism: 'discrete-laplace';
  readonly scale: Rational;
  /** Adds independent discrete Laplace noise to each integer. */
  release(values: readonly number[], rng: RandomSource): number[];
  release(values: readonly bigint[], rng: RandomSource): bigint[];
  /** ε = Δ1/scale for a query with L1 sensitivity Δ1 (a Sensitivity uses its `l1`). */
  privacyMap(sensitivityL1: SensitivityInput): PureDpLoss;
}

/**
 * The discrete Laplace (two-sided geometric) mechanism on integer vectors.
 *
 * Guarantee: ε-DP with ε = Δ1/t for integer-valued f with ‖f(D) − f(D′)‖₁ ≤ Δ1.
 * Proof sketch: the output density ratio at any z is
 *   Π_i e^{(|z_i − f(D′)_i| − |z_i − f(D)_i|)/t} ≤ e^{Σ_i |f(D)_i − f(D′)_i|/t} ≤ e^{Δ1/t}
 * by the triangle inequality; the normalising constants are equal. The noise is sampled exactly
 * (samplers/discrete-laplace.ts), so the guarantee holds for the implementation, not just the math.
 * References: Ghosh, Roughgarden, Sundararajan 2009 (geometric mechanism); Canonne, Kamath,
 * Steinke 2020 §5; OpenDP measurements/noise (ZExpFamily<1>, ε = Δ1/scale).
 */
export function makeDiscreteLaplace(options: DiscreteLaplaceOptions): DiscreteLaplace {
  const scale = noiseParameter(options.scale, 'scale');
  const num = Number(scale.num);
  const den = Number(scale.den);
  const sample = (rng: RandomSource) => sampleDiscreteLaplaceSmall(rng, num, den);
  return {
    mechanism: 'discrete-laplace',
    scale,
    release: ((values: readonly number[] | readonly bigint[], rng: RandomSource) =>
      addNoise(values, rng, sample)) as DiscreteLaplace['release'],
    privacyMap: (sensitivityL1) => pureDpLoss(divRational(l1Sensitivity(sensitivityL1, 'sensitivityL1'), scale)),
  };
}
