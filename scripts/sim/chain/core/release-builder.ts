import type { RandomSource } from '../../../../shared/ports/random.ts';
import { sigmaForRho, zcdpToApproxDp } from '../../../../shared/privacy/conversions.ts';
import { makeDiscreteGaussian } from '../../../../shared/privacy/mechanisms/discrete-gaussian.ts';
import {
  divRational,
  formatRational,
  rational,
  rationalToNumberUp,
  type Rational,
} from '../../../../shared/privacy/rational.ts';
import { contributionSensitivity } from '../../../../shared/privacy/sensitivity.ts';
import {
  encodeReleasePayloadV2,
  RELEASE_PAYLOAD_V2,
  type ReleaseMeasureV2,
  type ReleasePayloadV2,
} from '../../../../shared/upstream/release-payload-v2.ts';
import { isoLocal } from './calendar.ts';

/**
 * A v2 count release with real DP noise (pure given the RandomSource): the exact discrete Gaussian
 * of shared/privacy with σ² = Δ2²/(2ρ_m) exactly, where a shopper changes at most L0 cells of a
 * measure by 1 each (Δ2² = L0) and the release's ρ is split evenly over its M measures
 * (ρ_m = ρ/M; the measures compose to ρ). The payload states the noise, the sensitivity, the cost
 * and the exact 95% half-width of the discrete Gaussian; the simulator keeps the true counts next
 * to it (they never leave the simulator).
 */

export const DELTA = 1e-6;

export interface CountReleaseSpec {
  readonly store: string;
  readonly release: string;
  readonly kind: string;
  readonly timeZone: string;
  readonly budgetPeriod: { readonly label: string; readonly startUnix: number; readonly endUnix: number };
  readonly window: {
    readonly unit: 'hour' | 'day' | 'week';
    readonly label: string;
    readonly startUnix: number;
    readonly endUnix: number;
  };
  readonly cells: readonly string[];
  /** True counts per measure, one per cell. */
  readonly measures: ReadonlyArray<{ readonly metric: string; readonly values: readonly number[] }>;
  /** The most cells of a measure one shopper changes (by at most 1 each). */
  readonly l0: number;
  readonly rho: Rational;
}

export interface BuiltRelease {
  readonly payload: ReleasePayloadV2;
  readonly body: Buffer;
}

const halfWidths = new Map<string, number>();

/**
 * The smallest integer h with P(|X| ≤ h) ≥ 0.95 for X ~ N_ℤ(0, σ²), from the probability mass
 * function summed out to ±(12σ + 2) (the rest is below 10⁻³⁰).
 */
export function discreteGaussianHalfWidth95(sigmaSquared: number): number {
  const key = String(sigmaSquared);
  const cached = halfWidths.get(key);
  if (cached !== undefined) return cached;
  const limit = Math.ceil(12 * Math.sqrt(sigmaSquared)) + 2;
  const weight = (x: number): number => Math.exp(-(x * x) / (2 * sigmaSquared));
  let total = weight(0);
  for (let x = 1; x <= limit; x++) total += 2 * weight(x);
  let inside = weight(0);
  let h = 0;
  while (inside / total < 0.95) {
    h++;
    inside += 2 * weight(h);
  }
  halfWidths.set(key, h);
  return h;
}

export function buildCountRelease(spec: CountReleaseSpec, rng: RandomSource): BuiltRelease {
  const sensitivity = contributionSensitivity(spec.l0, 1);
  const share = divRational(spec.rho, rational(BigInt(spec.measures.length)));
  const { sigmaSquared } = sigmaForRho(sensitivity, share);
  const mechanism = makeDiscreteGaussian({ sigmaSquared });
  const halfWidth95 = discreteGaussianHalfWidth95(rationalToNumberUp(sigmaSquared));
  const cost = zcdpToApproxDp(spec.rho, DELTA);
  const measures = spec.measures.map((m): ReleaseMeasureV2 => ({
    metric: m.metric,
    query: 'count',
    layout: 'cells',
    mechanism: 'discrete-gaussian',
    sigma: mechanism.sigma,
    sigmaSquared: formatRational(sigmaSquared),
    granularity: '1',
    halfWidth95,
    sensitivity: { l0: spec.l0, lInf: '1', l2Squared: String(sensitivity.l2Squared) },
    rho: formatRational(mechanism.privacyMap(sensitivity).rho),
    values: mechanism.release(m.values, rng),
  }));
  const payload: ReleasePayloadV2 = {
    v: RELEASE_PAYLOAD_V2,
    store: spec.store,
    release: spec.release,
    kind: spec.kind,
    budgetPeriod: { unit: 'quarter', ...spec.budgetPeriod, timeZone: spec.timeZone },
    window: {
      unit: spec.window.unit,
      label: spec.window.label,
      start: isoLocal(spec.window.startUnix, spec.timeZone),
      end: isoLocal(spec.window.endUnix, spec.timeZone),
      startUnix: spec.window.startUnix,
      endUnix: spec.window.endUnix,
    },
    computedAt: isoLocal(spec.window.endUnix + 300, spec.timeZone),
    privacyUnit: 'shopper-period',
    bounds: { maxCellsPerRelease: spec.l0, maxPerCell: 1 },
    cost: {
      rho: formatRational(spec.rho),
      rhoUpper: rationalToNumberUp(spec.rho),
      epsilon: cost.epsilon,
      epsilonBunSteinke: cost.epsilonBunSteinke,
      delta: DELTA,
    },
    cells: [...spec.cells],
    measures,
  };
  return { payload, body: encodeReleasePayloadV2(payload) };
}
