import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCatalogIndex, eligibleOffers, parseCatalog, withPopularity, type CatalogIndex } from './catalog.ts';
import {
  AFFINITY_WEIGHT_MAX,
  compileProfile,
  rankEligible,
  type OfferAffinity,
  type ShopperSignals,
} from './ranking.ts';

/**
 * The item model's blend in the offers ranking (docs/recommender.md §6): with weight 0 the
 * ranking is exactly the ranking without a model (popularity and the shopper's own signals);
 * with weight > 0 an offer's rank only improves as its affinity grows, and a strong model puts
 * the offer covering the shopper's items first whatever the popularity prior.
 */

const NOW = Date.parse('2026-11-15T12:00:00Z');
const CATEGORIES = ['denim', 'dresses', 'toys', 'basics'];
const BRANDS = ['Acme', 'Rosa', 'Skyline'];

function catalogOf(n: number, popularity: readonly number[], withItems: boolean): CatalogIndex {
  const { offers, rejected } = parseCatalog(
    {
      offers: Array.from({ length: n }, (_, i) => ({
        id: `offer-${i}`,
        title: `Offer ${i}`,
        category: CATEGORIES[i % CATEGORIES.length],
        brand: BRANDS[i % BRANDS.length],
        zones: ['store'],
        validFrom: '2026-11-01T00:00:00Z',
        validTo: '2026-12-01T00:00:00Z',
        ...(withItems ? { items: [`SKU-${i}`, `SKU-${i + 100}`] } : {}),
      })),
    },
    { classes: ['standard'] },
  );
  expect(rejected).toEqual([]);
  const index = buildCatalogIndex(offers, { standard: 1_000_000 });
  return withPopularity(index, (offer) => popularity[Number(offer.id.slice(6))] ?? 0);
}

const signalsArb: fc.Arbitrary<ShopperSignals> = fc.record({
  preferences: fc.record({
    categories: fc.subarray(CATEGORIES),
    brands: fc.subarray(BRANDS),
    sizes: fc.constant([]),
  }),
  purchases: fc.array(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      sku: fc.option(fc.constantFrom('SKU-1', 'SKU-2', 'SKU-101'), { nil: null }),
      category: fc.constantFrom(...CATEGORIES),
      brand: fc.option(fc.constantFrom(...BRANDS), { nil: null }),
      atMs: fc.constant(0),
    }),
    { maxLength: 6 },
  ),
  exclusions: fc.constant([]),
  dismissedOfferIds: fc.constant([]),
  redeemedOfferIds: fc.subarray(['offer-0', 'offer-3']),
});

const caseArb = fc.integer({ min: 2, max: 24 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    popularity: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
    affinity: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
    signals: signalsArb,
    covered: fc.integer({ min: 0, max: n - 1 }),
  }),
);

function rank(catalog: CatalogIndex, signals: ShopperSignals, affinity: OfferAffinity | null): number[] {
  const profile = compileProfile(signals, catalog, undefined, affinity);
  return rankEligible(profile, catalog, eligibleOffers(catalog, 'store', NOW));
}

describe('the item model in the offers ranking', () => {
  it('weight 0 (a model that is noise) ranks exactly as without a model (fast-check)', () => {
    fc.assert(
      fc.property(caseArb, ({ n, popularity, affinity, signals }) => {
        const catalog = catalogOf(n, popularity, true);
        const none = rank(catalog, signals, null);
        const zero = rank(catalog, signals, { scores: Float64Array.from(affinity), weight: 0, modelId: 'm' });
        expect(zero).toEqual(none);
        // An offer catalog without items is untouched by any weight (its affinity is all 0).
        const plain = catalogOf(n, popularity, false);
        const zeros = { scores: new Float64Array(n), weight: AFFINITY_WEIGHT_MAX, modelId: 'm' };
        expect(rank(plain, signals, zeros)).toEqual(rank(plain, signals, null));
      }),
      { numRuns: 200 },
    );
  });

  it("an offer's rank only improves as its affinity or the weight grows (fast-check)", () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.double({ min: 0, max: AFFINITY_WEIGHT_MAX, noNaN: true }),
        ({ n, popularity, affinity, signals, covered }, weight) => {
          const catalog = catalogOf(n, popularity, true);
          const position = (scores: number[], w: number): number =>
            rank(catalog, signals, { scores: Float64Array.from(scores), weight: w, modelId: 'm' }).indexOf(covered);
          const raised = [...affinity];
          raised[covered] = 1;
          expect(position(raised, weight)).toBeLessThanOrEqual(position(affinity, weight));
          const only = Array.from({ length: n }, (_, i) => (i === covered ? 1 : 0));
          expect(position(only, AFFINITY_WEIGHT_MAX)).toBeLessThanOrEqual(position(only, weight));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a strong model puts the covered offer first for a shopper with popularity only (fast-check)', () => {
    const plain: ShopperSignals = {
      preferences: { categories: [], brands: [], sizes: [] },
      purchases: [],
      exclusions: [],
      dismissedOfferIds: [],
      redeemedOfferIds: [],
    };
    fc.assert(
      fc.property(caseArb, ({ n, popularity, covered }) => {
        const catalog = catalogOf(n, popularity, true);
        const only = Float64Array.from({ length: n }, (_, i) => (i === covered ? 1 : 0));
        // 0.5 × popularity ≤ 0.5 < the weight: the covered offer wins; without the model, popularity decides.
        expect(rank(catalog, plain, { scores: only, weight: 1, modelId: 'm' })[0]).toBe(covered);
        const byPopularity = rank(catalog, plain, null);
        const best = Math.max(...popularity);
        expect(popularity[byPopularity[0] as number]).toBeGreaterThanOrEqual(best - 2 ** -10);
      }),
      { numRuns: 200 },
    );
  });
});
