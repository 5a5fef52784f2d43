import { AppError } from '../../errors.ts';
import { zcdpToApproxDp } from '../../privacy/conversions.ts';
import { addRational, compareRational, mulRational, rational, type Rational } from '../../privacy/rational.ts';

/**
 * The recommender's privacy budget (pure): an analyst's (ε, δ) as a zCDP ρ, and its split between
 * the two rounds of statistics (docs/recommender.md §3).
 */

const RHO_GRID = 1_000_000_000n;

/**
 * The largest ρ on the grid 10^-9 whose (ε, δ) conversion (the tighter CKS bound of
 * zcdpToApproxDp, never below the true ε) is at most `epsilon`. Spending that ρ is (ε, δ)-DP.
 */
export function rhoForEpsilon(epsilon: number, delta: number): Rational {
  if (!Number.isFinite(epsilon) || epsilon <= 0) {
    throw new AppError('DP_INVALID_PARAMETER', `epsilon is ${epsilon}, expected a number > 0`);
  }
  if (!(delta > 0 && delta < 1)) {
    throw new AppError('DP_INVALID_PARAMETER', `delta is ${delta}, expected a number in (0, 1)`);
  }
  const fits = (n: bigint): boolean => zcdpToApproxDp(rational(n, RHO_GRID), delta).epsilon <= epsilon;
  if (!fits(1n)) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `epsilon ${epsilon} at delta ${delta} is below what ρ = 1e-9 costs, expected a larger epsilon or delta`,
    );
  }
  let lo = 1n;
  let hi = 2n;
  while (fits(hi)) {
    lo = hi;
    hi *= 2n;
    if (hi > 1000n * RHO_GRID) break;
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return rational(lo, RHO_GRID);
}

/**
 * Round 1 (supports over the catalog) gets `supportsShare` of ρ, round 2 (the covariance over the
 * chosen list, or a second supports release) the rest; the two add up to ρ exactly (zCDP
 * composes by adding ρ, also when round 2's shape is chosen from round 1's output).
 */
export function splitBudget(rho: Rational, supportsShare: Rational): { first: Rational; second: Rational } {
  if (compareRational(supportsShare, rational(0n)) <= 0 || compareRational(supportsShare, rational(1n)) >= 0) {
    throw new AppError('DP_INVALID_PARAMETER', 'supportsShare must be strictly between 0 and 1');
  }
  const first = mulRational(rho, supportsShare);
  const second = mulRational(rho, rational(supportsShare.den - supportsShare.num, supportsShare.den));
  if (compareRational(addRational(first, second), rho) !== 0)
    throw new AppError('INTERNAL', 'budget split does not add up');
  return { first, second };
}
