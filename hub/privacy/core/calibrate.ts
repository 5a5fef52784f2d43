import { AppError } from '../../../shared/errors.ts';
import { toMicroRhoCeil, type MicroRho } from '../../../shared/privacy/accounting.ts';
import { pureToZcdp, sigmaForRho } from '../../../shared/privacy/conversions.ts';
import { makeDiscreteGaussian, type DiscreteGaussian } from '../../../shared/privacy/mechanisms/discrete-gaussian.ts';
import { makeDiscreteLaplace, type DiscreteLaplace } from '../../../shared/privacy/mechanisms/discrete-laplace.ts';
import {
  addRational,
  compareRational,
  mulRational,
  rational,
  type Rational,
} from '../../../shared/privacy/rational.ts';
import { integerSqrt } from '../../../shared/privacy/samplers/discrete-gaussian.ts';
import { contributionSensitivity, type Sensitivity } from '../../../shared/privacy/sensitivity.ts';

/**
 * Calibration of one release (pure): from its public shape — cells, measures, contribution
 * bounds, the ρ it may cost a shopper, the mechanism — to the noise of each measure and the
 * charge of a shopper by the number of cells they contribute.
 *
 * Per release, a shopper contributes to at most L0 = min(maxCellsPerShopper, #cells) cells, once per cell
 * (maxPerCell = 1), so a measure with per-cell bound L∞ (1 for a count, max(|lo|,|hi|) for a
 * clamped sum) has Δ1 = L0·L∞ and Δ2² = L0·L∞² (docs/references.md#differential-privacy). Each measure gets a share of ρ:
 * - discrete Gaussian: σ² = Δ2²/(2·ρ·share) exactly, so ρ_measure = ρ·share exactly;
 * - discrete Laplace:  ε = √(2·ρ·share) rounded DOWN to 9 decimals, t = Δ1/ε, and
 *   ρ_measure = ε²/2 ≤ ρ·share (pure ε-DP ⇒ ε²/2-zCDP).
 * The measures of a release are computed on the same data, so their costs add (composition).
 *
 * Individual accounting (Feldman & Zrnic 2021; docs/references.md#differential-privacy): a shopper who contributes to c
 * cells changes each measure by a vector with L0 = c, so their own privacy loss is the
 * mechanism's privacy map at contributionSensitivity(c, L∞): c·L∞²/(2σ²) (Gaussian) or
 * (c·L∞/t)²/2 (Laplace, in zCDP). That is what the ledger charges them (rounded up to µρ);
 * shoppers who contribute nothing are not charged (their data does not enter the release).
 */

export type MechanismName = 'discrete-gaussian' | 'discrete-laplace';

export interface MeasureDefinition {
  /** Name of the values upstream, e.g. "shoppers", "dwellSeconds". */
  readonly metric: string;
  readonly query: 'count' | 'sum';
  /** Integer clamp applied to every shopper-cell value before summing (required for sums). */
  readonly clamp?: { readonly lo: number; readonly hi: number };
  /** Share of the release's ρ (the shares of a release add up to 1). */
  readonly share: Rational;
}

export interface ReleaseShape {
  readonly cells: readonly string[];
  readonly measures: readonly MeasureDefinition[];
  /** The most cells one shopper contributes to in one release. */
  readonly maxCellsPerShopper: number;
  /** The ρ the release costs a shopper at the bound. */
  readonly rho: Rational;
  readonly mechanism: MechanismName;
}

export interface CalibratedMeasure {
  readonly definition: MeasureDefinition;
  readonly lInf: number;
  readonly sensitivity: Sensitivity;
  readonly mechanism: DiscreteGaussian | DiscreteLaplace;
  /** Exact zCDP cost for a shopper at the bound. */
  readonly rho: Rational;
  /** Laplace only: ε = Δ1/t. */
  readonly epsilon?: Rational;
}

export interface CalibratedRelease {
  readonly shape: ReleaseShape;
  /** L0 of this release: min(maxCellsPerShopper, #cells), at least 1. */
  readonly maxCellsPerRelease: number;
  readonly measures: readonly CalibratedMeasure[];
  /** Σ measure ρ: the release's cost for a shopper at the bound (≤ shape.rho). */
  readonly rho: Rational;
  /** chargeMicroRho[c] = the ledger charge (µρ, rounded up) of a shopper contributing to c cells. */
  readonly chargeMicroRho: readonly MicroRho[];
}

const EPSILON_DECIMALS = 10n ** 9n;

function lInfOf(measure: MeasureDefinition): number {
  if (measure.query === 'count') return 1;
  const clamp = measure.clamp;
  if (
    clamp === undefined ||
    !Number.isSafeInteger(clamp.lo) ||
    !Number.isSafeInteger(clamp.hi) ||
    clamp.lo > clamp.hi
  ) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `measure "${measure.metric}" is a sum without a valid integer clamp {lo ≤ hi}`,
    );
  }
  return Math.max(Math.abs(clamp.lo), Math.abs(clamp.hi));
}

/** ⌊√x · 10^9⌋ / 10^9 for a rational x ≥ 0: never above √x. */
function sqrtDown(x: Rational): Rational {
  const scaled = (x.num * EPSILON_DECIMALS * EPSILON_DECIMALS) / x.den;
  return rational(integerSqrt(scaled), EPSILON_DECIMALS);
}

function measureCost(measure: CalibratedMeasure, cells: number): Rational {
  const sensitivity = contributionSensitivity(cells, BigInt(measure.lInf));
  const m = measure.mechanism;
  return m.mechanism === 'discrete-gaussian'
    ? m.privacyMap(sensitivity).rho
    : pureToZcdp(m.privacyMap(sensitivity).epsilon).rho;
}

export function calibrateRelease(shape: ReleaseShape): CalibratedRelease {
  if (!Number.isSafeInteger(shape.maxCellsPerShopper) || shape.maxCellsPerShopper < 1) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `maxCellsPerShopper is ${shape.maxCellsPerShopper}, expected a positive integer`,
    );
  }
  if (shape.measures.length === 0) throw new AppError('DP_INVALID_PARAMETER', 'a release needs at least one measure');
  const shares = shape.measures.reduce((sum, m) => addRational(sum, m.share), rational(0n));
  if (compareRational(shares, rational(1n)) !== 0 || shape.measures.some((m) => m.share.num <= 0n)) {
    throw new AppError('DP_INVALID_PARAMETER', "the measures' shares of ρ must be positive and add up to 1");
  }
  if (shape.rho.num <= 0n) throw new AppError('DP_INVALID_PARAMETER', "a release's ρ must be positive");
  const l0 = Math.max(1, Math.min(shape.maxCellsPerShopper, shape.cells.length));
  const measures = shape.measures.map((definition): CalibratedMeasure => {
    const lInf = lInfOf(definition);
    const sensitivity = contributionSensitivity(l0, BigInt(lInf));
    const target = mulRational(shape.rho, definition.share);
    if (shape.mechanism === 'discrete-gaussian') {
      const mechanism = makeDiscreteGaussian({ sigmaSquared: sigmaForRho(sensitivity, target).sigmaSquared });
      return { definition, lInf, sensitivity, mechanism, rho: mechanism.privacyMap(sensitivity).rho };
    }
    const epsilonTarget = sqrtDown(mulRational(rational(2n), target));
    if (epsilonTarget.num === 0n)
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `ρ share of "${definition.metric}" is too small for a discrete Laplace scale`,
      );
    const scale = rational(sensitivity.l1 * epsilonTarget.den, epsilonTarget.num);
    const mechanism = makeDiscreteLaplace({ scale });
    const epsilon = mechanism.privacyMap(sensitivity).epsilon;
    return { definition, lInf, sensitivity, mechanism, rho: pureToZcdp(epsilon).rho, epsilon };
  });
  const rho = measures.reduce((sum, m) => addRational(sum, m.rho), rational(0n));
  if (compareRational(rho, shape.rho) > 0) throw new AppError('INTERNAL', "calibration exceeded the release's ρ");
  const chargeMicroRho: MicroRho[] = [0];
  for (let cells = 1; cells <= l0; cells++) {
    chargeMicroRho.push(
      toMicroRhoCeil(measures.reduce((sum, m) => addRational(sum, measureCost(m, cells)), rational(0n))),
    );
  }
  return { shape, maxCellsPerRelease: l0, measures, rho, chargeMicroRho };
}
