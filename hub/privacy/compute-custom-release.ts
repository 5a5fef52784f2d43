import { chargeable, participates, toMicroRhoCeil } from '../../shared/privacy/accounting.ts';
import { zcdpToApproxDp } from '../../shared/privacy/conversions.ts';
import { compareRational, formatRational, rationalToNumberUp, toRational } from '../../shared/privacy/rational.ts';
import {
  encodeReleasePayloadV2,
  RELEASE_PAYLOAD_V2,
  type ReleasePayloadV2,
} from '../../shared/upstream/release-payload-v2.ts';
import { budgetPeriodOfDay, isoLocal, makeLocalClock, type ReleaseWindow } from '../../shared/time/local-calendar.ts';
import { PRIVACY_UNIT, releaseId } from './core/build-payload.ts';
import type { ComputeDeps, ReleaseOutcome } from './compute-release.ts';
import type { CustomRelease, CustomReleaseDefinition } from './release-definition.ts';
import { AppError } from '../../shared/errors.ts';

/**
 * A custom release (docs/privacy.md §4): the same single transaction as any release, but the
 * mechanism is the definition's. The service decides whose data it may read — shoppers with
 * analytics consent, taking part in the period (lifetime cap), with the definition's ρ left in
 * the window's period (the individual filter; the others are left out of the rest of the period)
 * — and charges each of them the definition's ρ in full, whatever the data.
 */
export function computeCustomRelease(
  deps: ComputeDeps,
  definition: CustomReleaseDefinition,
  window: ReleaseWindow,
  context: { nowMs: number; zones: readonly string[]; cache: Map<string, unknown> },
): ReleaseOutcome {
  const { db, privacy, ledger, releases, checkpoint } = deps;
  const id = releaseId(definition.kind, window);
  if (releases.has(id)) return { status: 'exists', id };
  const declared = toRational(definition.rho, `${definition.kind}.rho`);
  const micro = toMicroRhoCeil(declared);
  const period = window.period;
  const release = { window, timeZone: privacy.timeZone, zones: context.zones, cache: context.cache, rng: deps.random };
  const transaction = db.transaction((): ReleaseOutcome => {
    if (releases.has(id)) return { status: 'exists', id };
    checkpoint('release-begin', id);
    const consenting = new Map(
      (
        db.prepare('SELECT pk, created_ms AS created FROM shoppers WHERE analytics = 1').all() as Array<{
          pk: number;
          created: number;
        }>
      ).map((s) => [s.pk, s.created]),
    );
    const clock = makeLocalClock(privacy.timeZone);
    const included = new Set<number>();
    const newlyExcluded: number[] = [];
    let earlier = 0;
    for (const unit of new Set(definition.units(db, release))) {
      const created = consenting.get(unit);
      if (created === undefined) continue;
      const state = ledger.state(unit, 'analytics', period.label);
      if (state.excluded) earlier++;
      else if (
        deps.caps.lifetimeMicro !== null &&
        !participates(
          budgetPeriodOfDay(clock(created).day, period.unit, privacy.timeZone).index,
          period.index,
          deps.caps,
        )
      )
        earlier++;
      else if (!chargeable(state, micro, deps.caps)) newlyExcluded.push(unit);
      else included.add(unit);
    }
    checkpoint('release-rows-read', id);
    const computed = definition.compute(db, release, included);
    if (compareRational(computed.rho, declared) > 0)
      throw new AppError('INTERNAL', `release kind "${definition.kind}" cost more than its declared ρ`);
    checkpoint('release-noised', id);
    const payload = customPayload(deps, definition.kind, window, context.nowMs, computed);
    releases.insert(
      {
        id,
        kind: definition.kind,
        version: 2,
        periodUnit: window.unit,
        periodStartMs: window.startMs,
        periodEndMs: window.endMs,
        day: window.firstDay,
        budgetPeriod: period.label,
        computedMs: context.nowMs,
        privacyUnit: PRIVACY_UNIT,
        mechanism: computed.measures[0]?.mechanism ?? 'discrete-gaussian',
        rho: formatRational(computed.rho),
        rhoMicro: micro,
        epsilon: payload.cost.epsilon,
        delta: payload.cost.delta,
        contributors: included.size,
        excludedBudget: newlyExcluded.length,
        excludedFiltered: earlier,
        excludedCellCap: 0,
        chargedMicro: micro * included.size,
        body: encodeReleasePayloadV2(payload),
      },
      [],
      context.nowMs,
    );
    checkpoint('release-stored', id);
    ledger.charge(
      'analytics',
      period,
      definition.kind,
      [...included].map((unit) => ({ unit, micro })),
      deps.caps,
    );
    ledger.exclude('analytics', period, newlyExcluded, id);
    checkpoint('release-charged', id);
    return {
      status: 'computed',
      id,
      contributors: included.size,
      excluded: newlyExcluded.length + earlier,
      chargedMicroRho: micro * included.size,
    };
  });
  const outcome = transaction.immediate();
  if (outcome.status === 'computed') {
    checkpoint('release-committed', id);
    deps.logger.info({ release: id, period: period.label, rho: rationalToNumberUp(declared) }, 'release computed');
  }
  return outcome;
}

function customPayload(
  deps: ComputeDeps,
  kind: string,
  window: ReleaseWindow,
  nowMs: number,
  computed: CustomRelease,
): ReleasePayloadV2 {
  const tz = deps.privacy.timeZone;
  const loss = zcdpToApproxDp(computed.rho, deps.privacy.delta);
  return {
    v: RELEASE_PAYLOAD_V2,
    store: deps.store,
    release: releaseId(kind, window),
    kind,
    budgetPeriod: {
      unit: window.period.unit,
      label: window.period.label,
      startUnix: Math.floor(window.period.startMs / 1000),
      endUnix: Math.floor(window.period.endMs / 1000),
      timeZone: tz,
    },
    window: {
      unit: window.unit,
      label: window.label,
      start: isoLocal(window.startMs, tz),
      end: isoLocal(window.endMs, tz),
      startUnix: Math.floor(window.startMs / 1000),
      endUnix: Math.floor(window.endMs / 1000),
    },
    computedAt: new Date(nowMs).toISOString(),
    privacyUnit: PRIVACY_UNIT,
    bounds: { ...computed.bounds },
    cost: {
      rho: formatRational(computed.rho),
      rhoUpper: rationalToNumberUp(computed.rho),
      epsilon: loss.epsilon,
      epsilonBunSteinke: loss.epsilonBunSteinke,
      delta: loss.delta,
    },
    cells: [...computed.cells],
    measures: [...computed.measures],
  };
}
