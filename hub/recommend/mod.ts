/**
 * The recommender on the hub (docs/recommender.md#hub): HQ's signed item model fetched and kept
 * (model-service.ts), its use in the offers ranking (offer-affinity.ts), and the public catalog
 * of the item statistics releases (the release kinds themselves are in hub/privacy).
 */
export { createModelService, type FetchReport, type ModelService, type ModelServiceDeps } from './model-service.ts';
export { RecommendSection, recommendConfigProblems, modelUrlOf, type RecommendConfig } from './config.schema.ts';
export { createHttpsModelFetcher, type FetchOutcome, type ModelFetcher } from './adapters/https-model-fetcher.ts';
export { createOfferAffinity, type OfferAffinityOptions } from './offer-affinity.ts';
