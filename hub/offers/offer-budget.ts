import type { Database } from 'better-sqlite3';
import { participates, type Micro, type PeriodCaps } from '../../shared/privacy/accounting.ts';
import {
  budgetPeriodOfDay,
  periodsPerYear,
  type BudgetPeriod,
  type BudgetPeriodUnit,
} from '../../shared/time/local-calendar.ts';
import type { EnrolledShopper } from '../shoppers/mod.ts';
import type { BudgetLedger } from '../privacy/mod.ts';
import { budgetLeftMicro, type BudgetStanding, type OfferBudget } from './core/budget.ts';
import type { LocalClock } from './core/local-time.ts';

/**
 * The offer budget in the hub's one ledger (docs/shopper-api.md#the-offer-budget): budget
 * "offers", µε, per shopper and budget period — always the period of the decision's own time,
 * found through the fast local clock. Here: a shopper's standing in a period (spent, left out,
 * the lifetime rule, a pruned period), the charge of a draw (inside the caller's transaction;
 * the ledger re-checks the cap in SQL), the shopper's view of it, the one-time carry-over of v1
 * spending, and pruning — after which a period stays closed, whatever the clock does later.
 */

export interface OfferBudgetLedger {
  readonly caps: PeriodCaps;
  periodAt(ms: number): BudgetPeriod;
  standing(shopper: EnrolledShopper, period: BudgetPeriod): BudgetStanding;
  /** Charges `micro` to the shopper's period (inside the caller's transaction; throws DP_BUDGET_EXHAUSTED past the cap). */
  charge(shopperPk: number, period: BudgetPeriod, micro: Micro): void;
  view(shopper: EnrolledShopper | null, shopperPk: number, nowMs: number): OfferBudget;
  /** Once, before any v2 charge: the v1 spending on the current period's days; returns shoppers carried. */
  carryOverV1(nowMs: number): number;
  /** Deletes ledger periods older than a year (at least two periods) and closes them for good. */
  prune(nowMs: number, deleteDrawsBefore: (firstKeptIndex: number) => number): { ledger: number; draws: number };
}

const FIRST_OPEN_KEY = 'offers.ledger.firstOpenIndex';
const CARRY_OVER_KEY = 'offers.v2.carryOver';

export function createOfferBudgetLedger(deps: {
  db: Database;
  ledger: BudgetLedger;
  caps: PeriodCaps;
  budgetPeriod: BudgetPeriodUnit;
  timeZone: string;
  localClock: LocalClock;
}): OfferBudgetLedger {
  const { db, ledger, caps } = deps;
  const metaGet = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const metaSet = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  /** Periods before this index have been pruned from the ledger: nothing may be charged there again. */
  let firstOpenIndex = Number(metaGet.get(FIRST_OPEN_KEY) ?? Number.NEGATIVE_INFINITY);
  const enrolmentPeriods = new Map<number, number>();
  const periodsByDay = new Map<number, BudgetPeriod>();

  // A period is a run of whole local days, so it is memoised by local day.
  function periodAt(ms: number): BudgetPeriod {
    const day = deps.localClock(ms).day;
    let period = periodsByDay.get(day);
    if (period === undefined) {
      period = budgetPeriodOfDay(day, deps.budgetPeriod, deps.timeZone);
      if (periodsByDay.size > 4096) periodsByDay.clear();
      periodsByDay.set(day, period);
    }
    return period;
  }

  function standing(shopper: EnrolledShopper, period: BudgetPeriod): BudgetStanding {
    const state = ledger.state(shopper.pk, 'offers', period.label);
    let enrolled = enrolmentPeriods.get(shopper.createdMs);
    if (enrolled === undefined) {
      enrolled = periodAt(shopper.createdMs).index;
      enrolmentPeriods.set(shopper.createdMs, enrolled);
    }
    return {
      period: period.label,
      spentMicro: state.spentMicro,
      excluded: state.excluded,
      participates: caps.lifetimeMicro === null || participates(enrolled, period.index, caps),
      open: period.index >= firstOpenIndex,
    };
  }

  return {
    caps,
    periodAt,
    standing,

    charge(shopperPk, period, micro) {
      ledger.charge('offers', period, 'offer', [{ unit: shopperPk, micro }], caps);
    },

    view(shopper, shopperPk, nowMs) {
      const period = periodAt(nowMs);
      const now: BudgetStanding =
        shopper === null
          ? { period: period.label, spentMicro: 0, excluded: false, participates: true, open: true }
          : standing(shopper, period);
      const history = ledger
        .spending(shopperPk, 'offers')
        .filter((p) => p.period !== period.label)
        .map((p) => ({
          period: p.period,
          spentMicro: p.spentMicro,
          draws: p.items.reduce((n, i) => n + i.charges, 0),
        }));
      return {
        period: period.label,
        periodUnit: deps.budgetPeriod,
        capMicro: caps.periodMicro,
        lifetimeMicro: caps.lifetimeMicro,
        spentMicro: now.spentMicro,
        leftMicro: budgetLeftMicro(now, caps),
        excluded: now.excluded || !now.participates || !now.open,
        participates: now.participates,
        open: now.open,
        history,
      };
    },

    carryOverV1(nowMs) {
      if (metaGet.get(CARRY_OVER_KEY) !== undefined) return 0;
      const period = periodAt(nowMs);
      return db.transaction(() => {
        let carried = 0;
        if (ledger.isEmpty('offers')) {
          const rows = db
            .prepare(
              `SELECT shopper_pk AS unit, SUM(epsilon_micro) AS micro FROM offer_decisions
               WHERE outcome = 'shown' AND draw IS NULL AND day >= ? AND day < ? GROUP BY shopper_pk`,
            )
            .all(period.firstDay, period.endDay) as Array<{ unit: number; micro: number }>;
          for (const row of rows) {
            if (row.micro <= 0) continue;
            ledger.carryOver('offers', period, row.unit, row.micro, caps);
            carried++;
          }
        }
        metaSet.run(CARRY_OVER_KEY, period.label);
        return carried;
      })();
    },

    prune(nowMs, deleteDrawsBefore) {
      const keep = Math.max(2, periodsPerYear(deps.budgetPeriod));
      const firstKept = periodAt(nowMs).index - keep + 1;
      if (firstKept <= firstOpenIndex) return { ledger: 0, draws: 0 };
      const pruned = db.transaction(() => {
        metaSet.run(FIRST_OPEN_KEY, String(firstKept));
        return { ledger: ledger.prune('offers', firstKept), draws: deleteDrawsBefore(firstKept) };
      })();
      firstOpenIndex = firstKept;
      return pruned;
    },
  };
}
