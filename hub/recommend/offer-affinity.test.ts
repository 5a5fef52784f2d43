import { describe, expect, it } from 'vitest';
import { rational } from '../../shared/privacy/rational.ts';
import {
  buildCatalog,
  fitStores,
  modelDocument,
  type ItemModel,
  type ShopperHistory,
} from '../../shared/recommend/mod.ts';
import type { InstalledModel } from '../../shared/recommend/adapters/model-store.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import type { CatalogIndex, ShopperSignals } from '../offers/mod.ts';
import { createOfferAffinity } from './offer-affinity.ts';

const CODES = Array.from({ length: 60 }, (_, i) => `SKU${i}`);
const catalog = buildCatalog(CODES);

function installed(model: ItemModel, modelId: string): InstalledModel {
  const document = modelDocument(model, {
    version: 1,
    modelId,
    createdAt: '2026-12-01T00:00:00Z',
    period: { label: '2026-Q3', start: '2026-07-01', end: '2026-10-01' },
    privacy: { unit: 'shopper-period', rho: '1', epsilon: 1, delta: 1e-6, rounds: [] },
    parameters: {},
    provenance: { stores: 1, storeIds: ['s'], releaseIds: [], source: 'test', tool: 'test' },
  });
  return { model, document };
}

/** Shoppers of three tastes (20 items each), 4 items per shopper, seeded. */
function shoppers(count: number, seed: string): ShopperHistory[] {
  const rng = new SeededRandomSource(seed);
  return Array.from({ length: count }, (_, i) => {
    const taste = i % 3;
    const set = new Set<number>();
    while (set.size < 4) set.add(taste * 20 + (rng.nextUint32() % 20));
    const items = Int32Array.from(set).sort();
    return { shopperId: `u${i}`, items, invoices: new Int32Array(items.length).fill(1) };
  });
}

const offers = [0, 1, 2].map((t) => ({ items: CODES.slice(t * 20 + 10, t * 20 + 20) }));
const index = { offers } as unknown as CatalogIndex;
const signals = (skus: string[], excluded: string[] = []): ShopperSignals => ({
  preferences: { categories: [], brands: [], sizes: [] },
  purchases: skus.map((sku, i) => ({ id: `p${i}`, sku, category: 'grocery', brand: null, atMs: 0 })),
  exclusions: excluded.map((sku) => ({ purchaseId: null, sku })),
  dismissedOfferIds: [],
  redeemedOfferIds: [],
});

describe('offer affinity from the installed model (seeds "weak", "strong")', () => {
  it('gives nothing for a model whose reliability is 0: the ranking stays the one without a model', () => {
    // Nine shoppers at a small ρ: no component clears the noise edge.
    const fit = fitStores(
      [{ store: 's', shoppers: shoppers(9, 'weak') }],
      catalog,
      { rho: rational(1n, 100n) },
      new SeededRandomSource('weak'),
    );
    expect(fit.model.blend).toBe(0);
    const source = createOfferAffinity({ model: () => installed(fit.model, 'weak'), weight: 2 });
    expect(source(1, signals(['SKU20', 'SKU21']), index)).toBeNull();
  });

  it('favours offers of the taste the shopper bought, ignores excluded purchases, and caches per purchases', () => {
    const fit = fitStores(
      [{ store: 's', shoppers: shoppers(1500, 'strong') }],
      catalog,
      { rho: rational(5n) },
      new SeededRandomSource('strong'),
    );
    expect(fit.model.blend).toBeGreaterThan(0.5);
    const source = createOfferAffinity({ model: () => installed(fit.model, 'strong'), weight: 2 });
    const a = source(1, signals(['SKU20', 'SKU21', 'SKU22']), index);
    expect(a).not.toBeNull();
    const s = Array.from(a?.scores ?? []);
    expect(s[1]).toBeGreaterThan(Math.max(s[0] as number, s[2] as number));
    expect(a?.weight).toBeCloseTo(2 * fit.model.blend, 12);
    // Excluded purchases (a gift of taste 2) change nothing.
    const withGift = source(2, signals(['SKU20', 'SKU21', 'SKU22', 'SKU45', 'SKU46'], ['SKU45', 'SKU46']), index);
    expect(Array.from(withGift?.scores ?? [])).toEqual(s);
    expect(source(1, signals(['SKU20', 'SKU21', 'SKU22']), index)).toBe(a);
    expect(source(1, signals(['SKU40']), index)).not.toBe(a);
  });
});
