import { createHash } from 'node:crypto';
import { normaliseSize, type CatalogIndex, type Eligibility } from './core/catalog.ts';
import { RANKING_WEIGHTS, usablePurchases, type OfferAffinity, type ShopperSignals } from './core/ranking.ts';
import type { ThresholdPolicy } from './core/threshold-sampler.ts';

/**
 * The keys of a sticky draw (docs/shopper-api.md#sticky-draws): a draw is the slot the threshold
 * sampler took for (shopper, budget period, ranking version, eligible set). Equal keys mean the
 * same ranking of the same offers under the same public policy, so the stored slot maps to the
 * same offer and showing it again is post-processing of what was already shown.
 *
 * - rankingVersion: SHA-256 of everything the ranking reads — the ranking's model and weights,
 *   the shopper's declared preferences, their purchases minus exclusions (category and brand:
 *   what the ranking uses of them), their dismissed and redeemed offers, and the content of the
 *   eligible offers as the ranking reads it (category, brand, sizes, popularity prior).
 * - eligibleSet: SHA-256 of the eligible offers (ids, catalog order) and the public policy for
 *   them (n, k, a, b): a slot means something only under the policy it was drawn with.
 *
 * Both are hex digests; neither says anything a shopper's audit trail would need to hide, but the
 * draws table is not exported either (docs/shopper-api.md#get-v1meexport).
 */

/** Changes when the ranking computes something else from the same inputs (e.g. the key grid). */
export const RANKING_MODEL = 'hushpoint-ranking/2 (keys on a 2^-11 grid)';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const sortedUnique = (values: readonly string[]): string[] => [...new Set(values)].sort();

/** The eligible offers' content as the ranking reads it, memoised per eligibility (public data). */
const catalogDigests = new WeakMap<Eligibility, string>();

function catalogDigest(catalog: CatalogIndex, zone: Eligibility): string {
  let digest = catalogDigests.get(zone);
  if (digest === undefined) {
    const offers = Array.from(zone.eligible, (i, j) => {
      const offer = catalog.offers[i];
      return [
        offer?.id,
        offer?.category,
        offer?.brand ?? null,
        sortedUnique((offer?.sizes ?? []).map(normaliseSize)),
        zone.popularity[j],
        // Only offers that name items add them, so digests without items are what they were.
        ...(offer?.items !== undefined ? [sortedUnique(offer.items)] : []),
      ];
    });
    digest = sha256(JSON.stringify(offers));
    catalogDigests.set(zone, digest);
  }
  return digest;
}

export function rankingVersion(
  signals: ShopperSignals,
  catalog: CatalogIndex,
  zone: Eligibility,
  affinity: OfferAffinity | null = null,
): string {
  const purchases = usablePurchases(signals.purchases, signals.exclusions)
    .map((p) => JSON.stringify([p.category, p.brand]))
    .sort();
  return sha256(
    JSON.stringify({
      model: RANKING_MODEL,
      weights: RANKING_WEIGHTS,
      preferences: {
        categories: sortedUnique(signals.preferences.categories),
        brands: sortedUnique(signals.preferences.brands),
        sizes: sortedUnique(signals.preferences.sizes),
      },
      purchases,
      dismissed: sortedUnique(signals.dismissedOfferIds),
      redeemed: sortedUnique(signals.redeemedOfferIds),
      offers: catalogDigest(catalog, zone),
      // The item model (when it weighs in): its id, weight and the items it reads of the shopper.
      ...(affinity !== null && affinity.weight > 0
        ? {
            affinity: {
              model: affinity.modelId,
              weight: affinity.weight,
              items: usablePurchases(signals.purchases, signals.exclusions)
                .map((p) => p.sku ?? p.category)
                .sort(),
            },
          }
        : {}),
    }),
  );
}

const eligibleDigests = new WeakMap<Eligibility, { policy: ThresholdPolicy; digest: string }>();

export function eligibleSetDigest(catalog: CatalogIndex, zone: Eligibility, policy: ThresholdPolicy): string {
  const cached = eligibleDigests.get(zone);
  if (cached !== undefined && cached.policy === policy) return cached.digest;
  const ids = Array.from(zone.eligible, (i) => catalog.offers[i]?.id);
  const digest = sha256(JSON.stringify({ ids, n: policy.n, k: policy.k, a: policy.a, b: policy.b }));
  eligibleDigests.set(zone, { policy, digest });
  return digest;
}
