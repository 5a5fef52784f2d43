/**
 * The reference HQ collector of DP releases (`hushpoint collector`). See docs/privacy.md.
 */
export { createHq, type Hq, type HqDeps } from './app.ts';
export { runHq } from './main.ts';
export { hqRole, HqConfigSchema, type HqConfig } from './config.schema.ts';
export { openHqStore, type HqStore, type StoredRelease, type StoreOutcome } from './adapters/sqlite-hq-store.ts';
export { receiveRelease, type ReceiveResult } from './receive-release.ts';
export { computeTotals, formatTotals, type MetricTotals, type PeriodTotals } from './totals.ts';
export { consistentView, projectToTotal, roundPreservingTotal, type ConsistentView } from './core/consistency.ts';
