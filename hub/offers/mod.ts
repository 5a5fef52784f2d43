import type { Database } from 'better-sqlite3';
import type { RandomSource } from '../../shared/ports/random.ts';
import type { ApiServer } from '../http/mod.ts';
import type { ShopperService } from '../shoppers/mod.ts';
import type { ReleaseDefinition } from '../privacy/mod.ts';
import type { HubEvents } from '../events.ts';
import { registerOfferAdminRoutes } from './admin-routes.ts';
import { offerResponseRelease } from './response-release.ts';
import { registerShopperApiRoutes } from './shopper-api-routes.ts';
import type { OffersConfig } from './config.schema.ts';
import type { OfferService } from './offer-service.ts';

/**
 * Offers (docs/shopper-api.md): the catalog, the private ranking, the guards, the DP threshold
 * sampler with sticky draws, the offer budget in the hub's one ledger, the audit trail, the
 * shopper API and the weekly per-arm response release.
 *
 * The hub builds one OfferService and calls wireOffers once. For the demo and the admin API:
 * hub.offers.stats({fromMs, toMs}) → the released (DP) offer response per arm and week with 95%
 * intervals, catalog size and open streams — system figures and released figures only.
 */
export {
  createOfferService,
  offerCaps,
  offerEvent,
  type OfferBudget,
  type OfferService,
  type OfferServiceDeps,
  type OfferStats,
  type OfferStep,
} from './offer-service.ts';
export { OffersSection, offersConfigProblems, type OffersConfig } from './config.schema.ts';
export { offerResponseRelease, responseCell, RESPONSE_RELEASE_KIND } from './response-release.ts';
export type { ReleasedCount, ReleasedResponse } from './released-responses.ts';
export type { DecisionRecord, OfferState } from './adapters/sqlite-offer-store.ts';
export { auditView, offerView, explain } from './views.ts';
export { exportShopper } from './shopper-export.ts';
export { ARMS, DRAW_KINDS, type Arm, type DrawKind } from './core/decide.ts';
export { REFUSAL_REASONS, type RefusalReason } from './core/guards.ts';
export {
  AFFINITY_WEIGHT_MAX,
  usablePurchases,
  type OfferAffinity,
  type OfferAffinitySource,
  type ShopperSignals,
} from './core/ranking.ts';
export type { CatalogIndex } from './core/catalog.ts';

export interface OffersWiring {
  offers: OfferService;
  config: Readonly<OffersConfig>;
  api: ApiServer;
  db: Database;
  events: HubEvents;
  shoppers: ShopperService;
  adminToken: () => string | null;
  /** The shopper's analytics budget from the privacy feature (shown in the audit trail). */
  analyticsBudget(shopperPk: number, nowMs: number): object;
  /** Registers the weekly offer-response release with the privacy feature. */
  registerRelease(definition: ReleaseDefinition): void;
  random: RandomSource;
  now: () => number;
}

/**
 * Connects the offer service to the hub: shopper and admin routes, one decision per zone entry,
 * the end of an erased shopper's streams, and the offer-response release.
 */
export function wireOffers(deps: OffersWiring): void {
  const { offers, config, api, shoppers, random, now } = deps;
  registerShopperApiRoutes({
    api,
    db: deps.db,
    offers,
    shoppers,
    storeQuiet: config.quietHours,
    analyticsBudget: deps.analyticsBudget,
    random,
    now,
  });
  registerOfferAdminRoutes({ api, offers, shoppers, adminToken: deps.adminToken, random, now });
  deps.events.on('zoneEnter', (event) => {
    offers.onZoneEnter(event);
  });
  deps.events.on('shopperErased', (event) => offers.forget(event.shopperPk));
  if (config.enabled && config.responseRelease.enabled) deps.registerRelease(offerResponseRelease(config));
}
