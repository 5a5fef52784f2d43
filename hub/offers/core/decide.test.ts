import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { chiSquareTest, chiSquareUniform, wilsonInterval } from '../../../shared/testing/statistics.ts';
import { buildCatalogIndex, eligibleOffers, parseCatalog, type CatalogIndex } from './catalog.ts';
import { decideOffer, type DecisionConfig, type DecisionInput, type ShopperOfferState } from './decide.ts';
import { makeLocalClock } from './local-time.ts';
import { PolicyCache } from './policy-cache.ts';
import { compileProfile, rankEligible, type ShopperSignals } from './ranking.ts';
import { chooseK } from './threshold-sampler.ts';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const EPS = { standard: 1_000_000, 'price-sensitive': 500_000, health: 250_000 };
const CATEGORIES = ['denim', 'dresses', 'toys', 'basics'];
const BRANDS = ['Acme', 'Bluefield', 'Rosa'];

function catalog(extra: Array<Record<string, unknown>> = []): CatalogIndex {
  const offers = Array.from({ length: 12 }, (_, i) => ({
    id: `o-${i}`,
    title: `Offer ${i}`,
    category: CATEGORIES[i % 4],
    brand: BRANDS[i % 3],
    zones: ['denim'],
    validFrom: '2026-11-01T00:00:00Z',
    validTo: '2026-12-01T00:00:00Z',
  }));
  const parsed = parseCatalog({ offers: [...offers, ...extra] }, { classes: Object.keys(EPS) });
  expect(parsed.rejected).toEqual([]);
  return buildCatalogIndex(parsed.offers, EPS);
}

function config(extra: Partial<DecisionConfig> = {}): DecisionConfig {
  return {
    budget: { dailyMicro: 5_000_000, thirtyDayMicro: 50_000_000 },
    caps: { perVisit: 2, perDay: 3, minGapMs: 0 },
    quietHours: null,
    maxEntryAgeMs: 900_000,
    localClock: makeLocalClock('UTC'),
    policies: new PolicyCache(),
    holdoutPpm: 0,
    ...extra,
  };
}

function shopper(signals: Partial<ShopperSignals> = {}, spentMicro = 0): ShopperOfferState {
  return {
    consent: { presenceForOffers: true, pausedUntilMs: null, quietHours: 'default' },
    signals: {
      preferences: { categories: ['toys'], brands: ['rosa'], sizes: [] },
      purchases: [],
      exclusions: [],
      dismissedOfferIds: [],
      redeemedOfferIds: [],
      ...signals,
    },
    activity: {
      shownToday: 0,
      shownThisVisit: 0,
      lastShownMs: null,
      spent: { todayMicro: spentMicro, windowMicro: spentMicro },
    },
  };
}

function input(index: CatalogIndex, s: ShopperOfferState, zone = 'denim'): DecisionInput {
  return { nowMs: NOW, zone, entryAtMs: NOW - 10_000, shopper: s, catalog: index };
}

describe('offer decision', () => {
  it('chooses offers with exactly the threshold probabilities (χ² over the true rank, seeded source)', () => {
    const index = catalog();
    const cfg = config();
    const rng = new SeededRandomSource('decide-distribution');
    const draws = 120_000;
    const counts = new Map<number, number>();
    let policy: { k: number; a: number; b: number; total: number } | null = null;
    for (let i = 0; i < draws; i++) {
      const d = decideOffer(input(index, shopper()), rng, cfg);
      if (d.kind !== 'shown' || d.rank === null || d.policy === null)
        throw new Error(`unexpected ${JSON.stringify(d)}`);
      policy = d.policy;
      counts.set(d.rank, (counts.get(d.rank) ?? 0) + 1);
    }
    if (policy === null) throw new Error('no decision');
    expect(policy.k).toBe(chooseK(12, 1));
    const p = policy;
    const result = chiSquareTest(counts, draws, (rank) => (rank <= p.k ? p.b : p.a) / p.total, { min: 1, max: 12 });
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it("for any two shoppers every offer's probability ratio is at most e^ε (exact, from the rankings)", () => {
    const index = catalog();
    const eligible = eligibleOffers(index, 'denim', NOW);
    const cfg = config();
    const shoppers: ShopperSignals[] = [
      shopper().signals,
      shopper({ preferences: { categories: ['denim'], brands: ['acme'], sizes: [] } }).signals,
      shopper({
        preferences: { categories: [], brands: [], sizes: [] },
        purchases: [{ id: 'p', sku: null, category: 'basics', brand: 'Bluefield', atMs: NOW }],
      }).signals,
      shopper({ dismissedOfferIds: ['o-2', 'o-6'] }).signals,
    ];
    const policy = cfg.policies.get(eligible.length, EPS.standard);
    const probabilities = shoppers.map((s) => {
      const order = rankEligible(compileProfile(s, index), index, eligible);
      return new Map(order.map((offer, r) => [offer, (r < policy.k ? policy.b : policy.a) / policy.total]));
    });
    for (const pa of probabilities) {
      for (const pb of probabilities) {
        for (const offer of eligible) {
          expect((pa.get(offer) as number) * policy.a).toBeLessThanOrEqual(
            (pb.get(offer) as number) * policy.b * (1 + 1e-12),
          );
        }
      }
    }
    expect(Math.log(policy.b / policy.a)).toBeLessThanOrEqual(1);
    // The decision reports the same exact probability for the offer it chose.
    const rng = new SeededRandomSource('decide-report');
    for (const s of shoppers) {
      const d = decideOffer(input(index, { ...shopper(), signals: s }), rng, cfg);
      if (d.kind !== 'shown' || d.policy === null) throw new Error('expected a personalised offer');
      const order = rankEligible(compileProfile(s, index), index, eligible).map((i) => index.offers[i]?.id);
      expect(d.rank).toBe(order.indexOf(d.offer.id) + 1);
      expect(d.probability).toEqual({
        num: (d.rank as number) <= d.policy.k ? d.policy.b : d.policy.a,
        den: d.policy.total,
      });
      expect(d.policy.k).toBe(policy.k); // public: the same for every shopper
    }
  });

  it('gives the holdout share a uniform offer that costs no ε and reads no personal data', () => {
    const index = catalog();
    const cfg = config({ holdoutPpm: 300_000 });
    const rng = new SeededRandomSource('decide-holdout');
    const draws = 60_000;
    let holdout = 0;
    const perOffer = new Array<number>(12).fill(0);
    for (let i = 0; i < draws; i++) {
      const d = decideOffer(input(index, shopper()), rng, cfg);
      if (d.kind !== 'shown') throw new Error('expected an offer');
      if (d.arm === 'holdout') {
        holdout++;
        const at = index.indexOf.get(d.offer.id) as number;
        perOffer[at] = (perOffer[at] as number) + 1;
        expect(d.epsilonMicro).toBe(0);
        expect(d.rank).toBeNull();
        expect(d.dataCategories).toEqual(['presence']);
      } else expect(d.epsilonMicro).toBe(1_000_000);
    }
    const [lo, hi] = wilsonInterval(holdout, draws);
    expect(lo).toBeLessThan(0.3);
    expect(hi).toBeGreaterThan(0.3);
    const uniform = chiSquareUniform(perOffer);
    expect(uniform.statistic).toBeLessThan(uniform.critical);
  });

  it("uses the smallest ε among the eligible offers' classes and reports the budget left", () => {
    const index = catalog([
      {
        id: 'vitamins',
        title: 'Vitamins',
        category: 'pharmacy',
        zones: ['denim'],
        validFrom: '2026-11-01T00:00:00Z',
        validTo: '2026-12-01T00:00:00Z',
        sensitivity: 'health',
      },
    ]);
    const d = decideOffer(input(index, shopper({}, 1_000_000)), new SeededRandomSource(1), config());
    if (d.kind !== 'shown') throw new Error('expected an offer');
    expect(d.eligible).toBe(13);
    expect(d.epsilonMicro).toBe(250_000);
    expect(d.budgetLeft).toEqual({ todayMicro: 3_750_000, windowMicro: 48_750_000 });
    expect(d.dataCategories).toEqual(['presence', 'declared-preferences']);
  });

  it('refuses without charging, and decides nothing where no offer is eligible', () => {
    const index = catalog();
    const d = decideOffer(input(index, shopper({}, 4_500_000)), new SeededRandomSource(2), config());
    expect(d).toMatchObject({
      kind: 'refused',
      reason: 'daily-budget-exhausted',
      eligible: 12,
      epsilonMicro: 1_000_000,
      budgetLeft: { todayMicro: 500_000 },
    });
    expect(decideOffer(input(index, shopper(), 'checkout'), new SeededRandomSource(3), config())).toEqual({
      kind: 'none',
      reason: 'no-eligible-offers',
    });
    const late = decideOffer(
      {
        ...input(index, shopper()),
        nowMs: Date.parse('2026-12-02T00:00:00Z'),
        entryAtMs: Date.parse('2026-12-02T00:00:00Z'),
      },
      new SeededRandomSource(4),
      config(),
    );
    expect(late.kind).toBe('none');
  });
});
