/**
 * Shoppers (docs/architecture.md#identifiers, docs/shopper-api.md): enrollment and import, consent, erasure, the
 * in-memory directory with the EID resolver, and the enrollment routes. The rest of the shopper
 * API (offers, preferences, history, audit, export) belongs to the offers feature.
 */
export { createShopperService, type ShopperService, type ShopperServiceDeps } from './shopper-service.ts';
export { ShopperDirectory, type ShopperInfo } from './shopper-directory.ts';
export { EidResolver } from './core/eid-resolver.ts';
export {
  authorizedShopper,
  currentShopper,
  publicShopper,
  registerShopperRoutes,
  type ShopperRouteDeps,
} from './shopper-routes.ts';
export { parseShopperImport } from './shopper-import.ts';
export {
  SHOPPER_ID_PATTERN,
  deleteShopper,
  enrollShopper,
  getShopper,
  getShopperByPk,
  hashToken,
  importShoppers,
  listShoppers,
  shopperByToken,
  shoppersGeneration,
  updateConsent,
  type Consent,
  type EnrolledShopper,
  type EnrollInput,
  type ImportedShopper,
  type ShopperRecord,
} from './shopper-store.ts';
