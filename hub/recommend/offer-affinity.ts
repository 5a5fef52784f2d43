import {
  affinity,
  affinityMax,
  indexOfferItems,
  offerScores,
  prepareScorer,
  ScoringScratch,
  type OfferItems,
  type Scorer,
} from '../../shared/recommend/mod.ts';
import type { InstalledModel } from '../../shared/recommend/adapters/model-store.ts';
import {
  AFFINITY_WEIGHT_MAX,
  usablePurchases,
  type CatalogIndex,
  type OfferAffinity,
  type OfferAffinitySource,
  type ShopperSignals,
} from '../offers/mod.ts';

/**
 * The item model in the offers ranking (docs/recommender.md §6): per shopper, the model's blended
 * score of every catalog item given the shopper's own purchases minus the excluded ones
 * (shared/recommend affinity), and per offer the best score among the items it names relative to
 * the shopper's best item (offerScores), weighted by recommend.offerWeight × the model's
 * reliability γ. A model with γ = 0 gives no affinity at all: the ranking is the one without a
 * model, which already holds the DP popularity prior.
 *
 * It reads a released DP model and the shopper's own data only, so it spends no budget; it never
 * leaves the hub. Cached per (shopper, model, catalog, purchases): a decision for a shopper whose
 * purchases did not change since the last one costs a string comparison.
 */

interface ShopperEntry {
  readonly catalog: CatalogIndex;
  readonly modelId: string;
  readonly key: string;
  readonly value: OfferAffinity;
}

export interface OfferAffinityOptions {
  readonly model: () => InstalledModel | null;
  /** recommend.offerWeight: the weight at γ = 1. */
  readonly weight: number;
  /** Shoppers whose affinity is cached (the cache is emptied when full). */
  readonly maxShoppers?: number;
}

export function createOfferAffinity(options: OfferAffinityOptions): OfferAffinitySource {
  const maxShoppers = options.maxShoppers ?? 20_000;
  let prepared: { modelId: string; scorer: Scorer; position: Map<string, number>; weight: number } | null = null;
  const offerIndex = new WeakMap<CatalogIndex, { modelId: string; items: OfferItems }>();
  const shoppers = new Map<number, ShopperEntry>();
  const scratch = new ScoringScratch();
  let itemScores = new Float64Array(0);

  function scorerFor(installed: InstalledModel) {
    const modelId = installed.document.modelId;
    if (prepared === null || prepared.modelId !== modelId) {
      const scorer = prepareScorer(installed.model);
      prepared = {
        modelId,
        scorer,
        position: new Map(installed.model.catalog.map((c, i) => [c, i])),
        weight: Math.min(options.weight * installed.model.blend, AFFINITY_WEIGHT_MAX),
      };
      shoppers.clear();
    }
    return prepared;
  }

  return (shopperPk: number, signals: ShopperSignals, catalog: CatalogIndex): OfferAffinity | null => {
    const installed = options.model();
    if (installed === null || !(installed.model.blend > 0) || !(options.weight > 0)) return null;
    const model = scorerFor(installed);
    let offers = offerIndex.get(catalog);
    if (offers === undefined || offers.modelId !== model.modelId) {
      offers = {
        modelId: model.modelId,
        items: indexOfferItems(
          model.scorer,
          catalog.offers.map((o) => ({ items: o.items ?? [] })),
        ),
      };
      offerIndex.set(catalog, offers);
    }
    // The cache key: the purchases and exclusions as read (the store's order is stable), no sort.
    let key = '';
    for (const p of signals.purchases) key += `${p.id}\u001f${p.sku ?? ''}\u001f${p.category}\u001e`;
    key += '\u001d';
    for (const e of signals.exclusions) key += `${e.purchaseId ?? ''}\u001f${e.sku ?? ''}\u001e`;
    const cached = shoppers.get(shopperPk);
    if (cached !== undefined && cached.catalog === catalog && cached.modelId === model.modelId && cached.key === key)
      return cached.value;
    const codes = usablePurchases(signals.purchases, signals.exclusions).map((p) => p.sku ?? p.category);
    const items = new Set<number>();
    for (const code of codes) {
      const i = model.position.get(code);
      if (i !== undefined) items.add(i);
    }
    const m = model.scorer.prior.length;
    if (itemScores.length < m) itemScores = new Float64Array(m);
    const perItem = itemScores.subarray(0, m);
    affinity(model.scorer, Int32Array.from(items).sort(), perItem, scratch);
    const scores = offerScores(offers.items, perItem, new Float64Array(catalog.offers.length), affinityMax(perItem));
    const value: OfferAffinity = { scores, weight: model.weight, modelId: model.modelId };
    if (shoppers.size >= maxShoppers) shoppers.clear();
    shoppers.set(shopperPk, { catalog, modelId: model.modelId, key, value });
    return value;
  };
}
