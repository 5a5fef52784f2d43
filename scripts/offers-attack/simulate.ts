import { uniformInt, type RandomSource } from '../../shared/ports/random.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { budgetPeriodAt } from '../../shared/time/local-calendar.ts';
import type { StoredPurchase } from '../../hub/offers/adapters/sqlite-offer-store.ts';
import { chooseK } from '../../hub/offers/core/threshold-sampler.ts';
import { openOffersHarness } from './offers-harness.ts';
import type { PublicPolicy, Sighting } from './attacks.ts';

/**
 * One attack scenario through the production offers feature (the same decision, sticky draws,
 * guards, ledger and transaction the hub runs; docs/shopper-api.md#the-attack): simulated
 * shoppers, each with a fixed random ranking of the n offers of one zone, enter that zone once
 * a day at noon for D days; the observer records every offer shown, with its day.
 */

export type ScenarioName = 'sticky' | 'churn' | 'fresh';

export interface Scenario {
  readonly description: string;
  /** The shopper's data changes before every visit (a new ranking version; the ranking itself stays the same). */
  readonly churn: boolean;
  /** Overrides of the default `offers` config. */
  readonly offers: Record<string, unknown>;
}

export const ZONE = 'aisle';
export const OFFER_COUNT = 20;
/** A Monday in the middle of 2026-Q1: a year from here spans five budget periods (the worst case). */
export const ATTACK_START = Date.parse('2026-02-16T12:00:00Z');
const DAY = 86_400_000;

export function scenarios(periodEpsilon?: number): Record<ScenarioName, Scenario> {
  const budget = periodEpsilon === undefined ? {} : { budget: { periodEpsilon } };
  return {
    sticky: {
      description: 'the default config; the shopper comes every day and their data never changes',
      churn: false,
      offers: budget,
    },
    churn: {
      description:
        'the default config; the shopper data changes before every visit (a new ranking version each time, the ranking itself unchanged), so only the budget limits fresh draws',
      churn: true,
      offers: budget,
    },
    fresh: {
      description: 'v1 behaviour, the negative control: a fresh draw every visit (the budget never binds)',
      churn: true,
      offers: { budget: { periodEpsilon: 1000 } },
    },
  };
}

export interface SimulatedShopper {
  /** The shopper's true top k (offer ids). */
  readonly truth: ReadonlySet<string>;
  /** Every offer the observer saw, in order. */
  readonly sightings: readonly Sighting[];
  readonly freshDraws: number;
  /** Draws carried into a new period (charged, but the same sample as before). */
  readonly carriedDraws: number;
  readonly epsilonMicro: number;
}

export interface ScenarioRun {
  readonly n: number;
  readonly k: number;
  /** What the observer knows of the config. */
  readonly policy: PublicPolicy;
  readonly offers: readonly string[];
  readonly shoppers: readonly SimulatedShopper[];
}

const category = (j: number): string => `c-${String(j).padStart(2, '0')}`;

function catalog(): { offers: Array<Record<string, unknown>> } {
  return {
    offers: Array.from({ length: OFFER_COUNT }, (_, j) => ({
      id: `offer-${String(j).padStart(2, '0')}`,
      title: `Offer ${j}`,
      category: category(j),
      brand: `Brand ${j}`,
      zones: [ZONE],
      validFrom: '2025-01-01T00:00:00Z',
      validTo: '2030-01-01T00:00:00Z',
    })),
  };
}

/** k random positions of 0..n−1 (partial Fisher–Yates). */
function randomSubset(rng: RandomSource, n: number, k: number): number[] {
  const pool = Array.from({ length: n }, (_, j) => j);
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(rng, n - i);
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  return pool.slice(0, k);
}

export function runScenario(
  scenario: Scenario,
  options: { days: number; shoppers: number; seed: string },
): ScenarioRun {
  const rng = new SeededRandomSource(`${options.seed}:${scenario.description}`);
  const population = new SeededRandomSource(`${options.seed}:shoppers`);
  const t = openOffersHarness({ startMs: ATTACK_START, random: rng, offers: scenario.offers });
  try {
    const doc = catalog();
    t.offers.catalog.apply(doc, { replace: true, nowMs: ATTACK_START });
    const ids = doc.offers.map((o) => o.id as string);
    const epsilon = t.offers.epsilonMicroByClass.standard ?? 1_000_000;
    const k = chooseK(OFFER_COUNT, epsilon / 1e6);
    // The same population in every scenario: a random top k (declared categories, +3 each) and a
    // random purchase history (0–2 purchases per category, +0.4 each) that orders each group.
    const people = Array.from({ length: options.shoppers }, () => {
      const pk = t.enroll();
      const top = randomSubset(population, OFFER_COUNT, k);
      t.offers.store.setPreferences(pk, { categories: top.map(category), brands: [], sizes: [] }, ATTACK_START);
      const purchases: StoredPurchase[] = [];
      for (let j = 0; j < OFFER_COUNT; j++)
        for (let c = uniformInt(population, 3); c > 0; c--)
          purchases.push({
            id: `pur-${pk}-${j}-${c}`,
            atMs: ATTACK_START - DAY,
            sku: null,
            category: category(j),
            brand: null,
            size: null,
            source: 'pos',
            decisionId: null,
          });
      t.offers.store.addPurchases(pk, purchases);
      return {
        pk,
        truth: new Set(top.map((j) => ids[j] as string)),
        sightings: [] as Sighting[],
        fresh: 0,
        carried: 0,
      };
    });
    for (let day = 0; day < options.days; day++) {
      const noon = ATTACK_START + day * DAY;
      const period = budgetPeriodAt(noon, t.offers.budgetPeriod, 'UTC').label;
      people.forEach((p, i) => {
        t.clock.set(noon + i * 1000);
        if (scenario.churn)
          t.offers.store.setPreferences(
            p.pk,
            { categories: [...p.truth].map((id) => category(ids.indexOf(id))), brands: [`churn ${day}`], sizes: [] },
            t.clock.now(),
          );
        const decision = t.enter(p.pk, ZONE);
        if (decision?.outcome !== 'shown' || decision.offerId === null) return;
        p.sightings.push({ day, period, offerId: decision.offerId });
        if (decision.draw === 'fresh') p.fresh++;
        if (decision.draw === 'carried') p.carried++;
      });
    }
    return {
      n: OFFER_COUNT,
      k,
      policy: { drawsPerPeriod: Math.floor(t.offers.caps.periodMicro / epsilon) },
      offers: ids,
      shoppers: people.map((p) => ({
        truth: p.truth,
        sightings: p.sightings,
        freshDraws: p.fresh,
        carriedDraws: p.carried,
        epsilonMicro: t.ledger.spending(p.pk, 'offers', 1000).reduce((sum, s) => sum + s.spentMicro, 0),
      })),
    };
  } finally {
    t.close();
  }
}
