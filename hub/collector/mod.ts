/**
 * The reference HQ collector of DP releases (`hushpoint collector`). See docs/privacy.md.
 */
export { createCollector, type Collector, type CollectorDeps } from './app.ts';
export { runCollector } from './main.ts';
export { collectorRole, CollectorConfigSchema, type CollectorConfig } from './config.schema.ts';
export {
  openCollectorStore,
  type CollectorStore,
  type StoredRelease,
  type StoreOutcome,
} from './adapters/collector-store.ts';
export { receiveRelease, type ReceiveResult } from './receive-release.ts';
export { computeTotals, formatTotals, type MetricTotals, type PeriodTotals } from './totals.ts';
export { consistentView, projectToTotal, roundPreservingTotal, type ConsistentView } from './core/consistency.ts';
