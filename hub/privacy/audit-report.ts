import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import {
  summariseBudget,
  toMicroRhoFloor,
  WINDOW_DAYS,
  type BudgetHistogram,
  type BudgetSummary,
} from '../../shared/privacy/accounting.ts';
import { zcdpToApproxDp } from '../../shared/privacy/conversions.ts';
import { rational } from '../../shared/privacy/rational.ts';
import { createSqliteLedger } from './adapters/sqlite-ledger.ts';
import type { PrivacyConfig } from './config.schema.ts';
import { dayLabel, dayPeriod, localDay } from '../../shared/time/local-calendar.ts';

/**
 * `hushpoint audit ledger`: how the analytics privacy budget is used, as distributions only —
 * no shopper identity, key or id appears. Read from the hub database (read-only).
 */

export interface LedgerReport {
  readonly date: string;
  readonly timeZone: string;
  readonly delta: number;
  readonly caps: {
    readonly dailyRho: number;
    readonly thirtyDayRho: number;
    readonly dailyEpsilon: number;
    readonly thirtyDayEpsilon: number;
  };
  /** Shoppers with analytics consent now. */
  readonly consenting: number;
  /** Spending of the shoppers with any charge in the 30 days ending `date`. */
  readonly summary: BudgetSummary;
  /** Shopper-days of `date` left out of further releases. */
  readonly filtered: number;
  /** Releases of periods starting on `date`, per kind. */
  readonly releases: Readonly<Record<string, number>>;
}

export function ledgerReport(
  db: Database,
  privacy: PrivacyConfig,
  options: { nowMs: number; day?: number },
): LedgerReport {
  const hasLedger = db
    .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'privacy_ledger'")
    .pluck()
    .get() as number;
  if (hasLedger === 0)
    throw new AppError(
      'STORE_FAILED',
      'The hub database has no privacy ledger yet: start the hub once (it migrates the database), then run the audit again',
    );
  const day = options.day ?? localDay(options.nowMs, privacy.timeZone);
  const caps = {
    dailyRho: toMicroRhoFloor(String(privacy.budget.dailyRho)),
    thirtyDayRho: toMicroRhoFloor(String(privacy.budget.thirtyDayRho)),
  };
  const ledger = createSqliteLedger(db);
  const period = dayPeriod(day, privacy.timeZone);
  const releases: Record<string, number> = {};
  for (const row of db
    .prepare(
      'SELECT kind, COUNT(*) AS n FROM privacy_releases WHERE period_start_ms >= ? AND period_start_ms < ? GROUP BY kind ORDER BY kind',
    )
    .all(period.startMs, period.endMs) as Array<{ kind: string; n: number }>) {
    releases[row.kind] = row.n;
  }
  const epsilon = (rho: number): number =>
    zcdpToApproxDp(rational(BigInt(toMicroRhoFloor(String(rho))), 1_000_000n), privacy.delta).epsilon;
  return {
    date: dayLabel(day),
    timeZone: privacy.timeZone,
    delta: privacy.delta,
    caps: {
      dailyRho: privacy.budget.dailyRho,
      thirtyDayRho: privacy.budget.thirtyDayRho,
      dailyEpsilon: epsilon(privacy.budget.dailyRho),
      thirtyDayEpsilon: epsilon(privacy.budget.thirtyDayRho),
    },
    consenting: db.prepare('SELECT COUNT(*) FROM shoppers WHERE analytics = 1').pluck().get() as number,
    summary: summariseBudget(ledger.spendingOn(day, WINDOW_DAYS), caps),
    filtered: ledger.filteredCount(day),
    releases,
  };
}

function histogramLines(histogram: BudgetHistogram): string[] {
  const most = Math.max(1, ...histogram.bins.map((b) => b.units));
  return histogram.bins.map((bin) => {
    const label = bin.fromPercent === 100 ? 'at the cap' : `${bin.fromPercent}–${bin.toPercent}%`;
    return `  ${label.padEnd(10)} ${String(bin.units).padStart(7)}  ${'#'.repeat(Math.round((bin.units / most) * 40))}`;
  });
}

export function formatLedgerReport(report: LedgerReport): string[] {
  const rho = (micro: number): string => String(micro / 1_000_000);
  const kinds = Object.entries(report.releases)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return [
    `analytics privacy ledger (zCDP, privacy unit: shopper-day) for ${report.date} (${report.timeZone})`,
    `caps: daily ρ ${report.caps.dailyRho} (ε ${report.caps.dailyEpsilon.toFixed(2)} at δ ${report.delta}), 30-day ρ ${report.caps.thirtyDayRho} (ε ${report.caps.thirtyDayEpsilon.toFixed(2)})`,
    `shoppers with analytics consent: ${report.consenting}; with charges in the last 30 days: ${report.summary.units}`,
    `left out for the rest of the day (budget filter): ${report.filtered}`,
    `releases of the day: ${kinds === '' ? 'none' : kinds}`,
    `spending on ${report.date} as a share of the daily cap (shoppers per bin):`,
    ...histogramLines(report.summary.day),
    `spending over the 30 days ending ${report.date} as a share of the 30-day cap:`,
    ...histogramLines(report.summary.window),
    `largest: ρ ${rho(report.summary.day.maxSpent)} on the day, ρ ${rho(report.summary.window.maxSpent)} over 30 days`,
  ];
}
