/**
 * Purchases (docs/purchases.md): the point of sale's exports imported into the hub — each line
 * checked by the recommender's rules, mapped to an enrolled shopper through the customer-id link
 * (an HMAC under the store's link key, or the shopper id itself), stored as a POS purchase for
 * offers and the conversion release; rejected lines counted by reason; one transaction per file,
 * idempotent re-import; the admin routes and the links.
 */
export {
  createPurchaseService,
  type CustomerLinkView,
  type ImportReport,
  type PurchaseService,
  type PurchaseServiceDeps,
  type TimeOfLine,
} from './purchase-service.ts';
export { registerPurchaseRoutes, ImportReportSchema, IMPORT_MEDIA_TYPES, type PurchaseRouteDeps } from './routes.ts';
export { PurchasesSection, LINK_MODES, type LinkMode, type PurchasesConfig } from './config.schema.ts';
export { UNCATEGORISED } from './core/products.ts';
