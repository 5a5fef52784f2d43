/**
 * The hub's DP releases, the budget ledger and the upstream sync (docs/privacy.md).
 *
 * - createReleaseService(deps) → ReleaseService: start/stop, runDue(now), syncUpstream(now),
 *   registerRelease(definition), plan(traffic), shopperBudget(pk, now), status(now). The hub
 *   builds one (hub.privacy).
 * - createSqliteBudgetLedger(db): the ONE ledger of every per-shopper budget, analytics (µρ) and
 *   offers (µε), per budget period — the offers feature charges its draws here too.
 */
export {
  createReleaseService,
  type ReleaseOutcome,
  type ReleaseService,
  type ReleaseServiceDeps,
  type ReleaseStep,
  type RunReport,
  analyticsCaps,
  planOf,
} from './release-service.ts';
export type { PrivacyStatus, ShopperBudget, LatestRelease } from './privacy-views.ts';
export type {
  AnyReleaseDefinition,
  CustomRelease,
  CustomReleaseDefinition,
  ReleaseContext,
  ReleaseDefinition,
  SourceRow,
} from './release-definition.ts';
export {
  createSqliteBudgetLedger,
  BUDGETS,
  type BudgetCharge,
  type BudgetLedger,
  type BudgetName,
  type PeriodSpending,
} from './adapters/sqlite-budget-ledger.ts';
export { planPrivacy, type PrivacyPlan, type PlannedRelease, type TrafficModel } from './core/plan.ts';
export type { MeasureDefinition, MechanismName } from './core/calibrate.ts';
export {
  budgetPeriodAt,
  dayLabel,
  localDay,
  parseDayLabel,
  windowOfDay,
  type BudgetPeriod,
  type ReleaseWindow,
} from '../../shared/time/local-calendar.ts';
export {
  PrivacySection,
  UpstreamSection,
  privacyConfigProblems,
  type PrivacyConfig,
  type UpstreamConfig,
} from './config.schema.ts';
export type {
  OutboxSummary,
  ReleaseRecord,
  ReleaseSummary,
  ReleaseValue,
  SqliteReleases,
} from './adapters/sqlite-releases.ts';
export { upstreamSenderFromConfig } from './adapters/upstream-from-config.ts';
export type { OutgoingRelease, SendResult, UpstreamSender } from './upstream-sender.ts';
export type { SyncReport, SyncStep } from './upstream-sync.ts';
export { DWELL_BUCKETS, HOUR_CELLS, dwellCell, transitionCell, builtInReleases } from './release-kinds.ts';
export { formatLedgerReport, ledgerReport, type LedgerReport } from './audit-report.ts';
export {
  itemStatisticsFromConfig,
  itemStatisticsReleases,
  parseItemCatalog,
  type ItemStatisticsDeps,
} from './item-statistics-release.ts';
