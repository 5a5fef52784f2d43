import { zcdpToApproxDp, type ApproxDpLoss } from '../../../shared/privacy/conversions.ts';
import { discreteGaussianHalfWidth95, discreteLaplaceHalfWidth95 } from '../../../shared/privacy/intervals.ts';
import { formatRational, rationalToNumberUp } from '../../../shared/privacy/rational.ts';
import {
  RELEASE_PAYLOAD_V2,
  type ReleaseMeasureV2,
  type ReleasePayloadV2,
} from '../../../shared/upstream/release-payload-v2.ts';
import { isoLocal, type ReleaseWindow } from '../../../shared/time/local-calendar.ts';
import type { CalibratedMeasure, CalibratedRelease } from './calibrate.ts';

/**
 * The upstream body of a release (pure; payload v2, docs/privacy.md §5): the public description
 * of how it was made plus the raw noisy values, each with its 95% half-width. The plan's counts of
 * contributors and exclusions are NOT included (they are exact, not noisy).
 */

export const PRIVACY_UNIT = 'shopper-period';

export function releaseId(kind: string, window: ReleaseWindow): string {
  return `${kind}:${window.label}`;
}

export function releaseCost(release: CalibratedRelease, delta: number): ApproxDpLoss & { rhoUpper: number } {
  return { ...zcdpToApproxDp(release.rho, delta), rhoUpper: rationalToNumberUp(release.rho) };
}

/** The 95% half-width of a measure's values (integer units; the granularity of the built-in kinds is 1). */
export function halfWidth95(measure: CalibratedMeasure): number {
  const m = measure.mechanism;
  return m.mechanism === 'discrete-gaussian'
    ? discreteGaussianHalfWidth95(Number(m.sigmaSquared.num) / Number(m.sigmaSquared.den))
    : discreteLaplaceHalfWidth95(Number(m.scale.num) / Number(m.scale.den));
}

function measurePayload(measure: CalibratedMeasure, values: readonly number[]): ReleaseMeasureV2 {
  const m = measure.mechanism;
  const s = measure.sensitivity;
  const definition = measure.definition;
  return {
    metric: definition.metric,
    query: definition.query,
    layout: 'cells',
    mechanism: m.mechanism,
    ...(m.mechanism === 'discrete-gaussian'
      ? { sigma: m.sigma, sigmaSquared: formatRational(m.sigmaSquared) }
      : { scale: formatRational(m.scale), epsilon: formatRational(measure.epsilon ?? m.privacyMap(s).epsilon) }),
    granularity: '1',
    ...(definition.clamp !== undefined ? { clamp: { lo: definition.clamp.lo, hi: definition.clamp.hi } } : {}),
    sensitivity: { l0: s.l0, lInf: String(s.lInf), l2Squared: String(s.l2Squared), l1: String(s.l1) },
    rho: formatRational(measure.rho),
    halfWidth95: halfWidth95(measure),
    values: [...values],
  };
}

export function buildReleasePayload(input: {
  store: string;
  kind: string;
  window: ReleaseWindow;
  timeZone: string;
  computedMs: number;
  release: CalibratedRelease;
  values: readonly (readonly number[])[];
  delta: number;
}): ReleasePayloadV2 {
  const { release, window, timeZone } = input;
  const cost = releaseCost(release, input.delta);
  return {
    v: RELEASE_PAYLOAD_V2,
    store: input.store,
    release: releaseId(input.kind, window),
    kind: input.kind,
    budgetPeriod: {
      unit: window.period.unit,
      label: window.period.label,
      startUnix: Math.floor(window.period.startMs / 1000),
      endUnix: Math.floor(window.period.endMs / 1000),
      timeZone,
    },
    window: {
      unit: window.unit,
      label: window.label,
      start: isoLocal(window.startMs, timeZone),
      end: isoLocal(window.endMs, timeZone),
      startUnix: Math.floor(window.startMs / 1000),
      endUnix: Math.floor(window.endMs / 1000),
    },
    computedAt: new Date(input.computedMs).toISOString(),
    privacyUnit: PRIVACY_UNIT,
    bounds: { maxCellsPerRelease: release.maxCellsPerRelease, maxPerCell: 1 },
    cost: {
      rho: formatRational(release.rho),
      rhoUpper: cost.rhoUpper,
      epsilon: cost.epsilon,
      epsilonBunSteinke: cost.epsilonBunSteinke,
      delta: cost.delta,
    },
    cells: [...release.shape.cells],
    measures: release.measures.map((measure, i) => measurePayload(measure, input.values[i] ?? [])),
  };
}
