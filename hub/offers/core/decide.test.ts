import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { chiSquareTest, chiSquareUniform, wilsonInterval } from '../../../shared/testing/statistics.ts';
import { buildCatalogIndex, eligibleOffers, parseCatalog, type CatalogIndex } from './catalog.ts';
import type { RandomSource } from '../../../shared/ports/random.ts';
import type { BudgetStanding } from './budget.ts';
import {
  decideOffer,
  NO_DRAWS,
  type DecisionConfig,
  type DecisionInput,
  type EarlierDraws,
  type OfferDecision,
  type ShopperOfferState,
  type ShownDecision,
} from './decide.ts';
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
    budget: { periodMicro: 5_000_000, lifetimeMicro: null },
    caps: { perVisit: 2, perDay: 3, minGapMs: 0 },
    quietHours: null,
    maxEntryAgeMs: 900_000,
    localClock: makeLocalClock('UTC'),
    policies: new PolicyCache(),
    holdoutPpm: 0,
    ...extra,
  };
}

function shopper(signals: Partial<ShopperSignals> = {}): ShopperOfferState {
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
    activity: { shownToday: 0, shownThisVisit: 0, lastShownMs: null },
  };
}

function standing(spentMicro = 0): BudgetStanding {
  return { period: '2026-Q4', spentMicro, excluded: false, participates: true, open: true };
}

function input(
  index: CatalogIndex,
  s: ShopperOfferState,
  extra: { zone?: string; spentMicro?: number; draws?: EarlierDraws } = {},
): DecisionInput {
  return {
    nowMs: NOW,
    zone: extra.zone ?? 'denim',
    entryAtMs: NOW - 10_000,
    shopper: s,
    catalog: index,
    standing: standing(extra.spentMicro),
    draws: extra.draws ?? NO_DRAWS,
  };
}

/** A RandomSource that fails the test if a decision draws from it. */
const NO_RANDOMNESS: RandomSource = {
  fillBytes() {
    throw new Error('this decision must not draw randomness');
  },
  nextUint32() {
    throw new Error('this decision must not draw randomness');
  },
};

function shown(d: OfferDecision): ShownDecision {
  if (d.kind !== 'shown') throw new Error(`expected an offer, got ${JSON.stringify(d)}`);
  return d;
}

describe('offer decision', () => {
  it('chooses offers with exactly the threshold probabilities (χ² over the true rank, seeded source)', () => {
    const index = catalog();
    const cfg = config();
    const rng = new SeededRandomSource('decide-distribution');
    const draws = 120_000;
    const counts = new Map<number, number>();
    const order = rankEligible(compileProfile(shopper().signals, index), index, eligibleOffers(index, 'denim', NOW));
    const policy = cfg.policies.get(12, EPS.standard);
    for (let i = 0; i < draws; i++) {
      const d = shown(decideOffer(input(index, shopper()), rng, cfg));
      const rank = order.indexOf(index.indexOf.get(d.offer.id) as number) + 1;
      counts.set(rank, (counts.get(rank) ?? 0) + 1);
    }
    expect(policy.k).toBe(chooseK(12, 1));
    const result = chiSquareTest(counts, draws, (rank) => (rank <= policy.k ? policy.b : policy.a) / policy.total, {
      min: 1,
      max: 12,
    });
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
  });

  it("maps each slot to the slot-th member of the shopper's top k (else of the others), in catalog order", () => {
    const index = catalog();
    const cfg = config();
    const eligible = eligibleOffers(index, 'denim', NOW);
    const order = rankEligible(compileProfile(shopper().signals, index), index, eligible);
    const { k } = cfg.policies.get(eligible.length, EPS.standard);
    const top = order.slice(0, k).sort((x, y) => x - y);
    const rest = order.slice(k).sort((x, y) => x - y);
    for (let slot = 1; slot <= eligible.length; slot++) {
      const d = shown(
        decideOffer(input(index, shopper(), { draws: { sticky: { slot }, latest: null } }), NO_RANDOMNESS, cfg),
      );
      expect(index.indexOf.get(d.offer.id)).toBe(slot <= k ? top[slot - 1] : rest[slot - k - 1]);
    }
  });

  it('tells the shell the slot of a fresh draw, and nothing of rank, k, weights or probability', () => {
    const index = catalog();
    const d = shown(decideOffer(input(index, shopper()), new SeededRandomSource('decide-fields'), config()));
    expect(Object.keys(d).sort()).toEqual(
      [
        'arm',
        'budgetLeftMicro',
        'dataCategories',
        'day',
        'draw',
        'eligible',
        'epsilonMicro',
        'kind',
        'offer',
        'period',
        'slot',
      ].sort(),
    );
    expect(d).toMatchObject({ draw: 'fresh', epsilonMicro: 1_000_000, period: '2026-Q4' });
    expect(d.slot).toBeGreaterThanOrEqual(1);
    expect(d.slot).toBeLessThanOrEqual(12);
  });

  it('a sticky draw shows the same offer as the fresh draw it stored, draws nothing and costs nothing', () => {
    const index = catalog();
    const cfg = config();
    const rng = new SeededRandomSource('decide-sticky');
    for (let i = 0; i < 50; i++) {
      const fresh = shown(decideOffer(input(index, shopper()), rng, cfg));
      const again = shown(
        decideOffer(
          input(index, shopper(), {
            spentMicro: 5_000_000,
            draws: { sticky: { slot: fresh.slot as number }, latest: null },
          }),
          NO_RANDOMNESS,
          cfg,
        ),
      );
      expect(again.offer.id).toBe(fresh.offer.id);
      expect(again).toMatchObject({ draw: 'sticky', slot: null, epsilonMicro: 0, budgetLeftMicro: 0 });
      expect(again.dataCategories).toEqual(fresh.dataCategories);
    }
  });

  it('a draw carried into a new period shows the same offer and is charged like a new one', () => {
    const index = catalog();
    const cfg = config();
    const rng = new SeededRandomSource('decide-carried');
    for (let i = 0; i < 20; i++) {
      const fresh = shown(decideOffer(input(index, shopper()), rng, cfg));
      const carried = shown(
        decideOffer(
          input(index, shopper(), { draws: { sticky: null, carried: { slot: fresh.slot as number }, latest: null } }),
          NO_RANDOMNESS,
          cfg,
        ),
      );
      expect(carried.offer.id).toBe(fresh.offer.id);
      expect(carried).toMatchObject({ draw: 'carried', slot: fresh.slot, epsilonMicro: 1_000_000 });
    }
    // It needs the budget a new draw needs.
    const broke = decideOffer(
      input(index, shopper(), { spentMicro: 4_500_000, draws: { sticky: null, carried: { slot: 1 }, latest: null } }),
      NO_RANDOMNESS,
      cfg,
    );
    expect(broke).toMatchObject({ kind: 'refused', reason: 'period-budget-exhausted' });
  });

  it("with the budget used up: keeps the period's earlier offer unless it was redeemed or dismissed, else refuses", () => {
    const index = catalog();
    const cfg = config();
    const latest = { offerId: 'o-4', dataCategories: ['presence', 'declared-preferences'] as const };
    const kept = shown(
      decideOffer(
        input(index, shopper(), { spentMicro: 4_500_000, draws: { sticky: null, latest } }),
        NO_RANDOMNESS,
        cfg,
      ),
    );
    expect(kept).toMatchObject({ draw: 'kept', epsilonMicro: 0, offer: { id: 'o-4' }, arm: 'personalised' });
    expect(kept.dataCategories).toEqual(latest.dataCategories);
    for (const feedback of [{ dismissedOfferIds: ['o-4'] }, { redeemedOfferIds: ['o-4'] }]) {
      const refused = decideOffer(
        input(index, shopper(feedback), { spentMicro: 4_500_000, draws: { sticky: null, latest } }),
        NO_RANDOMNESS,
        cfg,
      );
      expect(refused).toMatchObject({ kind: 'refused', reason: 'period-budget-exhausted', epsilonMicro: 1_000_000 });
    }
    // With budget left, a changed ranking draws afresh (and is charged) rather than keeping the old offer.
    const fresh = shown(
      decideOffer(input(index, shopper(), { draws: { sticky: null, latest } }), new SeededRandomSource(5), cfg),
    );
    expect(fresh).toMatchObject({ draw: 'fresh', epsilonMicro: 1_000_000 });
  });

  it('the frequency caps still apply to a sticky draw', () => {
    const index = catalog();
    const busy = { ...shopper(), activity: { shownToday: 3, shownThisVisit: 0, lastShownMs: NOW - 60_000 } };
    const d = decideOffer(
      input(index, busy, { draws: { sticky: { slot: 1 }, latest: null } }),
      NO_RANDOMNESS,
      config(),
    );
    expect(d).toMatchObject({ kind: 'refused', reason: 'daily-cap' });
  });

  it('gives the holdout share a uniform offer that costs no ε and reads no personal data', () => {
    const index = catalog();
    const cfg = config({ holdoutPpm: 300_000 });
    const rng = new SeededRandomSource('decide-holdout');
    const draws = 60_000;
    let holdout = 0;
    const perOffer = new Array<number>(12).fill(0);
    for (let i = 0; i < draws; i++) {
      const d = shown(decideOffer(input(index, shopper()), rng, cfg));
      if (d.arm === 'holdout') {
        holdout++;
        const at = index.indexOf.get(d.offer.id) as number;
        perOffer[at] = (perOffer[at] as number) + 1;
        expect(d).toMatchObject({ epsilonMicro: 0, draw: 'holdout', slot: null, dataCategories: ['presence'] });
      } else expect(d.epsilonMicro).toBe(1_000_000);
    }
    const [lo, hi] = wilsonInterval(holdout, draws);
    expect(lo).toBeLessThan(0.3);
    expect(hi).toBeGreaterThan(0.3);
    const uniform = chiSquareUniform(perOffer);
    expect(uniform.statistic).toBeLessThan(uniform.critical);
  });

  it("uses the smallest ε among the eligible offers' classes and reports the budget left in the period", () => {
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
    const d = shown(
      decideOffer(input(index, shopper(), { spentMicro: 1_000_000 }), new SeededRandomSource(1), config()),
    );
    expect(d.eligible).toBe(13);
    expect(d.epsilonMicro).toBe(250_000);
    expect(d.budgetLeftMicro).toBe(3_750_000);
    expect(d.dataCategories).toEqual(['presence', 'declared-preferences']);
  });

  it('refuses without charging, and decides nothing where no offer is eligible', () => {
    const index = catalog();
    const d = decideOffer(input(index, shopper(), { spentMicro: 4_500_000 }), new SeededRandomSource(2), config());
    expect(d).toMatchObject({
      kind: 'refused',
      reason: 'period-budget-exhausted',
      eligible: 12,
      epsilonMicro: 1_000_000,
      budgetLeftMicro: 500_000,
      period: '2026-Q4',
    });
    expect(decideOffer(input(index, shopper(), { zone: 'checkout' }), new SeededRandomSource(3), config())).toEqual({
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
