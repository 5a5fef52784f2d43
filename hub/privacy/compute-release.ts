import type { Database } from 'better-sqlite3';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { participates, toMicroRhoCeil, type PeriodCaps } from '../../shared/privacy/accounting.ts';
import { formatRational, toRational } from '../../shared/privacy/rational.ts';
import { encodeReleasePayloadV2 } from '../../shared/upstream/release-payload-v2.ts';
import { budgetPeriodOfDay, makeLocalClock, type ReleaseWindow } from '../../shared/time/local-calendar.ts';
import type { BudgetLedger } from './adapters/sqlite-budget-ledger.ts';
import type { SqliteReleases } from './adapters/sqlite-releases.ts';
import { calibrateRelease, type MechanismName } from './core/calibrate.ts';
import { buildReleasePayload, PRIVACY_UNIT, releaseCost, releaseId } from './core/build-payload.ts';
import { planRelease, type ReleaseRow } from './core/plan-release.ts';
import type { PrivacyConfig } from './config.schema.ts';
import type { ReleaseDefinition } from './release-definition.ts';

/**
 * One release (docs/privacy.md §3, §6) = ONE SQLite transaction (BEGIN IMMEDIATE): check the key
 * is new, read the window's data, bound each shopper's contribution, check and charge each
 * shopper's budget in the ledger of the WINDOW's budget period, draw the noise, store the release
 * and its values, the ledger charges and the outbox entry. A crash anywhere before COMMIT leaves
 * nothing (the next run computes the release afresh; no noise of the lost attempt was ever
 * stored or sent); after COMMIT the key exists and the release is never computed again.
 */

export type ReleaseStep =
  'release-begin' | 'release-rows-read' | 'release-noised' | 'release-stored' | 'release-charged' | 'release-committed';

export type ReleaseOutcome =
  | {
      readonly status: 'computed';
      readonly id: string;
      readonly contributors: number;
      readonly excluded: number;
      readonly chargedMicroRho: number;
    }
  | { readonly status: 'exists'; readonly id: string };

export interface ComputeDeps {
  readonly db: Database;
  readonly store: string;
  readonly privacy: PrivacyConfig;
  readonly ledger: BudgetLedger;
  readonly releases: SqliteReleases;
  readonly caps: PeriodCaps;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly checkpoint: (step: ReleaseStep, releaseId: string) => void;
}

interface Consenting {
  pk: number;
  created: number;
}

// Longer than a screen: one release's transaction step by step, in the order docs/privacy.md proves it safe.
export function computeRelease(
  deps: ComputeDeps,
  definition: ReleaseDefinition,
  window: ReleaseWindow,
  context: { nowMs: number; zones: readonly string[]; cache: Map<string, unknown> },
): ReleaseOutcome {
  const { db, privacy, ledger, releases, checkpoint } = deps;
  const { nowMs } = context;
  const timeZone = privacy.timeZone;
  const mechanism: MechanismName = privacy.mechanism;
  const id = releaseId(definition.kind, window);
  if (releases.has(id)) return { status: 'exists', id };
  const release = { window, timeZone, zones: context.zones, cache: context.cache, rng: deps.random };
  const calibrated = calibrateRelease({
    cells: [...definition.cells(release)],
    measures: definition.measures,
    maxCellsPerShopper: definition.maxCellsPerShopper,
    rho: toRational(definition.rho, `${definition.kind}.rho`),
    mechanism,
  });
  const cost = releaseCost(calibrated, privacy.delta);
  const period = window.period;
  const transaction = db.transaction((): ReleaseOutcome => {
    if (releases.has(id)) return { status: 'exists', id };
    checkpoint('release-begin', id);
    const consenting = new Map(
      (db.prepare('SELECT pk, created_ms AS created FROM shoppers WHERE analytics = 1').all() as Consenting[]).map(
        (s) => [s.pk, s.created],
      ),
    );
    const rows: ReleaseRow[] = [];
    for (const row of definition.rows(db, release)) {
      if (consenting.has(row.shopperPk))
        rows.push({ unit: row.shopperPk, cell: row.cell, ...(row.value !== undefined ? { value: row.value } : {}) });
    }
    checkpoint('release-rows-read', id);
    // The enrolment period of a shopper (for the lifetime cap), memoised by enrolment day.
    const localClock = makeLocalClock(timeZone);
    const periodOfDay = new Map<number, number>();
    const enrolled = (unit: number): number => {
      const day = localClock(consenting.get(unit) ?? window.startMs).day;
      let index = periodOfDay.get(day);
      if (index === undefined) {
        index = budgetPeriodOfDay(day, period.unit, timeZone).index;
        periodOfDay.set(day, index);
      }
      return index;
    };
    const plan = planRelease({
      release: calibrated,
      rows,
      stateOf: (unit) => ledger.state(unit, 'analytics', period.label),
      participates: (unit) => deps.caps.lifetimeMicro === null || participates(enrolled(unit), period.index, deps.caps),
      caps: deps.caps,
      rng: deps.random,
    });
    checkpoint('release-noised', id);
    const payload = buildReleasePayload({
      store: deps.store,
      kind: definition.kind,
      window,
      timeZone,
      computedMs: nowMs,
      release: calibrated,
      values: plan.values,
      delta: privacy.delta,
    });
    const values = calibrated.measures.flatMap((m, i) =>
      calibrated.shape.cells.map((cell, c) => ({
        metric: m.definition.metric,
        cell,
        value: plan.values[i]?.[c] as number,
      })),
    );
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
        computedMs: nowMs,
        privacyUnit: PRIVACY_UNIT,
        mechanism,
        rho: formatRational(calibrated.rho),
        rhoMicro: toMicroRhoCeil(calibrated.rho),
        epsilon: cost.epsilon,
        delta: cost.delta,
        contributors: plan.contributors,
        excludedBudget: plan.excluded.budget,
        excludedFiltered: plan.excluded.earlier + plan.excluded.lifetime,
        excludedCellCap: 0,
        chargedMicro: plan.chargedMicroRho,
        body: encodeReleasePayloadV2(payload),
      },
      values,
      nowMs,
    );
    checkpoint('release-stored', id);
    ledger.charge(
      'analytics',
      period,
      definition.kind,
      plan.charges.map((c) => ({ unit: c.unit, micro: c.rho })),
      deps.caps,
    );
    ledger.exclude('analytics', period, plan.newlyExcluded, id);
    checkpoint('release-charged', id);
    return {
      status: 'computed',
      id,
      contributors: plan.contributors,
      excluded: plan.excluded.budget + plan.excluded.earlier + plan.excluded.lifetime,
      chargedMicroRho: plan.chargedMicroRho,
    };
  });
  const outcome = transaction.immediate();
  if (outcome.status === 'computed') {
    checkpoint('release-committed', id);
    deps.logger.info(
      { release: id, period: period.label, rho: cost.rhoUpper, epsilon: cost.epsilon },
      'release computed',
    );
  }
  return outcome;
}
