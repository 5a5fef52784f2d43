import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { buildCatalogIndex, withPopularity, type CatalogOffer } from '../../hub/offers/core/catalog.ts';
import { decideOffer, NO_DRAWS, type DecisionConfig, type DecisionInput } from '../../hub/offers/core/decide.ts';
import { makeLocalClock } from '../../hub/offers/core/local-time.ts';
import { PolicyCache } from '../../hub/offers/core/policy-cache.ts';
import { eligibility } from '../../hub/offers/core/catalog.ts';
import {
  compileProfile,
  memberAt,
  RankingScratch,
  scoreEligible,
  topKThreshold,
  type Purchase,
} from '../../hub/offers/core/ranking.ts';
import { chooseK, sampleRank } from '../../hub/offers/core/threshold-sampler.ts';
import { quickselectMemberAt, quickselectRank, quickselectTopK } from './offers-quickselect.ts';
import { median } from './stats.ts';
import { uniformInt, type RandomSource } from '../../shared/ports/random.ts';
import { rational } from '../../shared/privacy/rational.ts';
import { buildCatalog, fitStores, modelDocument, type ShopperHistory } from '../../shared/recommend/mod.ts';
import { createOfferAffinity } from '../../hub/recommend/mod.ts';
import type { OfferAffinitySource } from '../../hub/offers/core/ranking.ts';

/**
 * Offers benchmark (targets: ≥ 100,000 decisions/s with 1,000 eligible offers; k for 10,000
 * offers in ≤ 5 ms).
 *
 * decisionsPerSec: FULL decisions through the production decision function (decideOffer) on
 * the pooled crypto source — eligibility (zone, validity) of 1,000 offers, ε of the classes,
 * the guards (consent, pause, quiet hours in a real time zone, caps, the period's budget), the shopper's
 * private ranking (declared preferences, 40 purchases minus 2 exclusions, retention boost,
 * dismissed offers, a DP popularity prior), the constant-work top-k selection and one exact
 * threshold draw (a fresh draw; a sticky one skips only the draw).
 * No holdout, so every decision takes the personalised (slower) path.
 * selectionsPerSec: the constant-work top-k of the shopper's 1,000 scores and the lookup of the
 * drawn slot (ranking.ts); baselineSelectionsPerSec: the v1 quickselect, early-exit lookup and
 * rank (offers-quickselect.ts) on the same scores and slots, interleaved in the same runs.
 * kComputeMs10k: chooseK(10,000, ε = 1) on the linear payoff curve, uncached.
 * decisionsPerSecWithModel: the same decisions with the item model in the ranking as the hub runs
 * it (docs/recommender.md §6): every offer names 3 stock codes of a 1,500-item catalog, a DP model
 * fitted in memory (20 tastes, 20,000 shoppers, ε ≈ 1 per period), the shopper's affinity from
 * the per-shopper cache (the decision recorder's call, key check included), interleaved with the
 * baseline in the same runs. affinityMicros: one affinity computed afresh (a cache miss).
 */

const NOW = Date.parse('2026-11-16T12:00:00Z');

export function decisionFixture(): { input: DecisionInput; config: DecisionConfig } {
  const offers: CatalogOffer[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `offer-${i}`,
    title: `Offer ${i}`,
    category: `category-${i % 50}`,
    brand: `Brand ${i % 100}`,
    zones: ['denim'],
    validFrom: '2026-11-01T00:00:00Z',
    validTo: '2026-12-01T00:00:00Z',
    validFromMs: Date.parse('2026-11-01T00:00:00Z'),
    validToMs: Date.parse('2026-12-01T00:00:00Z'),
    sensitivity: i % 10 === 0 ? 'price-sensitive' : 'standard',
    ...(i % 4 === 0 ? { sizes: ['S', 'M', 'L'] } : {}),
  }));
  const catalog = withPopularity(
    buildCatalogIndex(offers, { standard: 1_000_000, 'price-sensitive': 500_000 }),
    (o) => (Number(o.id.slice(6)) % 7) / 7,
  );
  const purchases: Purchase[] = Array.from({ length: 40 }, (_, i) => ({
    id: `pur-${i}`,
    sku: `sku-${i % 25}`,
    category: `category-${(i * 7) % 50}`,
    brand: `Brand ${(i * 13) % 100}`,
    atMs: NOW - i * 86_400_000,
  }));
  const input: DecisionInput = {
    nowMs: NOW,
    zone: 'denim',
    entryAtMs: NOW - 20_000,
    catalog,
    shopper: {
      consent: { presenceForOffers: true, pausedUntilMs: null, quietHours: 'default' },
      signals: {
        preferences: {
          categories: ['category-3', 'category-17', 'category-42'],
          brands: ['brand 5', 'Brand 77'],
          sizes: ['M'],
        },
        purchases,
        exclusions: [
          { purchaseId: 'pur-3', sku: null },
          { purchaseId: null, sku: 'sku-11' },
        ],
        dismissedOfferIds: ['offer-3', 'offer-500', 'offer-999'],
        redeemedOfferIds: ['offer-17'],
      },
      activity: { shownToday: 0, shownThisVisit: 0, lastShownMs: null },
    },
    // A fresh draw (no sticky draw yet) with budget left: the full, charged personalised path.
    standing: { period: '2026-Q4', spentMicro: 500_000, excluded: false, participates: true, open: true },
    draws: NO_DRAWS,
  };
  const config: DecisionConfig = {
    budget: { periodMicro: 4_000_000, lifetimeMicro: null },
    caps: { perVisit: 1, perDay: 2, minGapMs: 1_800_000 },
    quietHours: { start: '21:00', end: '08:00' },
    maxEntryAgeMs: 900_000,
    localClock: makeLocalClock('Europe/Berlin'),
    policies: new PolicyCache(),
    scratch: new RankingScratch(),
    holdoutPpm: 0,
  };
  return { input, config };
}

const MODEL_ITEMS = 1500;

/** An in-memory DP model with planted structure, and an affinity source over it (what the hub installs). */
export function modelFixture(rng: RandomSource): OfferAffinitySource {
  const codes = Array.from({ length: MODEL_ITEMS }, (_, i) => `sku-${i}`);
  const shoppers: ShopperHistory[] = Array.from({ length: 20_000 }, (_, u) => {
    const taste = u % 20;
    const set = new Set<number>();
    while (set.size < 6) set.add(taste + 20 * uniformInt(rng, 40));
    const items = Int32Array.from(set).sort();
    return { shopperId: `u${u}`, items, invoices: new Int32Array(items.length).fill(1) };
  });
  const fit = fitStores(
    [{ store: 'bench', shoppers }],
    buildCatalog(codes),
    { rho: rational(24356n, 1_000_000n) },
    rng,
  );
  const document = modelDocument(fit.model, {
    version: 1,
    modelId: 'bench-model',
    createdAt: new Date(NOW).toISOString(),
    period: { label: '2026-Q3', start: '2026-07-01', end: '2026-10-01' },
    privacy: { unit: 'shopper-period', rho: '24356/1000000', epsilon: 1, delta: 1e-6, rounds: [] },
    parameters: {},
    provenance: { stores: 1, storeIds: ['bench'], releaseIds: [], source: 'bench', tool: 'bench' },
  });
  return createOfferAffinity({ model: () => ({ model: fit.model, document }), weight: 2 });
}

/** Runs `body` (which does `batch` operations) for about `seconds`; returns operations per second. */
function rate(seconds: number, batch: number, body: () => void): number {
  let done = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    body();
    done += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return done / elapsed;
}

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const rng = new CryptoRandomSource();
  const { input, config } = decisionFixture();
  const withItems = {
    ...input,
    catalog: withPopularity(
      buildCatalogIndex(
        input.catalog.offers.map((o, i) => ({
          ...o,
          items: [0, 1, 2].map((k) => `sku-${(i * 7 + k * 501) % MODEL_ITEMS}`),
        })),
        { standard: 1_000_000, 'price-sensitive': 500_000 },
      ),
      (o) => (Number(o.id.slice(6)) % 7) / 7,
    ),
  };
  const affinitySource = modelFixture(rng);
  const probe = affinitySource(1, withItems.shopper.signals, withItems.catalog);
  if (probe === null || !(probe.weight > 0)) throw new Error('benchmark model has no signal (γ = 0)');
  const decideWithModel = (pk: number): boolean =>
    decideOffer(
      { ...withItems, affinity: affinitySource(pk, withItems.shopper.signals, withItems.catalog) },
      rng,
      config,
    ).kind === 'shown';
  const first = decideOffer(input, rng, config);
  if (first.kind !== 'shown' || first.draw !== 'fresh' || first.eligible !== 1000)
    throw new Error(`benchmark fixture did not decide a personalised offer among 1000: ${JSON.stringify(first)}`);
  // The selection alone, on the fixture shopper's real scores and the public policy of the decision.
  const scratch = new RankingScratch();
  const zone = eligibility(input.catalog, input.zone, input.nowMs);
  const n = zone.eligible.length;
  const policy = config.policies.get(n, zone.epsilonMicro);
  const buffers = scratch.forOffers(n);
  const scores = Float64Array.from(
    scoreEligible(compileProfile(input.shopper.signals, input.catalog, scratch), input.catalog, zone, buffers.scores),
  );
  const slots = Int32Array.from({ length: 1024 }, () => sampleRank(policy, rng));
  const work = new Float64Array(n);
  const decisionRates: number[] = [];
  const modelRates: number[] = [];
  const missMicros: number[] = [];
  const selectionRates: number[] = [];
  const baselineRates: number[] = [];
  const kTimes: number[] = [];
  let sink = 0;
  for (let run = 0; run < runs; run++) {
    decisionRates.push(
      rate(0.4, 1000, () => {
        for (let i = 0; i < 1000; i++) if (decideOffer(input, rng, config).kind === 'shown') sink++;
      }),
    );
    modelRates.push(
      rate(0.4, 1000, () => {
        for (let i = 0; i < 1000; i++) if (decideWithModel(1)) sink++;
      }),
    );
    // A cache miss per call: a new shopper each time (the per-shopper affinity over 1,500 items).
    let pk = 1_000_000 * (run + 2);
    missMicros.push(
      1e6 /
        rate(0.2, 100, () => {
          for (let i = 0; i < 100; i++)
            sink += affinitySource(pk++, withItems.shopper.signals, withItems.catalog)?.weight ?? 0;
        }),
    );
    selectionRates.push(
      rate(0.2, 1024, () => {
        for (let i = 0; i < 1024; i++) {
          const slot = slots[i] as number;
          const split = topKThreshold(scores, n, policy.k, buffers);
          const top = slot <= policy.k;
          sink += memberAt(buffers.keys, n, split, top ? slot : slot - policy.k, top);
        }
      }),
    );
    baselineRates.push(
      rate(0.2, 1024, () => {
        for (let i = 0; i < 1024; i++) {
          const slot = slots[i] as number;
          const split = quickselectTopK(scores, n, policy.k, work);
          const top = slot <= policy.k;
          const chosen = quickselectMemberAt(scores, n, split, top ? slot : slot - policy.k, top);
          sink += quickselectRank(scores, chosen, n);
        }
      }),
    );
    const kStart = process.hrtime.bigint();
    sink += chooseK(10_000, 1);
    kTimes.push(Number(process.hrtime.bigint() - kStart) / 1e6);
    if (sink < 0) progress('unreachable');
    progress(
      `run ${run + 1}/${runs}: ${Math.round(decisionRates.at(-1) ?? 0)} full decisions/s (1,000 eligible offers), ${Math.round(modelRates.at(-1) ?? 0)}/s with the item model (affinity miss ${(missMicros.at(-1) ?? 0).toFixed(1)} µs); top-k ${Math.round(selectionRates.at(-1) ?? 0)}/s constant-work vs ${Math.round(baselineRates.at(-1) ?? 0)}/s quickselect; k for 10k offers in ${(kTimes.at(-1) ?? 0).toFixed(3)} ms`,
    );
  }
  const selections = median(selectionRates);
  const baseline = median(baselineRates);
  return {
    decisionsPerSec: Math.round(median(decisionRates)),
    decisionsPerSecWithModel: Math.round(median(modelRates)),
    affinityMicros: Number(median(missMicros).toFixed(2)),
    selectionsPerSec: Math.round(selections),
    baselineSelectionsPerSec: Math.round(baseline),
    selectionSpeedRatio: Number((selections / baseline).toFixed(3)),
    kComputeMs10k: Number(median(kTimes).toFixed(3)),
  };
}
