import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { buildCatalogIndex, withPopularity, type CatalogOffer } from '../../hub/offers/core/catalog.ts';
import { decideOffer, type DecisionConfig, type DecisionInput } from '../../hub/offers/core/decide.ts';
import { makeLocalClock } from '../../hub/offers/core/local-time.ts';
import { PolicyCache } from '../../hub/offers/core/policy-cache.ts';
import { RankingScratch, type Purchase } from '../../hub/offers/core/ranking.ts';
import { chooseK } from '../../hub/offers/core/threshold-sampler.ts';
import { median } from './stats.ts';

/**
 * Offers benchmark (issue 7 targets: ≥ 100,000 decisions/s with 1,000 eligible offers; k for
 * 10,000 offers in ≤ 5 ms).
 *
 * decisionsPerSec: FULL decisions through the production decision function (decideOffer) on
 * the pooled crypto source — eligibility (zone, validity) of 1,000 offers, ε of the classes,
 * the guards (consent, pause, quiet hours in a real time zone, caps, budget), the shopper's
 * private ranking (declared preferences, 40 purchases minus 2 exclusions, retention boost,
 * dismissed offers, a DP popularity prior), the top-k selection and one exact threshold draw.
 * No holdout, so every decision takes the personalised (slower) path.
 * kComputeMs10k: chooseK(10,000, ε = 1) on the linear payoff curve, uncached.
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
      activity: {
        shownToday: 0,
        shownThisVisit: 0,
        lastShownMs: null,
        spent: { todayMicro: 500_000, windowMicro: 4_000_000 },
      },
    },
  };
  const config: DecisionConfig = {
    budget: { dailyMicro: 2_000_000, thirtyDayMicro: 20_000_000 },
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

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const rng = new CryptoRandomSource();
  const { input, config } = decisionFixture();
  const first = decideOffer(input, rng, config);
  if (first.kind !== 'shown' || first.arm !== 'personalised' || first.eligible !== 1000)
    throw new Error(`benchmark fixture did not decide a personalised offer among 1000: ${JSON.stringify(first)}`);
  const decisionRates: number[] = [];
  const kTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    let decisions = 0;
    let sink = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 0.5) {
      for (let i = 0; i < 1000; i++) {
        const d = decideOffer(input, rng, config);
        if (d.kind === 'shown') sink += d.rank ?? 0;
      }
      decisions += 1000;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    decisionRates.push(decisions / elapsed);
    const kStart = process.hrtime.bigint();
    sink += chooseK(10_000, 1);
    kTimes.push(Number(process.hrtime.bigint() - kStart) / 1e6);
    if (sink < 0) progress('unreachable');
    progress(
      `run ${run + 1}/${runs}: ${Math.round(decisionRates.at(-1) ?? 0)} full decisions/s (1,000 eligible offers), k for 10k offers in ${(kTimes.at(-1) ?? 0).toFixed(3)} ms`,
    );
  }
  return { decisionsPerSec: Math.round(median(decisionRates)), kComputeMs10k: Number(median(kTimes).toFixed(3)) };
}
