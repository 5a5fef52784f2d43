import { AppError } from '../errors.ts';
import { mulRational, nonNegativeRational, rational, sqrtUp, type Rational, type RationalInput } from './rational.ts';

/**
 * Sensitivity of an integer-valued query under add/remove-one-privacy-unit neighbours, from per-unit
 * contribution bounds (docs/references.md#differential-privacy; Google go/noise, PipelineDP
 * dp_computations.py): a unit touches at most L0 cells and changes each by at most L∞, so
 *   Δ1 = L0·L∞ and Δ2 = √L0·L∞, i.e. Δ2² = L0·L∞² exactly.
 */
export interface Sensitivity {
  /** L0: the most cells one privacy unit can change. */
  readonly l0: number;
  /** L∞: the most one unit can change one cell. */
  readonly lInf: bigint;
  /** Δ1 = L0·L∞ (exact). */
  readonly l1: bigint;
  /** Δ2² = L0·L∞² (exact: Δ2 itself is irrational unless L0 is a square). */
  readonly l2Squared: bigint;
  /** Δ2 = √L0·L∞, rounded up, for display only. */
  readonly l2: number;
}

/** A Sensitivity, or the plain Δ (Δ1 for Laplace, Δ2 for Gaussian) as a RationalInput. */
export type SensitivityInput = Sensitivity | RationalInput;

export function contributionSensitivity(l0: number, lInf: bigint | number): Sensitivity {
  if (!Number.isSafeInteger(l0) || l0 < 0) {
    throw new AppError('DP_INVALID_PARAMETER', `L0 (cells per unit) is ${l0}, expected a non-negative integer`);
  }
  const bound = typeof lInf === 'bigint' ? lInf : Number.isSafeInteger(lInf) ? BigInt(lInf) : -1n;
  if (bound < 0n) {
    throw new AppError('DP_INVALID_PARAMETER', `L∞ (change per cell) is ${lInf}, expected a non-negative integer`);
  }
  const l2Squared = BigInt(l0) * bound * bound;
  return { l0, lInf: bound, l1: BigInt(l0) * bound, l2Squared, l2: sqrtUp(rational(l2Squared)) };
}

function isSensitivity(input: SensitivityInput): input is Sensitivity {
  return typeof input === 'object' && input !== null && 'l2Squared' in input;
}

/** Δ1 as an exact rational. */
export function l1Sensitivity(input: SensitivityInput, name = 'sensitivity'): Rational {
  return isSensitivity(input) ? rational(input.l1) : nonNegativeRational(input, name);
}

/** Δ2² as an exact rational (a plain input is Δ2 and is squared). */
export function l2SquaredSensitivity(input: SensitivityInput, name = 'sensitivity'): Rational {
  if (isSensitivity(input)) return rational(input.l2Squared);
  const delta = nonNegativeRational(input, name);
  return mulRational(delta, delta);
}
