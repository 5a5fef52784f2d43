/**
 * The hub's public face for the other programs (provisioning, the CLI, the demo): the config,
 * the database, the gateway registry and shopper store functions, the API helpers, and the
 * presence export. The composition root itself is hub/app.ts (createHub), which only entry
 * points import. See docs/hub.md and docs/architecture.md.
 */
export { hubRole, HubConfigSchema, type HubConfig } from './config.schema.ts';
export type { HubEvents, HubEventMap, ZoneEnterEvent, VisitEndEvent, ShopperErasedEvent } from './events.ts';
export { openHubDatabase, migrate, loadMigrations, schemaVersion, readCounters, COUNTER_NAMES } from './storage/mod.ts';
export type { Database, CounterName } from './storage/mod.ts';
export {
  addGateway,
  rotateGatewayCredential,
  revokeGateway,
  setGatewayZone,
  getGateway,
  listGateways,
  gatewaysOnline,
  hashCredential,
  verifyCredential,
  newCredential,
  type GatewayRecord,
  type GatewayState,
} from './broker/mod.ts';
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
  parseShopperImport,
  authorizedShopper,
  publicShopper,
  type Consent,
  type EnrolledShopper,
  type EnrollInput,
  type ImportedShopper,
  type ShopperRecord,
} from './shoppers/mod.ts';
export {
  createApiServer,
  requireToken,
  tokenMatches,
  badRequest,
  type ApiResponse,
  type ApiServer,
  type HttpApp,
  type Method,
} from './http/mod.ts';
export { readStats, type HubStats } from './status/mod.ts';
export { exportZones, type ZoneWindowRow } from './presence/mod.ts';
