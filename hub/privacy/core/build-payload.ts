import { zcdpToApproxDp, type ApproxDpLoss } from '../../../shared/privacy/conversions.ts';
import { formatRational, rationalToNumberUp } from '../../../shared/privacy/rational.ts';
import {
  RELEASE_PAYLOAD_VERSION,
  type ReleaseMeasure,
  type ReleasePayload,
} from '../../../shared/upstream/release-payload.ts';
import type { CalibratedRelease } from './calibrate.ts';
import { isoLocal, type Period } from '../../../shared/time/local-calendar.ts';

/**
 * The upstream body of a release (pure): the public description of how it was made plus the raw
 * noisy values. The plan's counts of contributors and exclusions are NOT included (they are
 * exact, not noisy).
 */

export const PRIVACY_UNIT = 'shopper-day';

export function releaseId(kind: string, period: Period): string {
  return `${kind}:${period.label}`;
}

export function releaseCost(release: CalibratedRelease, delta: number): ApproxDpLoss & { rhoUpper: number } {
  return { ...zcdpToApproxDp(release.rho, delta), rhoUpper: rationalToNumberUp(release.rho) };
}

export function buildReleasePayload(input: {
  store: string;
  kind: string;
  period: Period;
  timeZone: string;
  computedMs: number;
  release: CalibratedRelease;
  values: readonly (readonly number[])[];
  delta: number;
}): ReleasePayload {
  const { release, period, timeZone } = input;
  const cost = releaseCost(release, input.delta);
  const measures = release.measures.map((measure, i): ReleaseMeasure => {
    const m = measure.mechanism;
    const s = measure.sensitivity;
    const definition = measure.definition;
    return {
      metric: definition.metric,
      query: definition.query,
      mechanism: m.mechanism,
      ...(m.mechanism === 'discrete-gaussian'
        ? { sigma: m.sigma, sigmaSquared: formatRational(m.sigmaSquared) }
        : { scale: formatRational(m.scale), epsilon: formatRational(measure.epsilon ?? m.privacyMap(s).epsilon) }),
      ...(definition.clamp !== undefined ? { clamp: { lo: definition.clamp.lo, hi: definition.clamp.hi } } : {}),
      sensitivity: { l0: s.l0, lInf: Number(s.lInf), l1: Number(s.l1), l2Squared: Number(s.l2Squared), l2: s.l2 },
      rho: formatRational(measure.rho),
      values: [...(input.values[i] ?? [])],
    };
  });
  return {
    v: RELEASE_PAYLOAD_VERSION,
    store: input.store,
    release: releaseId(input.kind, period),
    kind: input.kind,
    period: {
      unit: period.unit,
      start: isoLocal(period.startMs, timeZone),
      end: isoLocal(period.endMs, timeZone),
      startUnix: Math.floor(period.startMs / 1000),
      endUnix: Math.floor(period.endMs / 1000),
      timeZone,
    },
    computedAt: new Date(input.computedMs).toISOString(),
    privacyUnit: PRIVACY_UNIT,
    bounds: {
      maxCellsPerRelease: release.maxCellsPerRelease,
      maxCellsPerDay: release.shape.maxCellsPerDay,
      maxPerCell: 1,
    },
    cost: {
      rho: formatRational(release.rho),
      rhoUpper: cost.rhoUpper,
      epsilon: cost.epsilon,
      epsilonBunSteinke: cost.epsilonBunSteinke,
      delta: cost.delta,
    },
    cells: [...release.shape.cells],
    measures,
  };
}
