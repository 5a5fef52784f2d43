import type { Clock } from '../../shared/ports/clock.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import type { Hub } from '../app.ts';
import { registerOfferAdminRoutes } from './admin-routes.ts';
import { offerResponseRelease } from './response-release.ts';
import { registerShopperApiRoutes } from './shopper-api-routes.ts';

/**
 * Offers (DESIGN §8, docs/shopper-api.md): the catalog, the private ranking, the guards, the
 * DP threshold sampler, the audit trail, the shopper API and the daily per-arm response release.
 *
 * The hub builds one OfferService (hub.offers) and calls wireOffers(hub) once. For the demo and
 * the status page: hub.offers.stats({fromMs, toMs}, now) → shown / redeemed / dismissed per arm,
 * refusals by reason, today's budget use in buckets of the daily cap, catalog size, open
 * streams (exact hub-local numbers; upstream only ever gets the DP release "offer-response").
 */
export {
  createOfferService,
  offerEvent,
  type OfferBudget,
  type OfferService,
  type OfferServiceDeps,
  type OfferStats,
} from './offer-service.ts';
export { OffersSection, offersConfigProblems, type OffersConfig } from './config-schema.ts';
export { offerResponseRelease, responseCell, RESPONSE_RELEASE_KIND } from './response-release.ts';
export type { DecisionRecord, OfferCounts, ArmCounts, OfferState } from './adapters/sqlite-offer-store.ts';
export { auditView, offerView, explain } from './views.ts';
export { exportShopper } from './shopper-export.ts';
export { currentShopper } from './shopper-api-routes.ts';
export { ARMS, type Arm } from '../core/offers/decide.ts';
export { REFUSAL_REASONS, type RefusalReason } from '../core/offers/guards.ts';

/**
 * Connects hub.offers to the hub: shopper and admin routes, one decision per zone entry (the
 * presence service's event), and the offer-response release with the release service.
 */
export function wireOffers(hub: Hub, deps: { random: RandomSource; clock: Clock }): void {
  const now = (): number => deps.clock.now();
  registerShopperApiRoutes(hub, hub.offers, { random: deps.random, now });
  registerOfferAdminRoutes(hub, hub.offers, { random: deps.random, now });
  hub.events.on('zoneEnter', (event) => {
    hub.offers.onZoneEnter(event);
  });
  if (hub.config.offers.enabled && hub.config.offers.responseRelease.enabled)
    hub.privacy.registerDailyRelease(offerResponseRelease(hub.config.offers));
}
