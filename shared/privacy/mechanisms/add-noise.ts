import { AppError } from '../../errors.ts';
import type { RandomSource } from '../../ports/random.ts';
import type { SampledInteger } from '../samplers/integer.ts';

/**
 * values[i] + one independent noise sample each. Integer inputs only (integerise first): adding
 * integer noise to integers keeps the output support independent of the input, unlike float noise
 * (Mironov 2012). Every value is validated before any noise is drawn. A number input gives number
 * outputs and must stay within ±(2^53 − 1); pass bigints for anything larger.
 * The exact samplers' running time depends on the noise drawn (Jin et al., S&P 2022); hub releases
 * are computed in scheduled batches, so it is not observable upstream (docs/references.md#differential-privacy).
 */
export function addNoise(
  values: readonly number[],
  rng: RandomSource,
  sample: (rng: RandomSource) => SampledInteger,
): number[];
export function addNoise(
  values: readonly bigint[],
  rng: RandomSource,
  sample: (rng: RandomSource) => SampledInteger,
): bigint[];
export function addNoise(
  values: readonly number[] | readonly bigint[],
  rng: RandomSource,
  sample: (rng: RandomSource) => SampledInteger,
): number[] | bigint[];
export function addNoise(
  values: readonly number[] | readonly bigint[],
  rng: RandomSource,
  sample: (rng: RandomSource) => SampledInteger,
): number[] | bigint[] {
  if (!Array.isArray(values)) throw new AppError('DP_INVALID_PARAMETER', 'values is not an array of integers');
  const list: readonly unknown[] = values;
  if (list.every((v): v is bigint => typeof v === 'bigint')) {
    return list.map((v) => v + BigInt(sample(rng)));
  }
  list.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `values[${i}] is ${String(v)}, expected a safe integer (or pass all values as bigints)`,
      );
    }
  });
  return (list as readonly number[]).map((v, i) => {
    const noise = sample(rng);
    const noisy = typeof noise === 'number' ? v + noise : Number.NaN;
    if (!Number.isSafeInteger(noisy)) {
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `values[${i}] plus noise leaves ±(2^53 − 1): pass the values as bigints`,
      );
    }
    return noisy;
  });
}
