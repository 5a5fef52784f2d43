/**
 * The technician status page (docs/status-page.md; docs/status-page.md).
 *
 *   registerStatusPage(surface, { clock, random, logger, providers: hubStatusProviders({ ... }) });
 *   // → https://<hub>:<api port>/status, JSON at GET /v1/technician/status
 */
export {
  registerStatusPage,
  STATUS_PAGE_PATH,
  TECHNICIAN_API,
  type StatusPage,
  type StatusPageDeps,
  type StatusPageOptions,
  type StatusProviders,
  type StatusSurface,
} from './routes.ts';
export { hubStatusProviders } from './providers.ts';
export type {
  OffersPlanInput,
  PlanInput,
  PrivacyInput,
  StatusView,
  GatewayView,
  Connection,
} from './core/status-view.ts';
export { readStats, type HubStats } from './hub-stats.ts';
