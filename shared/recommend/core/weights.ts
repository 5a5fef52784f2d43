/**
 * Per-shopper weights that bound the L2 sensitivity of the item statistics (docs/recommender.md §2).
 *
 * Statistics are integerised at the public granularity g = 1/G, G = WEIGHT_SCALE = 2^16: a shopper's
 * weight is an integer number k of units g, ROUNDED DOWN from the real weight, so the rounding
 * only shrinks a shopper's contribution and the bounds below hold without any slack.
 *
 * Supports. A shopper who bought c distinct items (of the released list) adds k_s(c) to each of
 * their c item cells, k_s(c) = ⌊G/√c⌋ (real weight 1/√c, so the contribution vector has L2 norm 1).
 *   Theorem S: k_s(c)²·c ≤ G², so adding or removing one shopper changes the integer support
 *   vector by at most G in L2 (1 in real units), and each cell by at most G (c = 1).
 *
 * Covariance. The released matrix is Σ_u w_u r_u r_uᵀ over the item list (r_u the shopper's 0/1
 * item vector), as its upper triangle with the diagonal: c(c+1)/2 values per shopper, each + k_c(c),
 * k_c(c) = ⌊G·√(2/(c(c+1)))⌋.
 *   Theorem C: k_c(c)²·c(c+1)/2 ≤ G², so one shopper changes the released values by at most G
 *   in L2 (1 in real units) and each value by at most G (c = 1).
 * Proof of both: k = ⌊√⌊x⌋⌋ = ⌊√x⌋ for x = G²/c (resp. 2G²/(c(c+1))), so k² ≤ x, i.e. k²·c ≤ G²
 * (resp. k²·c(c+1)/2 ≤ G²); the number of values a shopper touches is exactly c (resp. c(c+1)/2),
 * each by exactly k, and no other shopper's weight depends on them (weights use the shopper's own c).
 * Both are checked exactly for every c up to 10^5 in weights.test.ts.
 *
 * Why 2/(c(c+1)) and not McSherry–Mironov's 1/c²: the upper triangle holds each off-diagonal pair
 * once, so its squared norm is w²·c(c+1)/2, not w²·c²; the larger weight is √2·√(c/(c+1)) more
 * signal for the same noise.
 */

export const WEIGHT_SCALE = 65_536;
const G2 = WEIGHT_SCALE * WEIGHT_SCALE;

/** ⌊√n⌋ for a safe integer n ≥ 0, exactly (corrects Math.sqrt's rounding). */
export function floorSqrt(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`floorSqrt of ${n}`);
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

/** ⌊a/b⌋ for safe integers a ≥ 0, b > 0, exactly. */
function floorDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

function checkCount(c: number): void {
  if (!Number.isSafeInteger(c) || c < 1 || c > 10_000_000) {
    throw new RangeError(`item count is ${c}, expected an integer 1..10^7`);
  }
}

/** k_s(c) = ⌊G/√c⌋: a support weight in units of 1/G. */
export function supportWeight(c: number): number {
  checkCount(c);
  return floorSqrt(floorDiv(G2, c));
}

/** k_c(c) = ⌊G·√(2/(c(c+1)))⌋: a covariance weight in units of 1/G. */
export function covarianceWeight(c: number): number {
  checkCount(c);
  return floorSqrt(floorDiv(2 * G2, c * (c + 1)));
}
