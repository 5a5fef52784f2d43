/**
 * Number-or-bigint integers for the exact samplers.
 *
 * The samplers compute with plain `number`s on their hot path and fall back to BigInt only where a
 * value could leave the safe-integer range. Two facts make that exact:
 *
 * 1. Every integer of magnitude ≤ 2^53 − 1 (MAX_SAFE) is a double, and +, −, ×, % and the division
 *    of an exact multiple return the exact result whenever it is itself ≤ MAX_SAFE.
 * 2. IEEE rounding is monotone, so a computed sum or product of non-negative safe integers that is
 *    ≤ MAX_SAFE *is* the exact value, and one whose exact value exceeds MAX_SAFE computes to ≥ 2^53.
 *    So `a * b <= MAX_SAFE` (or `t * v + u <= MAX_SAFE`) is an exact test for "the result fits",
 *    and the code switches to BigInt when it fails.
 *
 * Floor division is done as (a − a % b) / b, never Math.floor(a / b) (a / b may round up to the
 * next integer when b is large).
 */

/** A sampled integer: a number whenever it is a safe integer, a bigint only beyond ±(2^53 − 1). */
export type SampledInteger = number | bigint;

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** The canonical SampledInteger for an exact bigint value. */
export function toSampledInteger(value: bigint): SampledInteger {
  return value <= MAX_SAFE_BIG && value >= -MAX_SAFE_BIG ? Number(value) : value;
}

/** True when both parts of a non-negative rational num/den fit the number fast path. */
export function fitsSafe(num: bigint, den: bigint): boolean {
  return num <= MAX_SAFE_BIG && den <= MAX_SAFE_BIG;
}
