import type { Database } from 'better-sqlite3';
import { WINDOW_DAYS, type BudgetSpent, type MicroRho } from '../../../shared/privacy/accounting.ts';
import type { UnitBudget, UnitCharge } from '../core/plan-release.ts';

/**
 * The analytics zCDP ledger in SQLite (tables privacy_ledger and privacy_filtered, migration
 * 010). ρ in µρ. Days are local day numbers (core/periods.ts). Writes happen inside the caller's
 * release transaction. This is NOT the offers' ε budget (a separate ledger).
 */

export interface LedgerDay {
  readonly day: number;
  readonly kind: string;
  readonly rhoMicro: MicroRho;
  readonly cells: number;
  readonly releases: number;
}

export interface ShopperLedger {
  /** Per day and kind within the window, newest first. */
  readonly entries: readonly LedgerDay[];
  readonly spent: BudgetSpent;
  /** Days (in the window) on which the shopper was left out of further releases. */
  readonly filteredDays: readonly number[];
}

export interface SqliteLedger {
  budgetOf(unit: number, day: number, kind: string): UnitBudget;
  charge(day: number, kind: string, charges: readonly UnitCharge[]): void;
  markFiltered(day: number, units: readonly number[], releaseId: string): void;
  shopperLedger(unit: number, today: number, windowDays?: number): ShopperLedger;
  /** Every shopper with charges in the window ending `today`: their spending (no identities). */
  spendingOn(today: number, windowDays?: number): BudgetSpent[];
  filteredCount(day: number): number;
  /**
   * Retention: deletes ledger and filter rows of days before `firstKeptDay` (they no longer count
   * in any window, and they show on which days a shopper was present), and clears the exact
   * per-release counts of those days. Returns the rows deleted.
   */
  prune(firstKeptDay: number): number;
}

export function createSqliteLedger(db: Database): SqliteLedger {
  const spent = db.prepare(`SELECT COALESCE(SUM(CASE WHEN day >= @today THEN rho_micro END), 0) AS dayRho,
      COALESCE(SUM(rho_micro), 0) AS windowRho,
      COALESCE(SUM(CASE WHEN day = @today AND kind = @kind THEN cells END), 0) AS cellsToday
    FROM privacy_ledger WHERE shopper_pk = @unit AND day > @first`);
  const filtered = db.prepare('SELECT 1 AS f FROM privacy_filtered WHERE shopper_pk = ? AND day = ?').pluck();
  const upsert =
    db.prepare(`INSERT INTO privacy_ledger (shopper_pk, day, kind, rho_micro, cells, releases) VALUES (?, ?, ?, ?, ?, 1)
    ON CONFLICT (shopper_pk, day, kind) DO UPDATE SET rho_micro = rho_micro + excluded.rho_micro, cells = cells + excluded.cells, releases = releases + 1`);
  const filter = db.prepare('INSERT OR IGNORE INTO privacy_filtered (shopper_pk, day, release_id) VALUES (?, ?, ?)');
  const entries = db.prepare(
    'SELECT day, kind, rho_micro AS rhoMicro, cells, releases FROM privacy_ledger WHERE shopper_pk = ? AND day > ? ORDER BY day DESC, kind',
  );
  const filteredDays = db
    .prepare('SELECT day FROM privacy_filtered WHERE shopper_pk = ? AND day > ? ORDER BY day DESC')
    .pluck();
  const spending =
    db.prepare(`SELECT COALESCE(SUM(CASE WHEN day >= @today THEN rho_micro END), 0) AS dayRho, SUM(rho_micro) AS windowRho
    FROM privacy_ledger WHERE day > @first AND day <= @today GROUP BY shopper_pk`);
  const filteredOn = db.prepare('SELECT COUNT(*) FROM privacy_filtered WHERE day = ?').pluck();
  const pruneLedger = db.prepare('DELETE FROM privacy_ledger WHERE day < ?');
  const pruneFiltered = db.prepare('DELETE FROM privacy_filtered WHERE day < ?');
  const clearCounts = db.prepare(
    'UPDATE privacy_releases SET contributors = 0, excluded_budget = 0, excluded_filtered = 0, excluded_cell_cap = 0, charged_micro = 0 WHERE day < ? AND (contributors > 0 OR charged_micro > 0 OR excluded_budget > 0 OR excluded_filtered > 0 OR excluded_cell_cap > 0)',
  );
  const prune = db.transaction((firstKeptDay: number): number => {
    const deleted = pruneLedger.run(firstKeptDay).changes + pruneFiltered.run(firstKeptDay).changes;
    clearCounts.run(firstKeptDay);
    return deleted;
  });

  return {
    budgetOf(unit, day, kind) {
      const row = spent.get({ unit, today: day, kind, first: day - WINDOW_DAYS }) as {
        dayRho: number;
        windowRho: number;
        cellsToday: number;
      };
      return {
        dayRho: row.dayRho,
        windowRho: row.windowRho,
        cellsToday: row.cellsToday,
        filtered: filtered.get(unit, day) !== undefined,
      };
    },
    charge(day, kind, charges) {
      for (const c of charges) upsert.run(c.unit, day, kind, c.rho, c.cells);
    },
    markFiltered(day, units, releaseId) {
      for (const unit of units) filter.run(unit, day, releaseId);
    },
    shopperLedger(unit, today, windowDays = WINDOW_DAYS) {
      const rows = entries.all(unit, today - windowDays) as LedgerDay[];
      let dayRho = 0;
      let windowRho = 0;
      for (const r of rows) {
        if (r.day > today) continue;
        windowRho += r.rhoMicro;
        if (r.day === today) dayRho += r.rhoMicro;
      }
      return {
        entries: rows,
        spent: { dayRho, windowRho },
        filteredDays: filteredDays.all(unit, today - windowDays) as number[],
      };
    },
    spendingOn(today, windowDays = WINDOW_DAYS) {
      return spending.all({ today, first: today - windowDays }) as BudgetSpent[];
    },
    filteredCount(day) {
      return filteredOn.get(day) as number;
    },
    prune: (firstKeptDay) => prune.immediate(firstKeptDay),
  };
}
