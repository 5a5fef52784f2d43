import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { fromMicro, microToRational } from '../../shared/privacy/accounting.ts';
import { zcdpToApproxDp } from '../../shared/privacy/conversions.ts';
import { budgetPeriodAt, parseBudgetPeriodLabel, periodsPerYear } from '../../shared/time/local-calendar.ts';
import type { PrivacyConfig } from './config.schema.ts';
import { analyticsCaps } from './release-service.ts';

/**
 * `hushpoint audit ledger` (docs/privacy.md §10): how one budget period's analytics budget is
 * used, for the privacy officer on the hub — distributions only: no shopper identity, key or id
 * appears. Read from the hub database (read-only).
 */

export interface HistogramBin {
  /** Share of the cap spent, as [fromPercent, toPercent); the last bin (100) is "at the cap". */
  readonly fromPercent: number;
  readonly toPercent: number;
  readonly units: number;
}

export interface LedgerReport {
  readonly period: string;
  readonly timeZone: string;
  readonly delta: number;
  readonly caps: {
    readonly periodRho: number;
    readonly periodEpsilon: number;
    readonly yearRho: number;
    readonly lifetimeRho: number | null;
  };
  /** Shoppers with analytics consent now. */
  readonly consenting: number;
  /** Shoppers with spending in the period, by share of the cap (ten 10% bins and "at the cap"). */
  readonly spenders: number;
  readonly bins: readonly HistogramBin[];
  readonly maxSpentRho: number;
  /** Shoppers left out of the rest of the period. */
  readonly excluded: number;
  /** Releases in the period, per kind. */
  readonly releases: Readonly<Record<string, number>>;
}

function histogram(values: readonly number[], cap: number): HistogramBin[] {
  const counts = new Array<number>(11).fill(0);
  for (const value of values) {
    const bin = value >= cap ? 10 : Math.floor((value * 10) / cap);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts.map((units, i) => ({ fromPercent: i * 10, toPercent: i === 10 ? 100 : (i + 1) * 10, units }));
}

export function ledgerReport(
  db: Database,
  privacy: PrivacyConfig,
  options: { nowMs: number; period?: string },
): LedgerReport {
  const has = db
    .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'budget_ledger'")
    .pluck()
    .get() as number;
  if (has === 0)
    throw new AppError(
      'STORE_FAILED',
      'The hub database has no budget ledger yet: start the hub once (it migrates the database), then run the audit again',
    );
  const tz = privacy.timeZone;
  const period =
    options.period === undefined
      ? budgetPeriodAt(options.nowMs, privacy.budget.period, tz)
      : parseBudgetPeriodLabel(options.period, tz);
  if (period === null || period.unit !== privacy.budget.period) {
    throw new AppError(
      'CLI_USAGE',
      `--period is "${options.period}", expected a ${privacy.budget.period} such as "${budgetPeriodAt(options.nowMs, privacy.budget.period, tz).label}"`,
    );
  }
  const caps = analyticsCaps(privacy);
  const rows = db
    .prepare(
      "SELECT spent_micro AS spent, excluded_by IS NOT NULL AS excluded FROM budget_ledger WHERE budget = 'analytics' AND period = ?",
    )
    .all(period.label) as Array<{ spent: number; excluded: number }>;
  const releases: Record<string, number> = {};
  for (const row of db
    .prepare('SELECT kind, COUNT(*) AS n FROM privacy_releases WHERE budget_period = ? GROUP BY kind ORDER BY kind')
    .all(period.label) as Array<{ kind: string; n: number }>) {
    releases[row.kind] = row.n;
  }
  const spent = rows.filter((r) => r.spent > 0).map((r) => r.spent);
  return {
    period: period.label,
    timeZone: tz,
    delta: privacy.delta,
    caps: {
      periodRho: fromMicro(caps.periodMicro),
      periodEpsilon: zcdpToApproxDp(microToRational(caps.periodMicro), privacy.delta).epsilon,
      yearRho: fromMicro(caps.periodMicro * periodsPerYear(period.unit)),
      lifetimeRho: caps.lifetimeMicro === null ? null : fromMicro(caps.lifetimeMicro),
    },
    consenting: db.prepare('SELECT COUNT(*) FROM shoppers WHERE analytics = 1').pluck().get() as number,
    spenders: spent.length,
    bins: histogram(spent, caps.periodMicro),
    maxSpentRho: fromMicro(spent.reduce((a, b) => Math.max(a, b), 0)),
    excluded: rows.filter((r) => r.excluded === 1).length,
    releases,
  };
}

export function formatLedgerReport(report: LedgerReport): string[] {
  const most = Math.max(1, ...report.bins.map((b) => b.units));
  const kinds = Object.entries(report.releases)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return [
    `analytics budget ledger (zCDP, privacy unit: one shopper over ${report.period}, ${report.timeZone})`,
    `cap: ρ ${report.caps.periodRho} per period (ε ${report.caps.periodEpsilon.toFixed(2)} at δ ${report.delta}); at most ρ ${report.caps.yearRho} a year${report.caps.lifetimeRho === null ? '' : `; lifetime ρ ${report.caps.lifetimeRho}`}`,
    `shoppers with analytics consent: ${report.consenting}; with spending in the period: ${report.spenders}`,
    `left out for the rest of the period (budget filter): ${report.excluded}`,
    `releases of the period: ${kinds === '' ? 'none' : kinds}`,
    `spending in ${report.period} as a share of the cap (shoppers per bin):`,
    ...report.bins.map((bin) => {
      const label = bin.fromPercent === 100 ? 'at the cap' : `${bin.fromPercent}–${bin.toPercent}%`;
      return `  ${label.padEnd(10)} ${String(bin.units).padStart(7)}  ${'#'.repeat(Math.round((bin.units / most) * 40))}`;
    }),
    `largest: ρ ${report.maxSpentRho}`,
  ];
}
