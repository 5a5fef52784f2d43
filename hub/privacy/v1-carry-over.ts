import type { Database } from 'better-sqlite3';
import type { PeriodCaps } from '../../shared/privacy/accounting.ts';
import type { BudgetPeriod } from '../../shared/time/local-calendar.ts';
import type { BudgetLedger } from './adapters/sqlite-budget-ledger.ts';

/**
 * The upgrade from the v1 contract (per shopper-day; docs/privacy.md §9): the first time the v2
 * service runs, each shopper's v1 charges on days inside the current budget period are carried
 * into the v2 ledger of that period, so the period's cap counts them too. The v1 ledger keeps
 * only the last 30 + catch-up days (its retention), so older v1 charges of the period cannot be
 * carried: for the upgrade period only, the guarantee is the v2 cap plus what v1 spent before.
 * Runs once (a row in `meta`); returns the shoppers carried.
 */
export function carryOverV1Charges(db: Database, ledger: BudgetLedger, period: BudgetPeriod, caps: PeriodCaps): number {
  const done = db.prepare("SELECT value FROM meta WHERE key = 'privacy.v2.carryOver'").pluck().get();
  if (done !== undefined) return 0;
  const hasV1 =
    db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'privacy_ledger'").pluck().get() ===
    1;
  return db.transaction(() => {
    let carried = 0;
    if (hasV1 && ledger.isEmpty('analytics')) {
      const rows = db
        .prepare(
          'SELECT shopper_pk AS unit, SUM(rho_micro) AS micro FROM privacy_ledger WHERE day >= ? AND day < ? GROUP BY shopper_pk',
        )
        .all(period.firstDay, period.endDay) as Array<{ unit: number; micro: number }>;
      for (const row of rows) {
        if (row.micro <= 0) continue;
        ledger.carryOver('analytics', period, row.unit, row.micro, caps);
        carried++;
      }
    }
    db.prepare("INSERT INTO meta (key, value) VALUES ('privacy.v2.carryOver', ?)").run(period.label);
    return carried;
  })();
}
