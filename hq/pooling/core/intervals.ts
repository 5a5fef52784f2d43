/**
 * Estimates with 95% intervals from released noisy values (pure post-processing; docs/hq-pooling.md).
 *
 * A pooled sum S = Σ value·g of independent noisy values has noise variance V = Σ Var (the noises
 * are independent: each store draws its own), so the figure is S ± z·√V with z = 1.95996 (the
 * normal 97.5% quantile). For discrete Gaussian noise that interval has ≥ 95% coverage up to the
 * normal approximation (the sum of discrete Gaussians is σ_S-subgaussian with σ_S² = Σσ², so
 * S ± √(2 ln 40)·σ_S = ±2.716·σ_S is a guaranteed ≥ 95% interval; `guaranteedHalfWidth95`).
 *
 * Ratios (repeat share, conversion, redemption rates) use the delta method with independent
 * numerator and denominator noise:
 *   r = a/b,  Var(r) ≈ V_a/b² + a²·V_b/b⁴,
 * and are flagged unreliable when the denominator's own interval reaches within a factor of 2 of
 * zero (b < 2·z·√V_b), where the linearisation fails.
 */

export const Z95 = 1.959963984540054;
/** √(2 ln(2/0.05)): the subgaussian tail bound's 95% multiplier. */
export const SUBGAUSSIAN_Z95 = Math.sqrt(2 * Math.log(40));

export interface Estimate {
  readonly value: number;
  readonly variance: number;
  readonly halfWidth95: number;
  readonly low: number;
  readonly high: number;
  /** False when the figure's interval is too wide for the estimate to be read (ratios near 0/0). */
  readonly reliable: boolean;
}

export function estimate(value: number, variance: number, reliable = true): Estimate {
  const halfWidth95 = Z95 * Math.sqrt(Math.max(0, variance));
  return { value, variance, halfWidth95, low: value - halfWidth95, high: value + halfWidth95, reliable };
}

export function guaranteedHalfWidth95(gaussianVarianceBound: number): number {
  return SUBGAUSSIAN_Z95 * Math.sqrt(gaussianVarianceBound);
}

export function sumEstimates(parts: readonly Estimate[]): Estimate {
  return estimate(
    parts.reduce((a, p) => a + p.value, 0),
    parts.reduce((a, p) => a + p.variance, 0),
    parts.every((p) => p.reliable),
  );
}

export function scaleEstimate(e: Estimate, factor: number): Estimate {
  return estimate(e.value * factor, e.variance * factor * factor, e.reliable);
}

/** a/b by the delta method (independent noise); `extraVariance` adds e.g. a sampling variance. */
export function ratioEstimate(a: Estimate, b: Estimate, extraVariance = 0): Estimate {
  if (b.value <= 0) return { ...estimate(Number.NaN, Number.POSITIVE_INFINITY, false), value: Number.NaN };
  const r = a.value / b.value;
  const variance = a.variance / b.value ** 2 + (a.value ** 2 * b.variance) / b.value ** 4 + extraVariance;
  return estimate(r, variance, a.reliable && b.value >= 2 * Z95 * Math.sqrt(b.variance));
}

export function differenceEstimate(a: Estimate, b: Estimate): Estimate {
  return estimate(a.value - b.value, a.variance + b.variance, a.reliable && b.reliable);
}

/**
 * A rate p = k/n of n shown offers: its DP noise (delta method) plus the binomial sampling
 * variance p(1 − p)/n, since the lift of an offer is an effect estimated from a sample of shoppers.
 */
export function rateEstimate(successes: Estimate, trials: Estimate): Estimate {
  const p = trials.value > 0 ? successes.value / trials.value : Number.NaN;
  const sampling =
    trials.value > 0 ? (Math.min(1, Math.max(0, p)) * (1 - Math.min(1, Math.max(0, p)))) / trials.value : 0;
  return ratioEstimate(successes, trials, sampling);
}
