import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { uniformInt } from '../../../shared/ports/random.ts';
import { buildCatalogIndex, eligibleOffers, parseCatalog, withPopularity, type CatalogIndex } from './catalog.ts';
import {
  compileProfile,
  kthLargest,
  memberAt,
  rankEligible,
  rankOfPosition,
  scoreEligible,
  selectTopK,
  topKThreshold,
  usablePurchases,
  type Purchase,
  type ShopperSignals,
} from './ranking.ts';

const NOW = Date.parse('2026-11-15T12:00:00Z');

function catalog(): CatalogIndex {
  const rows: Array<[string, string, string]> = [
    ['jeans-acme', 'denim', 'Acme'],
    ['jeans-blue', 'denim', 'Bluefield'],
    ['dress-rosa', 'dresses', 'Rosa'],
    ['dress-acme', 'dresses', 'Acme'],
    ['toy-kite', 'toys', 'Skyline'],
    ['toy-train', 'toys', 'Choo'],
    ['socks', 'basics', 'Acme'],
    ['belt', 'accessories', 'Bluefield'],
  ];
  const { offers, rejected } = parseCatalog(
    {
      offers: rows.map(([id, category, brand]) => ({
        id,
        title: id,
        category,
        brand,
        zones: ['store'],
        validFrom: '2026-11-01T00:00:00Z',
        validTo: '2026-12-01T00:00:00Z',
        ...(category === 'denim' ? { sizes: ['32', '34'] } : {}),
      })),
    },
    { classes: ['standard'] },
  );
  expect(rejected).toEqual([]);
  return buildCatalogIndex(offers, { standard: 1_000_000 });
}

function signals(extra: Partial<ShopperSignals> = {}): ShopperSignals {
  return {
    preferences: { categories: [], brands: [], sizes: [] },
    purchases: [],
    exclusions: [],
    dismissedOfferIds: [],
    redeemedOfferIds: [],
    ...extra,
  };
}

function ranking(index: CatalogIndex, s: ShopperSignals): string[] {
  const eligible = eligibleOffers(index, 'store', NOW);
  return rankEligible(compileProfile(s, index), index, eligible).map((i) => index.offers[i]?.id as string);
}

const purchase = (id: string, category: string, brand: string | null, sku: string | null = null): Purchase => ({
  id,
  sku,
  category,
  brand,
  atMs: NOW - 86_400_000,
});

describe("ranking from the shopper's own data", () => {
  it('puts declared categories and brands first, then catalog order', () => {
    const index = catalog();
    expect(ranking(index, signals())).toEqual(index.offers.map((o) => o.id));
    const r = ranking(index, signals({ preferences: { categories: ['dresses'], brands: ['bluefield'], sizes: [] } }));
    expect(r.slice(0, 4)).toEqual(['dress-rosa', 'dress-acme', 'jeans-blue', 'belt']);
  });

  it('uses purchase history and boosts brands already bought (retention)', () => {
    const index = catalog();
    const r = ranking(index, signals({ purchases: [purchase('p1', 'toys', 'Choo'), purchase('p2', 'toys', 'Choo')] }));
    expect(r.slice(0, 2)).toEqual(['toy-train', 'toy-kite']);
    const profile = compileProfile(signals({ purchases: [purchase('p1', 'basics', 'ACME ')] }), index);
    expect(profile.dataCategories).toEqual(['presence', 'purchase-history']);
    const scores = scoreEligible(profile, index, eligibleOffers(index, 'store', NOW));
    // socks: category + brand; the other Acme offers: brand only.
    expect([...scores]).toEqual([1.5, 0, 0, 1.5, 0, 0, 1.9, 0]);
  });

  it('an excluded gift purchase never influences the ranking (by purchase and by item)', () => {
    const index = catalog();
    const own = [purchase('p1', 'denim', 'Bluefield'), purchase('p2', 'accessories', 'Bluefield')];
    const gift = purchase('gift', 'toys', 'Skyline', 'sku-kite');
    const prefs = { categories: ['dresses'], brands: [], sizes: ['34'] };
    const without = ranking(index, signals({ preferences: prefs, purchases: own }));
    const withGift = ranking(index, signals({ preferences: prefs, purchases: [...own, gift] }));
    expect(withGift).not.toEqual(without); // the gift would matter ...
    const excluded = ranking(
      index,
      signals({ preferences: prefs, purchases: [...own, gift], exclusions: [{ purchaseId: 'gift', sku: null }] }),
    );
    expect(excluded).toEqual(without); // ... but once excluded it does not
    const laterGift = purchase('gift-2', 'toys', 'Skyline', 'sku-kite');
    const bySku = ranking(
      index,
      signals({
        preferences: prefs,
        purchases: [...own, gift, laterGift],
        exclusions: [{ purchaseId: null, sku: 'sku-kite' }],
      }),
    );
    expect(bySku).toEqual(without);
    // and scores are identical, not just the order
    const eligible = eligibleOffers(index, 'store', NOW);
    const a = scoreEligible(compileProfile(signals({ preferences: prefs, purchases: own }), index), index, eligible);
    const b = scoreEligible(
      compileProfile(
        signals({ preferences: prefs, purchases: [...own, gift], exclusions: [{ purchaseId: 'gift', sku: null }] }),
        index,
      ),
      index,
      eligible,
    );
    expect([...b]).toEqual([...a]);
    expect(usablePurchases([...own, gift], [{ purchaseId: 'gift', sku: null }])).toEqual(own);
  });

  it('sinks dismissed offers and matches declared sizes', () => {
    const index = catalog();
    const r = ranking(
      index,
      signals({ preferences: { categories: ['denim'], brands: [], sizes: ['34'] }, dismissedOfferIds: ['jeans-acme'] }),
    );
    expect(r[0]).toBe('jeans-blue');
    expect(r.at(-1)).toBe('jeans-acme');
    const s = compileProfile(
      signals({ dismissedOfferIds: ['x'], preferences: { categories: [], brands: [], sizes: ['S'] } }),
      index,
    );
    expect(s.dataCategories).toEqual(['presence', 'declared-preferences', 'offer-feedback']);
  });

  it('matches sizes the same way with many distinct sizes (list) as with few (bit masks)', () => {
    const build = (extraSizes: number): CatalogIndex => {
      const { offers } = parseCatalog(
        {
          offers: [
            {
              id: 'a',
              title: 'a',
              category: 'x',
              zones: ['z'],
              validFrom: '2026-11-01T00:00:00Z',
              validTo: '2026-12-01T00:00:00Z',
              sizes: ['S', 'M'],
            },
            {
              id: 'b',
              title: 'b',
              category: 'x',
              zones: ['z'],
              validFrom: '2026-11-01T00:00:00Z',
              validTo: '2026-12-01T00:00:00Z',
              sizes: ['XL'],
            },
            {
              id: 'c',
              title: 'c',
              category: 'x',
              zones: ['z'],
              validFrom: '2026-11-01T00:00:00Z',
              validTo: '2026-12-01T00:00:00Z',
            },
            {
              id: 'd',
              title: 'd',
              category: 'x',
              zones: ['other'],
              validFrom: '2026-11-01T00:00:00Z',
              validTo: '2026-12-01T00:00:00Z',
              sizes: Array.from({ length: extraSizes }, (_, i) => `EU ${i}`),
            },
          ],
        },
        { classes: ['standard'] },
      );
      return buildCatalogIndex(offers, { standard: 1_000_000 });
    };
    const few = build(3);
    const many = build(40);
    expect(few.sizeMask).not.toBeNull();
    expect(many.sizeMask).toBeNull();
    for (const index of [few, many]) {
      const profile = compileProfile(signals({ preferences: { categories: [], brands: [], sizes: [' m '] } }), index);
      expect([...scoreEligible(profile, index, eligibleOffers(index, 'z', NOW))]).toEqual([1, -0.5, 0]);
    }
  });

  it('names DP aggregates when the popularity prior is used, and orders by it among equals', () => {
    const index = withPopularity(catalog(), (o) => (o.id === 'belt' ? 1 : 0));
    expect(ranking(index, signals())[0]).toBe('belt');
    expect(compileProfile(signals(), index).dataCategories).toEqual(['presence', 'dp-aggregates']);
  });

  it('selectTopK and the threshold split find exactly the top k of the full order (random scores with many ties)', () => {
    const rng = new SeededRandomSource('select');
    for (let trial = 0; trial < 400; trial++) {
      const n = 1 + uniformInt(rng, 60);
      const k = 1 + uniformInt(rng, n);
      const scores = Float64Array.from({ length: n }, () => uniformInt(rng, 5));
      const positions = Int32Array.from({ length: n }, (_, j) => j);
      selectTopK(scores, positions, k);
      const byRank = Array.from({ length: n }, (_, j) => j).sort(
        (x, y) => rankOfPosition(scores, x) - rankOfPosition(scores, y),
      );
      expect(new Set(positions.slice(0, k))).toEqual(new Set(byRank.slice(0, k)));
      expect([...positions].sort((x, y) => x - y)).toEqual(byRank.slice().sort((x, y) => x - y));
      expect(byRank.map((x) => rankOfPosition(scores, x))).toEqual(Array.from({ length: n }, (_, j) => j + 1));
      // The decision path: a threshold split gives the same top group, each member at exactly one slot.
      const split = topKThreshold(scores, n, k, new Float64Array(n));
      const top = Array.from({ length: k }, (_, slot) => memberAt(scores, n, split, slot + 1, true));
      const rest = Array.from({ length: n - k }, (_, slot) => memberAt(scores, n, split, slot + 1, false));
      expect(new Set(top)).toEqual(new Set(byRank.slice(0, k)));
      expect(new Set(rest)).toEqual(new Set(byRank.slice(k)));
      expect(memberAt(scores, n, split, k + 1, true)).toBe(-1);
      const sorted = [...scores].sort((x, y) => y - x);
      expect(kthLargest(Float64Array.from(scores), n, k)).toBe(sorted[k - 1]);
    }
  });
});
