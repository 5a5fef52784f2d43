import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.ts';
import { chargeable, type Micro, type PeriodCaps, type UnitPeriodState } from '../../../shared/privacy/accounting.ts';
import type { BudgetPeriod } from '../../../shared/time/local-calendar.ts';

/**
 * The one budget ledger (migration 012, docs/privacy.md §3): per shopper, budget ("analytics" in
 * µρ, "offers" in µε) and budget period, what was spent and whether the shopper is left out of the
 * rest of the period. Writes happen inside the caller's transaction (a release, an offer
 * decision), so a charge and what it paid for commit together or not at all.
 *
 * `charge` re-checks every charge against the cap in SQL (the row is updated only while the sum
 * stays within it) and throws if one does not fit: the caller's planning already left such a
 * shopper out, so this is the last line of defence, and the transaction rolls back whole.
 */

export type BudgetName = 'analytics' | 'offers';
export const BUDGETS: readonly BudgetName[] = ['analytics', 'offers'];

export interface BudgetCharge {
  readonly unit: number;
  readonly micro: Micro;
}

export interface PeriodSpending {
  readonly period: string;
  readonly spentMicro: Micro;
  readonly excluded: boolean;
  /** By what spent it (release kind, or "offer"). */
  readonly items: readonly { readonly item: string; readonly spentMicro: Micro; readonly charges: number }[];
}

export interface BudgetLedger {
  state(unit: number, budget: BudgetName, period: string): UnitPeriodState;
  charge(
    budget: BudgetName,
    period: BudgetPeriod,
    item: string,
    charges: readonly BudgetCharge[],
    caps: PeriodCaps,
  ): void;
  /** Leaves units out of the rest of the period (their next cost would not have fit). */
  exclude(budget: BudgetName, period: BudgetPeriod, units: readonly number[], by: string): void;
  /** A shopper's spending per period, newest first (for their own audit trail and export). */
  spending(unit: number, budget: BudgetName, limit?: number): PeriodSpending[];
  /**
   * Deletes periods older than `firstKeptIndex` (the ledger is personal data); returns rows
   * deleted. Those periods are closed for good: a later charge there is refused, whatever the
   * clock says then (a clock that ran ahead and came back must not find an empty ledger to
   * charge again — docs/privacy.md, "Clocks").
   */
  prune(budget: BudgetName, firstKeptIndex: number): number;
  /** False for a period whose ledger was pruned (charges there are refused). */
  isOpen(budget: BudgetName, periodIndex: number): boolean;
  /** True when no v2 charge exists yet (for the one-time carry-over of v1 charges). */
  isEmpty(budget: BudgetName): boolean;
  /**
   * Records spending made before this ledger existed (the v1 per-day charges of the current
   * period, on upgrade): no cap check, but a unit already at or over the cap is left out of the
   * rest of the period.
   */
  carryOver(budget: BudgetName, period: BudgetPeriod, unit: number, micro: Micro, caps: PeriodCaps): void;
}

export function createSqliteBudgetLedger(db: Database): BudgetLedger {
  const read = db.prepare(
    'SELECT spent_micro AS spent, excluded_by AS excludedBy FROM budget_ledger WHERE shopper_pk = ? AND budget = ? AND period = ?',
  );
  const insert = db.prepare(`INSERT INTO budget_ledger (shopper_pk, budget, period, period_index, spent_micro, charges)
    VALUES (@unit, @budget, @period, @index, 0, 0) ON CONFLICT DO NOTHING`);
  const add = db.prepare(`UPDATE budget_ledger SET spent_micro = spent_micro + @micro, charges = charges + 1
    WHERE shopper_pk = @unit AND budget = @budget AND period = @period AND excluded_by IS NULL
      AND spent_micro + @micro <= @cap`);
  const addItem = db.prepare(`INSERT INTO budget_charges (shopper_pk, budget, period, item, spent_micro, charges)
    VALUES (@unit, @budget, @period, @item, @micro, 1)
    ON CONFLICT DO UPDATE SET spent_micro = spent_micro + excluded.spent_micro, charges = charges + 1`);
  const markExcluded = db.prepare(
    'UPDATE budget_ledger SET excluded_by = COALESCE(excluded_by, @by) WHERE shopper_pk = @unit AND budget = @budget AND period = @period',
  );
  const periods = db.prepare(`SELECT period, spent_micro AS spentMicro, excluded_by IS NOT NULL AS excluded
    FROM budget_ledger WHERE shopper_pk = ? AND budget = ? ORDER BY period_index DESC LIMIT ?`);
  const items = db.prepare(
    'SELECT item, spent_micro AS spentMicro, charges FROM budget_charges WHERE shopper_pk = ? AND budget = ? AND period = ? ORDER BY item',
  );
  const pruneLedger = db.prepare('DELETE FROM budget_ledger WHERE budget = ? AND period_index < ?');
  const pruneItems = db.prepare(
    'DELETE FROM budget_charges WHERE budget = ? AND period NOT IN (SELECT DISTINCT period FROM budget_ledger WHERE budget = ?)',
  );
  const any = db.prepare('SELECT 1 FROM budget_ledger WHERE budget = ? LIMIT 1').pluck();
  const floorKey = (budget: BudgetName): string => `budget_ledger.${budget}.firstOpenIndex`;
  const metaGet = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const metaSet = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const floors = new Map<BudgetName, number>();
  const floorOf = (budget: BudgetName): number => {
    let floor = floors.get(budget);
    if (floor === undefined) {
      const stored = metaGet.get(floorKey(budget)) as string | undefined;
      floor = stored === undefined ? Number.NEGATIVE_INFINITY : Number(stored);
      floors.set(budget, floor);
    }
    return floor;
  };

  return {
    state(unit, budget, period) {
      const row = read.get(unit, budget, period) as { spent: number; excludedBy: string | null } | undefined;
      return row === undefined
        ? { spentMicro: 0, excluded: false }
        : { spentMicro: row.spent, excluded: row.excludedBy !== null };
    },
    charge(budget, period, item, charges, caps) {
      if (period.index < floorOf(budget))
        throw new AppError(
          'DP_BUDGET_EXHAUSTED',
          `the ${budget} budget period ${period.label} is closed: its ledger was pruned, so nothing more may be charged there`,
        );
      for (const c of charges) {
        if (c.micro === 0) continue;
        const key = { unit: c.unit, budget, period: period.label, index: period.index };
        insert.run(key);
        const state = this.state(c.unit, budget, period.label);
        if (
          !chargeable(state, c.micro, caps) ||
          add.run({ ...key, micro: c.micro, cap: caps.periodMicro }).changes !== 1
        ) {
          throw new AppError(
            'DP_BUDGET_EXHAUSTED',
            `a charge of ${c.micro} millionths to shopper ${c.unit}'s ${budget} budget for ${period.label} would pass its cap`,
          );
        }
        addItem.run({ ...key, item, micro: c.micro });
      }
    },
    exclude(budget, period, units, by) {
      for (const unit of units) {
        const key = { unit, budget, period: period.label, index: period.index };
        insert.run(key);
        markExcluded.run({ ...key, by });
      }
    },
    spending(unit, budget, limit = 8) {
      return (periods.all(unit, budget, limit) as Array<{ period: string; spentMicro: number; excluded: number }>).map(
        (p) => ({
          period: p.period,
          spentMicro: p.spentMicro,
          excluded: p.excluded === 1,
          items: items.all(unit, budget, p.period) as PeriodSpending['items'],
        }),
      );
    },
    prune(budget, firstKeptIndex) {
      const deleted = db.transaction(() => {
        if (firstKeptIndex > floorOf(budget)) metaSet.run(floorKey(budget), String(firstKeptIndex));
        return pruneLedger.run(budget, firstKeptIndex).changes + pruneItems.run(budget, budget).changes;
      })();
      if (firstKeptIndex > floorOf(budget)) floors.set(budget, firstKeptIndex);
      return deleted;
    },
    isOpen: (budget, periodIndex) => periodIndex >= floorOf(budget),
    isEmpty: (budget) => any.get(budget) === undefined,
    carryOver(budget, period, unit, micro, caps) {
      const key = { unit, budget, period: period.label, index: period.index };
      insert.run(key);
      db.prepare(
        'UPDATE budget_ledger SET spent_micro = spent_micro + @micro, charges = charges + 1 WHERE shopper_pk = @unit AND budget = @budget AND period = @period',
      ).run({ ...key, micro });
      addItem.run({ ...key, item: 'v1', micro });
      if (this.state(unit, budget, period.label).spentMicro >= caps.periodMicro) markExcluded.run({ ...key, by: 'v1' });
    },
  };
}
