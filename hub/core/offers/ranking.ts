import { normaliseBrand, type CatalogIndex } from './catalog.ts';

/**
 * The shopper's private ranking of the eligible offers (DESIGN §8), pure. It uses ONLY:
 * - the shopper's declared preferences (categories, brands, sizes),
 * - their own purchase history minus what they excluded (e.g. a gift: by purchase or by item),
 *   with a retention boost for brands they already bought,
 * - their own feedback on earlier offers (dismissed offers sink, redeemed ones sink a little),
 * - released DP aggregates (a popularity prior in the catalog index: public, post-processed).
 * Never another shopper's raw data. The ranking is the private input of the threshold sampler;
 * the sampler's ε-LDP guarantee holds for ANY ranking, so the weights below are a product
 * choice, not a privacy parameter.
 *
 * Order: higher score first; equal scores by catalog position (public), so the order is total
 * and deterministic.
 */

export interface Preferences {
  readonly categories: readonly string[];
  readonly brands: readonly string[];
  readonly sizes: readonly string[];
}

export interface Purchase {
  readonly id: string;
  readonly sku: string | null;
  readonly category: string;
  readonly brand: string | null;
  readonly atMs: number;
}

/** An excluded purchase (by its id) or item (by SKU, every purchase of it): never used for ranking. */
export interface Exclusion {
  readonly purchaseId: string | null;
  readonly sku: string | null;
}

export interface ShopperSignals {
  readonly preferences: Preferences;
  readonly purchases: readonly Purchase[];
  readonly exclusions: readonly Exclusion[];
  readonly dismissedOfferIds: readonly string[];
  readonly redeemedOfferIds: readonly string[];
}

/** What a decision may read, named for the shopper's audit trail. */
export type DataCategory = 'presence' | 'declared-preferences' | 'purchase-history' | 'offer-feedback' | 'dp-aggregates';

export const RANKING_WEIGHTS = {
  declaredCategory: 3,
  declaredBrand: 2,
  sizeMatch: 1,
  sizeMismatch: -0.5,
  /** Per purchase in the offer's category, up to categoryPurchasesMax purchases. */
  categoryPurchase: 0.4,
  categoryPurchasesMax: 5,
  /** Retention boost: the shopper already bought this brand. */
  retentionBrand: 1.5,
  /** Times the popularity prior in [0, 1]. */
  popularity: 0.5,
  dismissed: -10,
  redeemed: -2,
} as const;

export interface CompiledProfile {
  readonly categoryWeight: Float64Array;
  readonly brandWeight: Float64Array;
  /** Declared sizes (lowercase), or null when none are declared. */
  readonly sizes: ReadonlySet<string> | null;
  /** Per-offer adjustments (catalog index → score delta): feedback on earlier offers. */
  readonly offerAdjust: ReadonlyMap<number, number>;
  readonly usePopularity: boolean;
  /** The data categories this profile actually draws on (for the audit trail). */
  readonly dataCategories: readonly DataCategory[];
}

/** The purchases the ranking may use: the history minus excluded purchases and items. */
export function usablePurchases(purchases: readonly Purchase[], exclusions: readonly Exclusion[]): Purchase[] {
  if (exclusions.length === 0) return [...purchases];
  const ids = new Set<string>();
  const skus = new Set<string>();
  for (const e of exclusions) {
    if (e.purchaseId !== null) ids.add(e.purchaseId);
    if (e.sku !== null) skus.add(e.sku);
  }
  return purchases.filter((p) => !ids.has(p.id) && (p.sku === null || !skus.has(p.sku)));
}

export function compileProfile(signals: ShopperSignals, catalog: CatalogIndex): CompiledProfile {
  const w = RANKING_WEIGHTS;
  const categoryWeight = new Float64Array(catalog.categoryIds.size);
  const brandWeight = new Float64Array(catalog.brandIds.size);
  const categories: DataCategory[] = ['presence'];
  const { preferences } = signals;
  if (preferences.categories.length + preferences.brands.length + preferences.sizes.length > 0) categories.push('declared-preferences');
  for (const name of new Set(preferences.categories)) {
    const c = catalog.categoryIds.get(name);
    if (c !== undefined) categoryWeight[c] = (categoryWeight[c] as number) + w.declaredCategory;
  }
  for (const name of new Set(preferences.brands.map(normaliseBrand))) {
    const b = catalog.brandIds.get(name);
    if (b !== undefined) brandWeight[b] = (brandWeight[b] as number) + w.declaredBrand;
  }
  const usable = usablePurchases(signals.purchases, signals.exclusions);
  if (usable.length > 0) {
    categories.push('purchase-history');
    const perCategory = new Map<number, number>();
    const boughtBrands = new Set<number>();
    for (const p of usable) {
      const c = catalog.categoryIds.get(p.category);
      if (c !== undefined) perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
      if (p.brand !== null) {
        const b = catalog.brandIds.get(normaliseBrand(p.brand));
        if (b !== undefined) boughtBrands.add(b);
      }
    }
    for (const [c, count] of perCategory) categoryWeight[c] = (categoryWeight[c] as number) + w.categoryPurchase * Math.min(count, w.categoryPurchasesMax);
    for (const b of boughtBrands) brandWeight[b] = (brandWeight[b] as number) + w.retentionBrand;
  }
  const offerAdjust = new Map<number, number>();
  for (const id of signals.redeemedOfferIds) {
    const i = catalog.indexOf.get(id);
    if (i !== undefined) offerAdjust.set(i, w.redeemed);
  }
  for (const id of signals.dismissedOfferIds) {
    const i = catalog.indexOf.get(id);
    if (i !== undefined) offerAdjust.set(i, w.dismissed);
  }
  if (signals.dismissedOfferIds.length + signals.redeemedOfferIds.length > 0) categories.push('offer-feedback');
  const usePopularity = catalog.popularity !== null;
  if (usePopularity) categories.push('dp-aggregates');
  const sizes = preferences.sizes.length > 0 ? new Set(preferences.sizes.map((s) => s.trim().toLowerCase())) : null;
  return { categoryWeight, brandWeight, sizes, offerAdjust, usePopularity, dataCategories: categories };
}

/** Scores of the eligible offers (catalog indices), aligned with `eligible`. */
export function scoreEligible(profile: CompiledProfile, catalog: CatalogIndex, eligible: Int32Array): Float64Array {
  const n = eligible.length;
  const scores = new Float64Array(n);
  const { categoryWeight, brandWeight } = profile;
  const cat = catalog.category;
  const brand = catalog.brand;
  const popularity = profile.usePopularity ? catalog.popularity : null;
  for (let j = 0; j < n; j++) {
    const i = eligible[j] as number;
    const b = brand[i] as number;
    let s = (categoryWeight[cat[i] as number] as number) + (b >= 0 ? (brandWeight[b] as number) : 0);
    if (popularity !== null) s += RANKING_WEIGHTS.popularity * (popularity[i] as number);
    scores[j] = s;
  }
  if (profile.sizes !== null) {
    const declared = profile.sizes;
    for (let j = 0; j < n; j++) {
      const sizes = catalog.offers[eligible[j] as number]?.sizes;
      if (sizes === undefined || sizes.length === 0) continue;
      const match = sizes.some((s) => declared.has(s.trim().toLowerCase()));
      scores[j] = (scores[j] as number) + (match ? RANKING_WEIGHTS.sizeMatch : RANKING_WEIGHTS.sizeMismatch);
    }
  }
  if (profile.offerAdjust.size > 0) {
    for (let j = 0; j < n; j++) {
      const delta = profile.offerAdjust.get(eligible[j] as number);
      if (delta !== undefined) scores[j] = (scores[j] as number) + delta;
    }
  }
  return scores;
}

/** True when position x ranks above position y (higher score; ties by position, i.e. catalog order). */
function better(scores: Float64Array, x: number, y: number): boolean {
  const sx = scores[x] as number;
  const sy = scores[y] as number;
  return sx > sy || (sx === sy && x < y);
}

/**
 * Rearranges `positions` (a permutation of 0..n−1) so that its first k entries are the k
 * best positions (in no particular order): Hoare quickselect with a median-of-three pivot,
 * expected O(n). The order keys are distinct (ties broken by position), so it always ends.
 */
export function selectTopK(scores: Float64Array, positions: Int32Array, k: number): void {
  const t = k - 1;
  let lo = 0;
  let hi = positions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = positions[lo] as number;
    const b = positions[mid] as number;
    const c = positions[hi] as number;
    // median of three by the order
    const pivot = better(scores, a, b) ? (better(scores, b, c) ? b : better(scores, a, c) ? c : a) : better(scores, a, c) ? a : better(scores, b, c) ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (better(scores, positions[i] as number, pivot)) i++;
      while (better(scores, pivot, positions[j] as number)) j--;
      if (i <= j) {
        const tmp = positions[i] as number;
        positions[i] = positions[j] as number;
        positions[j] = tmp;
        i++;
        j--;
      }
    }
    if (t <= j) hi = j;
    else if (t >= i) lo = i;
    else return;
  }
}

/** 1-based rank of position `x` among all positions (1 = the shopper's best). O(n). */
export function rankOfPosition(scores: Float64Array, x: number): number {
  let rank = 1;
  for (let y = 0; y < scores.length; y++) if (y !== x && better(scores, y, x)) rank++;
  return rank;
}

/** The full ranking of the eligible offers, best first, as catalog indices (for audits, export and tests). */
export function rankEligible(profile: CompiledProfile, catalog: CatalogIndex, eligible: Int32Array): number[] {
  const scores = scoreEligible(profile, catalog, eligible);
  const positions = Array.from({ length: eligible.length }, (_, j) => j);
  positions.sort((x, y) => (better(scores, x, y) ? -1 : better(scores, y, x) ? 1 : 0));
  return positions.map((j) => eligible[j] as number);
}
