/**
 * The hub's public API (for provisioning, privacy releases, offers, the technician page and
 * the demo). See docs/hub.md.
 */
export { createHub, type Hub, type HubDeps, type HubEventMap, type HubPorts } from './app.ts';
export { hubRole, HubConfigSchema, type HubConfig } from './config.schema.ts';
export { openHubDatabase, type Database } from './adapters/sqlite-database.ts';
export { migrate, loadMigrations, schemaVersion } from './adapters/migrations.ts';
export {
  addGateway,
  rotateGatewayCredential,
  revokeGateway,
  setGatewayZone,
  getGateway,
  listGateways,
  gatewaysOnline,
  type GatewayRecord,
  type GatewayState,
} from './adapters/gateway-registry.ts';
export { hashCredential, verifyCredential, newCredential } from './adapters/credential-hash.ts';
export {
  enrollShopper,
  importShoppers,
  getShopper,
  getShopperByPk,
  shopperByToken,
  listShoppers,
  updateConsent,
  deleteShopper,
  hashToken,
  type Consent,
  type EnrolledShopper,
  type EnrollInput,
  type ImportedShopper,
  type ShopperRecord,
} from './adapters/shopper-store.ts';
export { parseShopperImport } from './shopper-import.ts';
export {
  createApiServer,
  requireToken,
  tokenMatches,
  type ApiRequest,
  type ApiResponse,
  type ApiServer,
  type Handler,
  type Method,
} from './adapters/http-api.ts';
export { authorizedShopper, publicShopper, badRequest } from './shopper-routes.ts';
export type { ZoneEnterEvent, VisitEndEvent } from './presence-service.ts';
export { readStats, type HubStats } from './stats.ts';
export { readCounters, COUNTER_NAMES, type CounterName } from './adapters/counters.ts';
export { exportZones, type ZoneWindowRow } from './export-zones.ts';
export { scheduleJob, type ScheduledJob } from './adapters/cron-scheduler.ts';
