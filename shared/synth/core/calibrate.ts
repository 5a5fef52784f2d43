import { AppError } from '../../errors.ts';
import { zcdpToApproxDp, type ApproxDpLoss } from '../../privacy/conversions.ts';
import {
  addRational,
  compareRational,
  divRational,
  mulRational,
  rational,
  rationalFromDecimal,
  sqrtUp,
  type Rational,
} from '../../privacy/rational.ts';
import type { CoordinateLayout } from './encode.ts';

/**
 * Calibration of the synthesizer (docs/synthetic-data.md §4), exact where privacy depends on it.
 *
 * The fit is T + 1 discrete Gaussian releases on integer vectors: T DP Lloyd iterations (noisy
 * per-cluster sums and counts) and one release of noisy per-group sums and counts. In each, one
 * record lands in exactly one cell and adds its vector v there, so the L2 sensitivity of the
 * whole release is ‖v‖₂ ≤ R, and for a privacy unit holding at most K records it is K·R
 * (triangle inequality), i.e. Δ2² = K²·R² exactly (R² from the layout, in integer units).
 * Each release with σ² ≥ Δ2²/(2ρ_i) is ρ_i-zCDP; zCDP composes adaptively, so the fit is
 * ρ = Σ ρ_i-zCDP and (ε, δ)-DP by the Canonne–Kamath–Steinke conversion.
 *
 * From (ε, δ): ρ is the largest multiple of 10⁻⁹ whose CKS ε is ≤ the target; the clustering
 * gets `clusterShare` of it (split evenly over its iterations) and the groups the rest. σ² is
 * Δ2²/(2ρ_i) rounded UP to a multiple of 1/1024 (so every ρ_i actually spent is ≤ its share,
 * and stated exactly). The group size m is the smallest integer with σ_groups/(G·m) ≤ τ, the
 * stated noise target (standard deviation of a group-mean coordinate in [0, 1] units).
 */

export interface SynthPrivacyTarget {
  /** Either (ε, δ) … */
  readonly epsilon?: number;
  /** … or ρ directly (zCDP), with δ only for reporting (ε, δ). */
  readonly rho?: Rational;
  readonly delta: number;
}

export interface SynthTuning {
  /** Share of ρ for the DP clustering (0 < share < 1). Default 0.3. */
  readonly clusterShare?: number;
  /** DP Lloyd iterations, ≥ 1 (the first releases the class means and counts; 1: one cluster per class). Default 2. */
  readonly iterations?: number;
  /** Clusters per label class after the first iteration. Default 2 when ρ < 0.05 (about ε < 2 at δ = 1e-6), else 4. */
  readonly clustersPerClass?: number;
  /** τ: target standard deviation of the noise on one group-mean coordinate, in [0, 1] units. Default 0.15. */
  readonly meanNoise?: number;
  /** m given directly (overrides meanNoise). */
  readonly groupSize?: number;
  /** K: the most records one privacy unit holds (1 for a table of independent people). Default 1. */
  readonly maxRecordsPerUnit?: number;
}

export interface GaussianStep {
  readonly sigmaSquared: Rational;
  /** √σ², rounded up (display). */
  readonly sigma: number;
  /** Exact zCDP cost Δ2²/(2σ²). */
  readonly rho: Rational;
}

export interface SynthPlan {
  readonly delta: number;
  /** Δ2² of every release, in integer units: K²·R². */
  readonly sensitivityL2Squared: bigint;
  readonly maxRecordsPerUnit: number;
  readonly iterations: number;
  readonly clustersPerClass: number;
  /** The step of each DP Lloyd iteration. */
  readonly clustering: GaussianStep;
  readonly groups: GaussianStep;
  readonly groupSize: number;
  /** σ_groups/(G·m): the noise sd of a group-mean coordinate, in [0, 1] units. */
  readonly meanNoise: number;
  /** Exact total ρ = iterations·ρ_clustering + ρ_groups. */
  readonly rho: Rational;
  readonly cost: ApproxDpLoss;
  /** The fewest rows for which every label class can get at least one group of m. */
  readonly minRows: number;
}

const RHO_GRID = 1_000_000_000n;
const SIGMA_GRID = 1024n;

/** The largest ρ = a/10⁹ with CKS ε(ρ, δ) ≤ ε. */
export function rhoForEpsilon(epsilon: number, delta: number): Rational {
  if (!(Number.isFinite(epsilon) && epsilon > 0)) {
    throw new AppError('DP_INVALID_PARAMETER', `epsilon is ${epsilon}, expected a number > 0`);
  }
  if (!(delta > 0 && delta < 1)) {
    throw new AppError('DP_INVALID_PARAMETER', `delta is ${delta}, expected a number in (0, 1)`);
  }
  const fits = (a: bigint): boolean => zcdpToApproxDp(rational(a, RHO_GRID), delta).epsilon <= epsilon;
  let lo = 0n;
  let hi = 1n;
  while (fits(hi)) {
    lo = hi;
    hi *= 2n;
    if (hi > RHO_GRID * 10n ** 6n) break;
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  if (lo === 0n) throw new AppError('DP_INVALID_PARAMETER', `epsilon ${epsilon} is too small for any ρ ≥ 1e-9`);
  return rational(lo, RHO_GRID);
}

/** σ² = Δ2²/(2ρ) rounded up to a multiple of 1/1024, and its exact ρ. */
export function gaussianStep(sensitivityL2Squared: bigint, rho: Rational): GaussianStep {
  if (rho.num <= 0n) throw new AppError('DP_INVALID_PARAMETER', 'a step needs ρ > 0');
  const exact = divRational(rational(sensitivityL2Squared), mulRational(rational(2n), rho));
  const scaled = exact.num * SIGMA_GRID;
  const up = (scaled + exact.den - 1n) / exact.den;
  const sigmaSquared = rational(up, SIGMA_GRID);
  const spent = divRational(rational(sensitivityL2Squared), mulRational(rational(2n), sigmaSquared));
  return { sigmaSquared, sigma: sqrtUp(sigmaSquared), rho: spent };
}

function positiveInteger(value: number, name: string, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new AppError('DP_INVALID_PARAMETER', `${name} is ${value}, expected an integer 1..${max}`);
  }
  return value;
}

function share(value: number, name: string): Rational {
  if (!(value > 0 && value < 1)) throw new AppError('DP_INVALID_PARAMETER', `${name} is ${value}, expected (0, 1)`);
  return rationalFromDecimal(value.toFixed(6), name);
}

export function planSynthesis(
  layout: CoordinateLayout,
  target: SynthPrivacyTarget,
  tuning: SynthTuning = {},
): SynthPlan {
  const { delta } = target;
  const rhoTotal = target.rho !== undefined ? target.rho : rhoForEpsilon(target.epsilon ?? Number.NaN, delta);
  if (rhoTotal.num <= 0n) throw new AppError('DP_INVALID_PARAMETER', 'rho must be > 0');
  const iterations = tuning.iterations ?? 2;
  positiveInteger(iterations, 'iterations', 20);
  const defaultClusters = compareRational(rhoTotal, rational(1n, 20n)) < 0 ? 2 : 4;
  const clustersPerClass =
    iterations === 1 ? 1 : positiveInteger(tuning.clustersPerClass ?? defaultClusters, 'clustersPerClass', 64);
  const k = positiveInteger(tuning.maxRecordsPerUnit ?? 1, 'maxRecordsPerUnit', 1000);
  const sensitivityL2Squared = BigInt(k * k) * layout.featureNormSquared;
  const clusterRho = mulRational(rhoTotal, share(tuning.clusterShare ?? 0.3, 'clusterShare'));
  const clustering = gaussianStep(sensitivityL2Squared, divRational(clusterRho, rational(BigInt(iterations))));
  const groups = gaussianStep(sensitivityL2Squared, addRational(rhoTotal, mulRational(clusterRho, rational(-1n))));
  const groupSize =
    tuning.groupSize !== undefined
      ? positiveInteger(tuning.groupSize, 'groupSize', 1_000_000)
      : groupSizeFor(groups.sigma, layout.scale, tuning.meanNoise ?? 0.15);
  const rho = addRational(groups.rho, mulRational(clustering.rho, rational(BigInt(iterations))));
  if (compareRational(rho, rhoTotal) > 0) throw new AppError('INTERNAL', 'synthesis plan exceeds its ρ');
  const classes = layout.schema.label === undefined ? 1 : labelClasses(layout);
  return {
    delta,
    sensitivityL2Squared,
    maxRecordsPerUnit: k,
    iterations,
    clustersPerClass,
    clustering,
    groups,
    groupSize,
    meanNoise: groups.sigma / (layout.scale * groupSize),
    rho,
    cost: zcdpToApproxDp(rho, delta),
    minRows: groupSize * classes,
  };
}

function groupSizeFor(sigma: number, scale: number, meanNoise: number): number {
  if (!(meanNoise > 0 && meanNoise <= 1)) {
    throw new AppError('DP_INVALID_PARAMETER', `meanNoise is ${meanNoise}, expected a number in (0, 1]`);
  }
  return Math.max(1, Math.ceil(sigma / (scale * meanNoise)));
}

function labelClasses(layout: CoordinateLayout): number {
  const label = layout.schema.columns.find((c) => c.name === layout.schema.label);
  return label?.kind === 'categorical' ? label.categories.length : 1;
}
