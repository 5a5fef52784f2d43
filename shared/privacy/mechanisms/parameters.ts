import { AppError } from '../../errors.ts';
import {
  compareRational,
  describeInput,
  rationalFromDecimal,
  toRational,
  type Rational,
  type RationalInput,
} from '../rational.ts';

/**
 * Noise parameters (a scale or σ) are accepted in [MIN_NOISE_PARAMETER, MAX_NOISE_PARAMETER], with a
 * reduced numerator and denominator ≤ 2^53 − 1 so that the samplers run on their number fast path.
 * Beyond these bounds a release is meaningless (no noise, or no signal) or a typo.
 */
export const MIN_NOISE_PARAMETER = rationalFromDecimal('1e-6');
export const MAX_NOISE_PARAMETER = rationalFromDecimal('1e9');
const MAX_PART = BigInt(Number.MAX_SAFE_INTEGER);

/** Validates a positive, bounded, exactly representable noise parameter, naming it in errors. */
export function noiseParameter(
  input: RationalInput,
  name: string,
  bounds: { min: Rational; max: Rational } = { min: MIN_NOISE_PARAMETER, max: MAX_NOISE_PARAMETER },
): Rational {
  const value = toRational(input, name);
  const shown = describeInput(input);
  if (value.num <= 0n) {
    throw new AppError('DP_INVALID_PARAMETER', `${name} is ${shown}, expected a positive number`);
  }
  if (compareRational(value, bounds.min) < 0 || compareRational(value, bounds.max) > 0) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `${name} is ${shown}, expected a value between ${describeInput(bounds.min)} and ${describeInput(bounds.max)}`,
    );
  }
  if (value.num > MAX_PART || value.den > MAX_PART) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `${name} is ${shown}, expected fewer digits (numerator and denominator ≤ 2^53 − 1)`,
    );
  }
  return value;
}
