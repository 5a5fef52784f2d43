/**
 * The hub's DP releases, their zCDP ledger and the upstream sync (docs/privacy.md).
 *
 * - createReleaseService(deps) → ReleaseService: start/stop, runDue(now), runHourly(now),
 *   runDaily(now), syncUpstream(now), registerDailyRelease(definition), shopperBudget(pk, now),
 *   status(now). The hub builds one (hub.privacy).
 * - The analytics ledger here is a zCDP ledger in µρ per shopper-day. It is NOT the offers'
 *   ε-per-offer budget, which the offers feature keeps separately.
 */
export {
  createReleaseService,
  type PrivacyStatus,
  type ReleaseOutcome,
  type ReleaseService,
  type ReleaseServiceDeps,
  type ReleaseStep,
  type RunReport,
  type ShopperBudget,
} from './release-service.ts';
export type { DailyReleaseDefinition, ReleaseContext, ReleaseDefinition, SourceRow } from './release-definition.ts';
export type { MeasureDefinition, MechanismName } from './core/calibrate.ts';
export {
  dayLabel,
  dayPeriod,
  hourPeriod,
  localDay,
  parseDayLabel,
  type Period,
  type PeriodUnit,
} from '../../shared/time/local-calendar.ts';
export {
  PrivacySection,
  UpstreamSection,
  privacyConfigProblems,
  type PrivacyConfig,
  type UpstreamConfig,
} from './config.schema.ts';
export { createSqliteLedger, type LedgerDay, type ShopperLedger, type SqliteLedger } from './adapters/sqlite-ledger.ts';
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
export { STORE_CELL, transitionCell } from './release-kinds.ts';
export { formatLedgerReport, ledgerReport, type LedgerReport } from './audit-report.ts';
