/**
 * Presence (docs/architecture.md#durability, docs/hub.md): durable ingest, the presence model (zones, visits, dwell),
 * retention of raw data, and the zone export used to score the hub against the simulator.
 */
export { createPresence, type Presence, type PresenceFeatureDeps } from './presence-feature.ts';
export { createIngest, type Ingest, type IngestOutcome, type CommittedBatch, type StorageHealth } from './ingest.ts';
export { createPresenceService, type PresenceService } from './presence-service.ts';
export { runRetention, type RetentionPolicy } from './retention.ts';
export { exportZones, type ZoneWindowRow } from './export-zones.ts';
export { BAND_CODES, type PresenceParams } from './core/presence-model.ts';
