import { AppError } from '../errors.ts';
import {
  divRational,
  mulRational,
  nonNegativeRational,
  rational,
  rationalToNumberUp,
  sqrtUp,
  type Rational,
  type RationalInput,
} from './rational.ts';
import { l2SquaredSensitivity, type SensitivityInput } from './sensitivity.ts';

/** ε-DP. `epsilonNumber` is never below the exact `epsilon`. */
export interface PureDpLoss {
  readonly measure: 'pure-dp';
  readonly epsilon: Rational;
  readonly epsilonNumber: number;
}

/** ρ-zCDP. `rhoNumber` is never below the exact `rho`. */
export interface ZcdpLoss {
  readonly measure: 'zcdp';
  readonly rho: Rational;
  readonly rhoNumber: number;
}

/** (ε, δ)-DP from ρ-zCDP. Both ε are valid (rounded outward); `epsilon` is the smaller (CKS). */
export interface ApproxDpLoss {
  readonly measure: 'approx-dp';
  readonly epsilon: number;
  readonly epsilonBunSteinke: number;
  readonly delta: number;
}

export function pureDpLoss(epsilon: Rational): PureDpLoss {
  return { measure: 'pure-dp', epsilon, epsilonNumber: rationalToNumberUp(epsilon) };
}

export function zcdpLoss(rho: Rational): ZcdpLoss {
  return { measure: 'zcdp', rho, rhoNumber: rationalToNumberUp(rho) };
}

/**
 * ε-DP ⇒ (ε²/2)-zCDP, exactly (Bun & Steinke, "Concentrated Differential Privacy", TCC 2016,
 * §1; OpenDP combinators/measure_cast/pureDP_to_zCDP).
 */
export function pureToZcdp(epsilon: RationalInput): ZcdpLoss {
  const eps = nonNegativeRational(epsilon, 'epsilon');
  return zcdpLoss(mulRational(mulRational(eps, eps), rational(1n, 2n)));
}

/**
 * ρ-zCDP ⇒ (ε, δ)-DP, two valid bounds:
 * - Bun–Steinke 2016 (§1): ε = ρ + 2√(ρ·ln(1/δ)).
 * - Canonne–Kamath–Steinke 2020 (the tighter conversion; as in OpenDP zCDP_to_approxDP/cdp_delta): for
 *   every α > 1 the mechanism is (ε, δ_α(ε))-DP with
 *     ln δ_α(ε) = (α−1)(αρ − ε) + α·ln(1 − 1/α) − ln(α − 1),
 *   and δ(ε) = inf_α δ_α(ε). Since ANY α gives a valid δ, the search need not find the exact
 *   optimum: for each candidate ε we take the α where the derivative (2α−1)ρ − ε + ln(1 − 1/α)
 *   (increasing in α) changes sign, by bisection, and accept ε only if ln δ_α(ε) plus an error
 *   margin is ≤ ln δ. Bisection on ε then keeps an accepted upper end, so the result is never
 *   below the true bound.
 * Outward rounding: the margins (relative 2^-40 of the magnitudes involved) exceed the error of
 * the dozen IEEE operations (each ≤ 1 ulp, with log1p for ln(1 − 1/α)) by a factor > 1000.
 */
export function zcdpToApproxDp(rho: RationalInput, delta: number): ApproxDpLoss {
  const rhoUp = rationalToNumberUp(nonNegativeRational(rho, 'rho'));
  if (!(delta > 0 && delta < 1)) {
    throw new AppError('DP_INVALID_PARAMETER', `delta is ${delta}, expected a number in (0, 1)`);
  }
  const bunSteinke = inflate(rhoUp + 2 * Math.sqrt(rhoUp * -Math.log(delta)));
  if (rhoUp === 0) return { measure: 'approx-dp', epsilon: 0, epsilonBunSteinke: 0, delta };
  const logDelta = Math.log(delta);
  const ok = (eps: number): boolean => cksLogDeltaUpper(rhoUp, eps) <= logDelta - Math.abs(logDelta) * 2 ** -40;
  let hi = bunSteinke;
  for (let i = 0; i < 64 && !ok(hi); i++) hi = hi * 2 + 1;
  if (!ok(hi)) return { measure: 'approx-dp', epsilon: bunSteinke, epsilonBunSteinke: bunSteinke, delta };
  let lo = 0;
  for (let i = 0; i < 100 && hi - lo > hi * 2 ** -45; i++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return { measure: 'approx-dp', epsilon: Math.min(hi, bunSteinke), epsilonBunSteinke: bunSteinke, delta };
}

/** An upper bound on the CKS δ(ε) for ρ-zCDP (see zcdpToApproxDp). */
export function cksDelta(rho: number, epsilon: number): number {
  return Math.exp(cksLogDeltaUpper(rho, epsilon));
}

function cksLogDeltaUpper(rho: number, eps: number): number {
  let lo = 1 + 2 ** -30;
  let hi = Math.max(2, (eps + 1) / (2 * rho) + 2);
  for (let i = 0; i < 200 && hi - lo > hi * 2 ** -50; i++) {
    const mid = (lo + hi) / 2;
    if ((2 * mid - 1) * rho - eps + Math.log1p(-1 / mid) < 0) lo = mid;
    else hi = mid;
  }
  const alpha = (lo + hi) / 2;
  const first = (alpha - 1) * (alpha * rho - eps);
  const second = alpha * Math.log1p(-1 / alpha);
  const third = Math.log(alpha - 1);
  const magnitude = (alpha - 1) * (alpha * rho + eps) + Math.abs(second) + Math.abs(third) + 1;
  return first + second - third + magnitude * 2 ** -40;
}

/**
 * The σ² of a discrete Gaussian giving ρ-zCDP at L2 sensitivity Δ2: σ² = Δ2²/(2ρ), exact
 * (the inverse of the privacy map ρ = Δ2²/(2σ²)). Pass a Sensitivity to keep Δ2² exact when
 * Δ2 = √L0·L∞ is irrational. `sigma` is √σ² rounded up, for display.
 */
export function sigmaForRho(
  sensitivityL2: SensitivityInput,
  rho: RationalInput,
): { sigmaSquared: Rational; sigma: number } {
  const l2Squared = l2SquaredSensitivity(sensitivityL2, 'sensitivityL2');
  const target = nonNegativeRational(rho, 'rho');
  if (target.num === 0n || l2Squared.num === 0n) {
    throw new AppError('DP_INVALID_PARAMETER', 'rho and sensitivityL2 must both be positive to calibrate σ');
  }
  const sigmaSquared = divRational(l2Squared, mulRational(rational(2n), target));
  return { sigmaSquared, sigma: sqrtUp(sigmaSquared) };
}

function inflate(x: number): number {
  return x * (1 + 2 ** -40) + Number.MIN_VALUE;
}
