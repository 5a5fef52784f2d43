import { alignEligible, normaliseBrand, normaliseSize, type CatalogIndex, type Eligibility } from './catalog.ts';

/**
 * The shopper's private ranking of the eligible offers (docs/shopper-api.md), pure. It uses ONLY:
 * - the shopper's declared preferences (categories, brands, sizes),
 * - their own purchase history minus what they excluded (e.g. a gift: by purchase or by item),
 *   with a retention boost for brands they already bought,
 * - their own feedback on earlier offers (dismissed offers sink, redeemed ones sink a little),
 * - released DP aggregates (a popularity prior in the catalog index: public, post-processed).
 * Never another shopper's raw data. The ranking is the private input of the threshold sampler;
 * the sampler's ε-LDP guarantee holds for ANY ranking, so the weights below are a product
 * choice, not a privacy parameter.
 *
 * Order: the score's key first (scoreKey: the score on a fixed grid of 2^-11, as a 16-bit
 * integer), higher first; equal keys by catalog position (public), so the order is total and
 * deterministic. The top-k selection on the decision path does a fixed amount of work for a given
 * (n, k), whatever the scores (topKThreshold, memberAt; docs/shopper-api.md#constant-work-selection).
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
export type DataCategory =
  'presence' | 'declared-preferences' | 'purchase-history' | 'offer-feedback' | 'dp-aggregates';

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

/**
 * Keys are scores on a grid of 2^-11 over [KEY_LOW, KEY_LOW + 32): 16-bit integers, two radix
 * passes. The weights are multiples of 0.1, so scores that differ in anything but the popularity
 * prior differ by ≥ 0.1 and never share a key; priors closer than 1/1000 may tie (catalog order).
 */
const KEY_LOW = -16;
const KEY_SCALE = 2 ** 11;
const KEY_MAX = (1 << 16) - 1;
const RADIX = 256;

/** The largest weight of the item model's affinity (hub config recommend.offerWeight × γ ≤ this). */
export const AFFINITY_WEIGHT_MAX = 4;

/**
 * The item model's affinity for one shopper (docs/recommender.md §6, hub/recommend): per catalog
 * offer, the model's score of the items the offer covers given the shopper's own purchases minus
 * excluded ones, relative to their best item, in [0, 1]; and its weight, the configured weight
 * times the model's reliability γ — 0 when the model is noise, and then the ranking is exactly
 * the one without a model. Post-processing of a released DP model and the shopper's own data: it
 * spends no budget (the threshold sampler, which charges, protects whatever ranking it is given).
 */
export interface OfferAffinity {
  /** Per catalog offer (index order), in [0, 1]. */
  readonly scores: Float64Array;
  /** In [0, AFFINITY_WEIGHT_MAX]. */
  readonly weight: number;
  /** The model it comes from (part of the ranking version). */
  readonly modelId: string;
}

/** Computes (or recalls) a shopper's affinity for the catalog's offers; null without a usable model. */
export type OfferAffinitySource = (
  shopperPk: number,
  signals: ShopperSignals,
  catalog: CatalogIndex,
) => OfferAffinity | null;

/** The lowest and highest score RANKING_WEIGHTS allow (every score lies in [min, max]). */
export const SCORE_BOUNDS = {
  min: Math.min(0, RANKING_WEIGHTS.sizeMismatch) + Math.min(RANKING_WEIGHTS.dismissed, RANKING_WEIGHTS.redeemed),
  max:
    RANKING_WEIGHTS.declaredCategory +
    RANKING_WEIGHTS.categoryPurchase * RANKING_WEIGHTS.categoryPurchasesMax +
    RANKING_WEIGHTS.declaredBrand +
    RANKING_WEIGHTS.retentionBrand +
    Math.max(0, RANKING_WEIGHTS.sizeMatch) +
    RANKING_WEIGHTS.popularity +
    AFFINITY_WEIGHT_MAX,
} as const;

/** The range of scores scoreKey maps one-to-one onto the grid (SCORE_BOUNDS lies inside it; tested). */
export const KEY_RANGE = { min: KEY_LOW, max: KEY_LOW + (KEY_MAX + 1) / KEY_SCALE } as const;

/**
 * Reusable buffers for decisions (typed arrays of a few KiB cost a malloc each when allocated
 * per call): the caller owns one per thread and passes it to compileProfile / scoreEligible.
 * A profile compiled with a scratch is valid until the next use of that scratch.
 */
export class RankingScratch {
  categoryWeight = new Float64Array(0);
  brandWeight = new Float64Array(0);
  sizes = new Uint8Array(0);
  scores = new Float64Array(0);
  keys = new Int32Array(0);
  counts = new Int32Array(RADIX);

  /** Zeroed weight buffers for `catalog`, grown (doubling) as needed. */
  weights(catalog: CatalogIndex): { categoryWeight: Float64Array; brandWeight: Float64Array } {
    const c = catalog.categoryIds.size;
    const b = catalog.brandCount + 1;
    if (this.categoryWeight.length < c)
      this.categoryWeight = new Float64Array(Math.max(c, this.categoryWeight.length * 2));
    if (this.brandWeight.length < b) this.brandWeight = new Float64Array(Math.max(b, this.brandWeight.length * 2));
    this.categoryWeight.fill(0, 0, c);
    this.brandWeight.fill(0, 0, b);
    return { categoryWeight: this.categoryWeight, brandWeight: this.brandWeight };
  }

  perCategory = new Int32Array(0);
  bought = new Uint8Array(0);

  /** Zeroed purchase counters per category and brand. */
  counters(catalog: CatalogIndex): { perCategory: Int32Array; bought: Uint8Array } {
    const c = catalog.categoryIds.size;
    const b = catalog.brandCount + 1;
    if (this.perCategory.length < c) this.perCategory = new Int32Array(Math.max(c, this.perCategory.length * 2));
    if (this.bought.length < b) this.bought = new Uint8Array(Math.max(b, this.bought.length * 2));
    this.perCategory.fill(0, 0, c);
    this.bought.fill(0, 0, b);
    return { perCategory: this.perCategory, bought: this.bought };
  }

  sizeFlags(catalog: CatalogIndex): Uint8Array {
    const n = catalog.sizeIds.size;
    if (this.sizes.length < n) this.sizes = new Uint8Array(Math.max(n, this.sizes.length * 2));
    this.sizes.fill(0, 0, n);
    return this.sizes;
  }

  /** Score and key buffers of at least n entries and the radix counters (contents undefined). */
  forOffers(n: number): { scores: Float64Array } & SelectionBuffers {
    if (this.scores.length < n) {
      const size = Math.max(n, this.scores.length * 2);
      this.scores = new Float64Array(size);
      this.keys = new Int32Array(size);
    }
    return { scores: this.scores, keys: this.keys, counts: this.counts };
  }
}

export interface CompiledProfile {
  readonly categoryWeight: Float64Array;
  readonly brandWeight: Float64Array;
  /** Per catalog size id: 1 when the shopper declared that size; null when no size is declared. */
  readonly sizes: Uint8Array | null;
  /** Per-offer adjustments (feedback on earlier offers): catalog indices ascending, and their score deltas. */
  readonly adjustOffers: readonly number[];
  readonly adjustDeltas: readonly number[];
  readonly usePopularity: boolean;
  /** The item model's affinity per catalog offer, and its weight (null / 0: not used). */
  readonly affinity: Float64Array | null;
  readonly affinityWeight: number;
  /** The data categories this profile actually draws on (for the audit trail). */
  readonly dataCategories: readonly DataCategory[];
}

/** A test for excluded purchases (by purchase id, or by item SKU), or null when nothing is excluded. */
function exclusionTest(exclusions: readonly Exclusion[]): ((p: Purchase) => boolean) | null {
  if (exclusions.length === 0) return null;
  const ids = new Set<string>();
  const skus = new Set<string>();
  for (const e of exclusions) {
    if (e.purchaseId !== null) ids.add(e.purchaseId);
    if (e.sku !== null) skus.add(e.sku);
  }
  return (p) => ids.has(p.id) || (p.sku !== null && skus.has(p.sku));
}

/** The purchases the ranking may use: the history minus excluded purchases and items. */
export function usablePurchases(purchases: readonly Purchase[], exclusions: readonly Exclusion[]): Purchase[] {
  const excluded = exclusionTest(exclusions);
  return excluded === null ? [...purchases] : purchases.filter((p) => !excluded(p));
}

/** The catalog's id of a brand: its exact spelling first, then trimmed and lowercase. */
function brandId(catalog: CatalogIndex, brand: string): number | undefined {
  return catalog.brandIds.get(brand) ?? catalog.brandIds.get(normaliseBrand(brand));
}

export function compileProfile(
  signals: ShopperSignals,
  catalog: CatalogIndex,
  scratch?: RankingScratch,
  affinity?: OfferAffinity | null,
): CompiledProfile {
  const w = RANKING_WEIGHTS;
  const { categoryWeight, brandWeight } = scratch?.weights(catalog) ?? {
    categoryWeight: new Float64Array(catalog.categoryIds.size),
    brandWeight: new Float64Array(catalog.brandCount + 1),
  };
  const categories: DataCategory[] = ['presence'];
  const { preferences } = signals;
  if (preferences.categories.length + preferences.brands.length + preferences.sizes.length > 0)
    categories.push('declared-preferences');
  // Declared first, into zeroed arrays: a name declared twice counts once.
  for (const name of preferences.categories) {
    const c = catalog.categoryIds.get(name);
    if (c !== undefined) categoryWeight[c] = w.declaredCategory;
  }
  for (const name of preferences.brands) {
    const b = brandId(catalog, name);
    if (b !== undefined) brandWeight[b] = w.declaredBrand;
  }
  const excluded = exclusionTest(signals.exclusions);
  let usable = 0;
  for (const p of signals.purchases) if (excluded === null || !excluded(p)) usable++;
  if (usable > 0) {
    categories.push('purchase-history');
    const { perCategory, bought } = scratch?.counters(catalog) ?? {
      perCategory: new Int32Array(catalog.categoryIds.size),
      bought: new Uint8Array(catalog.brandCount + 1),
    };
    for (const p of signals.purchases) {
      if (excluded !== null && excluded(p)) continue;
      const c = catalog.categoryIds.get(p.category);
      if (c !== undefined) perCategory[c] = (perCategory[c] as number) + 1;
      if (p.brand !== null) {
        const b = brandId(catalog, p.brand);
        if (b !== undefined) bought[b] = 1;
      }
    }
    for (let c = 0; c < catalog.categoryIds.size; c++) {
      const count = perCategory[c] as number;
      if (count > 0)
        categoryWeight[c] =
          (categoryWeight[c] as number) + w.categoryPurchase * Math.min(count, w.categoryPurchasesMax);
    }
    for (let b = 0; b < catalog.brandCount; b++)
      if (bought[b] === 1) brandWeight[b] = (brandWeight[b] as number) + w.retentionBrand;
  }
  // Feedback on earlier offers (a dismissal wins over a redemption of the same offer).
  const adjust: Array<[number, number]> = [];
  for (const [ids, delta] of [
    [signals.redeemedOfferIds, w.redeemed],
    [signals.dismissedOfferIds, w.dismissed],
  ] as const) {
    for (const id of ids) {
      const i = catalog.indexOf.get(id);
      if (i === undefined) continue;
      const existing = adjust.find((a) => a[0] === i);
      if (existing !== undefined) existing[1] = delta;
      else adjust.push([i, delta]);
    }
  }
  adjust.sort((x, y) => x[0] - y[0]);
  if (signals.dismissedOfferIds.length + signals.redeemedOfferIds.length > 0) categories.push('offer-feedback');
  const usePopularity = catalog.popularity !== null;
  const affinityWeight =
    affinity !== undefined && affinity !== null && affinity.scores.length === catalog.offers.length
      ? Math.min(Math.max(affinity.weight, 0), AFFINITY_WEIGHT_MAX)
      : 0;
  if (usePopularity || affinityWeight > 0) categories.push('dp-aggregates');
  if (affinityWeight > 0 && usable > 0 && !categories.includes('purchase-history')) categories.push('purchase-history');
  let sizes: Uint8Array | null = null;
  if (preferences.sizes.length > 0) {
    sizes = scratch?.sizeFlags(catalog) ?? new Uint8Array(catalog.sizeIds.size);
    for (const size of preferences.sizes) {
      const id = catalog.sizeIds.get(size) ?? catalog.sizeIds.get(normaliseSize(size));
      if (id !== undefined) sizes[id] = 1;
    }
  }
  return {
    categoryWeight,
    brandWeight,
    sizes,
    adjustOffers: adjust.map((a) => a[0]),
    adjustDeltas: adjust.map((a) => a[1]),
    usePopularity,
    affinity: affinityWeight > 0 ? (affinity as OfferAffinity).scores : null,
    affinityWeight,
    dataCategories: categories,
  };
}

/**
 * Scores of the eligible offers, aligned with them, written to `scores[0..n)`. `eligible` is
 * catalog indices (ascending), or an Eligibility whose per-offer arrays are already gathered.
 */
export function scoreEligible(
  profile: CompiledProfile,
  catalog: CatalogIndex,
  eligible: Int32Array | Eligibility,
  scores?: Float64Array,
): Float64Array {
  const e = eligible instanceof Int32Array ? alignEligible(catalog, eligible) : eligible;
  const n = e.eligible.length;
  const out = scores ?? new Float64Array(n);
  const { categoryWeight, brandWeight } = profile;
  const cat = e.category;
  const brand = e.brand;
  const popularity = e.popularity;
  const wp = profile.usePopularity ? RANKING_WEIGHTS.popularity : 0;
  const declared = profile.sizes;
  if (declared === null) {
    for (let j = 0; j < n; j++) {
      out[j] =
        (categoryWeight[cat[j] as number] as number) +
        (brandWeight[brand[j] as number] as number) +
        wp * (popularity[j] as number);
    }
  } else if (e.sizeMask !== null) {
    // Sizes as bit masks: a match, a mismatch (the offer has sizes, none declared), or no sizes.
    const mask = e.sizeMask;
    let declaredMask = 0;
    for (let id = 0; id < catalog.sizeIds.size; id++) if (declared[id] === 1) declaredMask |= 1 << id;
    const hit = RANKING_WEIGHTS.sizeMatch;
    const miss = RANKING_WEIGHTS.sizeMismatch;
    for (let j = 0; j < n; j++) {
      const m = mask[j] as number;
      out[j] =
        (categoryWeight[cat[j] as number] as number) +
        (brandWeight[brand[j] as number] as number) +
        wp * (popularity[j] as number) +
        (m === 0 ? 0 : (m & declaredMask) !== 0 ? hit : miss);
    }
  } else {
    const { sizeStart, sizeList } = catalog;
    for (let j = 0; j < n; j++) {
      const i = e.eligible[j] as number;
      let s =
        (categoryWeight[cat[j] as number] as number) +
        (brandWeight[brand[j] as number] as number) +
        wp * (popularity[j] as number);
      const from = sizeStart[i] as number;
      const to = sizeStart[i + 1] as number;
      if (from !== to) {
        let match = false;
        for (let x = from; x < to && !match; x++) match = declared[sizeList[x] as number] === 1;
        s += match ? RANKING_WEIGHTS.sizeMatch : RANKING_WEIGHTS.sizeMismatch;
      }
      out[j] = s;
    }
  }
  // The item model's affinity (an offer naming no item the model knows has 0).
  const affinity = profile.affinity;
  if (affinity !== null) {
    const wa = profile.affinityWeight;
    const ids = e.eligible;
    for (let j = 0; j < n; j++) out[j] = (out[j] as number) + wa * (affinity[ids[j] as number] as number);
  }
  // Feedback: find each adjusted offer among the eligible ones (ascending) by binary search.
  const { adjustOffers, adjustDeltas } = profile;
  const ids = e.eligible;
  for (let a = 0; a < adjustOffers.length; a++) {
    const target = adjustOffers[a] as number;
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid] as number;
      if (v === target) {
        out[mid] = (out[mid] as number) + (adjustDeltas[a] as number);
        break;
      }
      if (v < target) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Constant-work top-k (docs/shopper-api.md#constant-work-selection). The shopper's top k is the
// secret the threshold sampler protects, so the time to find it must not depend on the scores:
// every loop below runs a number of times fixed by (n, k) alone and has no branch and no early
// exit on data; comparisons are integer arithmetic on sign bits. (The radix counters are indexed
// by a key's digit: 256 counters, 1 KiB, stay in the L1 cache.)

/**
 * The order-preserving integer key of a score in KEY_RANGE: ⌊(s + 16)·2^11⌋ in [0, 2^16). Non-
 * decreasing in s (floating-point addition and ⌊·⌋ are monotone), so it keeps the ranking's
 * order; scores closer than 2^-11 may share a key (then catalog order decides). Clamped
 * branch-free to [0, 2^16) for scores within ±2^19 (only matters outside KEY_RANGE, where no
 * score lies: SCORE_BOUNDS); NaN gets key 0.
 */
export function scoreKey(score: number): number {
  let x = ((score - KEY_LOW) * KEY_SCALE) | 0; // exact below 2^31 / 2^11 = 2^20 in magnitude
  x &= ~(x >> 31); // max(x, 0)
  const over = x - KEY_MAX;
  return x - (over & ~(over >> 31)); // min(x, KEY_MAX)
}

export interface SelectionBuffers {
  /** At least n entries: the keys of the scores (written by topKThreshold, read by memberAt). */
  readonly keys: Int32Array;
  /** RADIX (256) counters. */
  readonly counts: Int32Array;
}

/**
 * The shopper's top k as a threshold on the keys: position x is in the top group iff its key is
 * above `threshold`, or equal to it and among the first `ties` such positions (catalog order).
 * The same set as the first k of the full order (key, then position).
 */
export interface TopK {
  readonly threshold: number;
  readonly ties: number;
}

/**
 * The top k of `scores[0..n)` (1 ≤ k ≤ n) by a radix select over the 16-bit keys: two passes
 * of 8 bits, most significant first. Each pass counts, among the keys that share the digits
 * chosen so far, how many have each value of the next digit; a scan of all 256 counters from the
 * top finds the digit holding the k-th largest key and how many keys lie strictly above it.
 * Fixed work for (n, k): n key conversions, 2·n counting steps, 2·256 scan steps, 2·256 resets.
 */
export function topKThreshold(scores: Float64Array, n: number, k: number, buffers: SelectionBuffers): TopK {
  const { keys, counts } = buffers;
  for (let d = 0; d < RADIX; d++) counts[d] = 0;
  for (let i = 0; i < n; i++) {
    const key = scoreKey(scores[i] as number);
    keys[i] = key;
    counts[key >>> 8] = (counts[key >>> 8] as number) + 1;
  }
  let prefix = 0;
  let mask = 0;
  let remaining = k;
  let above = 0;
  for (let shift = 8; shift >= 0; shift -= 8) {
    if (shift < 8) {
      // Count the next digit of the keys whose higher digits equal the prefix (z = 0 ⇔ match).
      for (let d = 0; d < RADIX; d++) counts[d] = 0;
      for (let i = 0; i < n; i++) {
        const key = keys[i] as number;
        const z = (key ^ prefix) & mask;
        const digit = (key >>> shift) & 255;
        counts[digit] = (counts[digit] as number) + (((z | -z) >>> 31) ^ 1);
      }
    }
    // From the top digit down: the first digit whose running count reaches `remaining`.
    let acc = 0;
    let chosen = 0;
    let found = 0;
    let before = 0;
    for (let d = RADIX - 1; d >= 0; d--) {
      const next = acc + (counts[d] as number);
      const hit = ((remaining - 1 - next) >>> 31) & (found ^ 1);
      chosen |= d & -hit;
      before += acc & -hit;
      found |= hit;
      acc = next;
    }
    remaining -= before;
    above += before;
    prefix |= chosen << shift;
    mask |= 255 << shift;
  }
  return { threshold: prefix, ties: k - above };
}

/**
 * The position in the slot-th place (1-based) of the top group (`top`) or of the others, each
 * group in catalog order, from the keys topKThreshold wrote; −1 when the group has fewer members.
 * One pass over all n positions whatever the slot, no early exit: the position sought is the
 * number of positions before which fewer than `slot` group members have been seen.
 */
export function memberAt(keys: Int32Array, n: number, split: TopK, slot: number, top: boolean): number {
  const other = top ? 0 : 1;
  const threshold = split.threshold;
  const ties = split.ties;
  let tiesSeen = 0;
  let members = 0;
  let position = 0;
  for (let x = 0; x < n; x++) {
    const key = keys[x] as number;
    const greater = (threshold - key) >>> 31; // keys < 2^16: the difference never overflows
    const z = key ^ threshold;
    const equal = ((z | -z) >>> 31) ^ 1;
    const inTop = greater | (equal & ((tiesSeen - ties) >>> 31));
    tiesSeen += equal;
    members += inTop ^ other;
    position += (members - slot) >>> 31; // 1 while fewer than `slot` members are seen
  }
  // position = n when the group has fewer than `slot` members: then −1 (public: slot and the group's size).
  const w = position ^ n;
  return position - (((w | -w) >>> 31) ^ 1) * (n + 1);
}

/** The full ranking of the eligible offers, best first, as catalog indices (for audits, export and tests). */
export function rankEligible(profile: CompiledProfile, catalog: CatalogIndex, eligible: Int32Array): number[] {
  const scores = scoreEligible(profile, catalog, eligible);
  const keys = Array.from(scores, scoreKey);
  const positions = Array.from({ length: eligible.length }, (_, j) => j);
  positions.sort((x, y) => (keys[y] as number) - (keys[x] as number) || x - y);
  return positions.map((j) => eligible[j] as number);
}
