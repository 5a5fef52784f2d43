/**
 * HQ, the chain's receiver of stores' DP releases (`hushpoint hq`): ingest over HTTPS and MQTT,
 * storage on SQLite or PostgreSQL, pooled figures with 95% intervals, the analysts' dashboard
 * and API. See docs/hq.md.
 */
export { createHq, type Hq, type HqDeps } from './app.ts';
export { runHq, runConsumer } from './main.ts';
export { hqRole, HqConfigSchema, type HqConfig } from './config.schema.ts';
export {
  openConfiguredStore,
  openPostgresStore,
  openSqliteStore,
  normalizeRelease,
  sha256Of,
  type HqStore,
  type StoredRelease,
  type IngestOutcome,
  type IncomingRelease,
} from './storage/mod.ts';
export { receiveRelease, type ReceiveResult } from './ingest/receive-release.ts';
export { classifyRelease } from './ingest/core/classify.ts';
export { importReleaseFiles, readReleaseFiles, type ImportReport } from './ingest/release-files.ts';
export { writeBrokerFiles, type BrokerFiles } from './broker/mosquitto-files.ts';
export { CONSUMER_USER, mosquittoAcl, mosquittoConf } from './broker/core/mosquitto-config.ts';
export { computeTotals, formatTotals, type MetricTotals, type PeriodTotals } from './totals.ts';
export { consistentView, projectToTotal, roundPreservingTotal, type ConsistentView } from './core/consistency.ts';
export { VIEWS, VIEW_NAMES, type View, type ViewName } from './pooling/core/views.ts';
export {
  createModelPublisher,
  modelPublisherFromConfig,
  type ModelPublisher,
  type PublishOutcome,
} from './pooling/model-publisher.ts';
export { createModelDirectory, type ModelDirectory } from './pooling/adapters/model-directory.ts';
export { poolItemModel, type ReceivedItemRelease } from './pooling/core/item-model.ts';
