import { describe, expect, it } from 'vitest';
import { buildCatalogIndex, eligibility, parseCatalog } from './core/catalog.ts';
import type { ShopperSignals } from './core/ranking.ts';
import { rankingVersion } from './ranking-version.ts';

/** The item model is part of the ranking version exactly when it weighs in (docs/recommender.md §11). */

const NOW = Date.parse('2026-11-15T12:00:00Z');
const { offers } = parseCatalog(
  {
    offers: [0, 1].map((i) => ({
      id: `o${i}`,
      title: `o${i}`,
      category: 'grocery',
      zones: ['store'],
      validFrom: '2026-11-01T00:00:00Z',
      validTo: '2026-12-01T00:00:00Z',
      items: [`SKU${i}`],
    })),
  },
  { classes: ['standard'] },
);
const catalog = buildCatalogIndex(offers, { standard: 1_000_000 });
const zone = eligibility(catalog, 'store', NOW);
const signals = (sku: string): ShopperSignals => ({
  preferences: { categories: [], brands: [], sizes: [] },
  purchases: [{ id: 'p1', sku, category: 'grocery', brand: null, atMs: 0 }],
  exclusions: [],
  dismissedOfferIds: [],
  redeemedOfferIds: [],
});
const affinity = (modelId: string, weight: number) => ({ scores: new Float64Array(2), weight, modelId });

describe('rankingVersion with the item model', () => {
  it('is unchanged by a model that does not weigh in, and changes with the model, its weight and the items bought', () => {
    const base = rankingVersion(signals('SKU1'), catalog, zone);
    expect(rankingVersion(signals('SKU1'), catalog, zone, affinity('m1', 0))).toBe(base);
    const m1 = rankingVersion(signals('SKU1'), catalog, zone, affinity('m1', 1));
    expect(m1).not.toBe(base);
    expect(rankingVersion(signals('SKU1'), catalog, zone, affinity('m2', 1))).not.toBe(m1);
    expect(rankingVersion(signals('SKU1'), catalog, zone, affinity('m1', 0.5))).not.toBe(m1);
    // Without a model the ranking reads category and brand only; with one, the stock code too.
    expect(rankingVersion(signals('SKU2'), catalog, zone)).toBe(base);
    expect(rankingVersion(signals('SKU2'), catalog, zone, affinity('m1', 1))).not.toBe(m1);
  });
});
