import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { uniformInt } from '../../../shared/ports/random.ts';
import { buildCatalogIndex, eligibleOffers, parseCatalog, withPopularity, type CatalogIndex } from './catalog.ts';
import {
  compileProfile,
  KEY_RANGE,
  memberAt,
  rankEligible,
  SCORE_BOUNDS,
  scoreEligible,
  scoreKey,
  topKThreshold,
  usablePurchases,
  type Purchase,
  type ShopperSignals,
  type TopK,
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
});

/** Counts every indexed read and write of a typed array, and records the order of the accesses. */
function traced<T extends Int32Array | Float64Array>(array: T, name: string, trace: string[], indexed = true): T {
  const isIndex = (p: string | symbol): p is string => typeof p === 'string' && /^\d+$/.test(p);
  return new Proxy(array, {
    get(target, p) {
      if (isIndex(p)) trace.push(`${name}.get${indexed ? `[${p}]` : ''}`);
      return Reflect.get(target, p) as unknown;
    },
    set(target, p, value) {
      if (isIndex(p)) trace.push(`${name}.set${indexed ? `[${p}]` : ''}`);
      return Reflect.set(target, p, value);
    },
  });
}

/** The reference: positions sorted by key (higher first), then position. */
function referenceOrder(scores: readonly number[]): number[] {
  const keys = scores.map(scoreKey);
  return scores.map((_, j) => j).sort((x, y) => (keys[y] as number) - (keys[x] as number) || x - y);
}

function select(scores: readonly number[], k: number): { top: number[]; rest: number[]; split: TopK } {
  const n = scores.length;
  const buffers = { keys: new Int32Array(n), counts: new Int32Array(256) };
  const split = topKThreshold(Float64Array.from(scores), n, k, buffers);
  return {
    split,
    top: Array.from({ length: k }, (_, slot) => memberAt(buffers.keys, n, split, slot + 1, true)),
    rest: Array.from({ length: n - k }, (_, slot) => memberAt(buffers.keys, n, split, slot + 1, false)),
  };
}

const score = fc.oneof(
  fc.constantFrom(0, 0.1, 0.2, 1, 1.5, 3, -10, -0.5, SCORE_BOUNDS.min, SCORE_BOUNDS.max, 2 ** -11, 2 * 2 ** -11),
  fc.double({ min: SCORE_BOUNDS.min, max: SCORE_BOUNDS.max, noNaN: true }),
);

describe('constant-work top-k selection', () => {
  it('keys keep the order of scores and separate scores 2^-10 apart', () => {
    expect(KEY_RANGE.min).toBeLessThan(SCORE_BOUNDS.min);
    expect(KEY_RANGE.max).toBeGreaterThan(SCORE_BOUNDS.max);
    fc.assert(
      fc.property(score, score, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(scoreKey(lo)).toBeLessThanOrEqual(scoreKey(hi));
        if (hi - lo >= 2 ** -10) expect(scoreKey(lo)).toBeLessThan(scoreKey(hi));
        expect(scoreKey(lo)).toBeGreaterThanOrEqual(0);
        expect(scoreKey(hi)).toBeLessThan(2 ** 16);
      }),
      { seed: 14, numRuns: 2000 },
    );
    // Clamped outside the range (no score gets there).
    expect([scoreKey(-1e5), scoreKey(1e5), scoreKey(Number.NaN)]).toEqual([0, 2 ** 16 - 1, 0]);
  });

  it('finds exactly the first k of the reference order, each group in catalog order (fast-check)', () => {
    fc.assert(
      fc.property(
        fc
          .array(score, { minLength: 1, maxLength: 90 })
          .chain((scores) => fc.record({ scores: fc.constant(scores), k: fc.integer({ min: 1, max: scores.length }) })),
        ({ scores, k }) => {
          const order = referenceOrder(scores);
          const { top, rest } = select(scores, k);
          expect(top).toEqual(order.slice(0, k).sort((x, y) => x - y));
          expect(rest).toEqual(order.slice(k).sort((x, y) => x - y));
          const n = scores.length;
          const buffers = { keys: new Int32Array(n), counts: new Int32Array(256) };
          const split = topKThreshold(Float64Array.from(scores), n, k, buffers);
          expect(memberAt(buffers.keys, n, split, k + 1, true)).toBe(-1);
          expect(memberAt(buffers.keys, n, split, n - k + 1, false)).toBe(-1);
        },
      ),
      { seed: 7, numRuns: 1500 },
    );
  });

  it('does the same work, in the same order, whatever the scores (adversarial inputs)', () => {
    const rng = new SeededRandomSource('top-k-work');
    for (const [n, k] of [
      [1, 1],
      [7, 3],
      [20, 8],
      [64, 64],
      [300, 113],
    ] as const) {
      const inputs: Record<string, number[]> = {
        equal: new Array<number>(n).fill(1.5),
        ascending: Array.from({ length: n }, (_, i) => i / n),
        descending: Array.from({ length: n }, (_, i) => -i / n),
        random: Array.from({ length: n }, () => uniformInt(rng, 1 << 20) / (1 << 16) - 8),
        twoValues: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 3 : -10)),
        tiedAtThreshold: Array.from({ length: n }, (_, i) => (i < k - 1 ? 9 : 2)),
        lowestDigitOnly: Array.from({ length: n }, (_, i) => (i % 256) * 2 ** -11),
        topDigitOnly: Array.from({ length: n }, (_, i) => ((i * 37) % 20) - 10),
        extremes: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? SCORE_BOUNDS.max : SCORE_BOUNDS.min)),
      };
      const traces = Object.entries(inputs).map(([name, scores]) => {
        const trace: string[] = [];
        const buffers = {
          keys: traced(new Int32Array(n), 'keys', trace),
          // The counters are indexed by a digit of a key (data): their accesses are counted, not located.
          counts: traced(new Int32Array(256), 'counts', trace, false),
        };
        const split = topKThreshold(traced(Float64Array.from(scores), 'scores', trace), n, k, buffers);
        for (let slot = 1; slot <= n; slot++) {
          memberAt(buffers.keys, n, split, slot, true);
          memberAt(buffers.keys, n, split, slot, false);
        }
        return { name, trace };
      });
      const reference = traces[0]?.trace ?? [];
      // n conversions + 1 pass of n counted keys, 2 × 256 resets and scans; memberAt reads every key once.
      const reads = (name: string): number => reference.filter((t) => t.startsWith(`${name}.get`)).length;
      expect(reads('scores')).toBe(n);
      expect(reads('keys')).toBe(n + 2 * n * n);
      expect(reference.filter((t) => t === 'counts.set').length).toBe(2 * 256 + 2 * n);
      for (const { name, trace } of traces) expect(trace, `${name}, n = ${n}, k = ${k}`).toEqual(reference);
    }
  });
});
