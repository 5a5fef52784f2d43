import { AppError } from '../../errors.ts';
import { addRational, compareRational, rational, rationalToNumberUp, type Rational } from '../../privacy/rational.ts';
import type { ItemStatistic, StatisticMetric } from './statistics.ts';

/**
 * Pooling at HQ (pure post-processing of releases): the sum of the stores' raw noisy integers for
 * one period, with its exact noise variance Σ σ²_s (independent noise adds variances). The signal
 * grows with the number of stores K, the noise standard deviation only with √K — that is why a
 * chain sees item–item structure that one store cannot (docs/recommender.md §4).
 */

export interface PooledStatistic {
  readonly metric: StatisticMetric;
  readonly layout: 'cells' | 'upper-triangle';
  readonly items: readonly string[];
  /** Σ of the stores' noisy integers (exact: every partial sum is a safe integer, checked). */
  readonly values: Float64Array;
  readonly granularity: Rational;
  /** Σ σ²_s in integer units: an upper bound on each value's noise variance (the discrete Gaussian's is ≤ σ²). */
  readonly variance: Rational;
  /** Number of releases summed. */
  readonly stores: number;
  /** Σ ρ_s: not a cost (stores hold different shoppers), recorded for provenance. */
  readonly rhoPerStore: readonly Rational[];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function poolStatistics(statistics: readonly ItemStatistic[]): PooledStatistic {
  const first = statistics[0];
  if (first === undefined)
    throw new AppError('RECO_STATS_MISMATCH', 'no statistics to pool, expected at least one release');
  const values = new Float64Array(first.values.length);
  let variance = rational(0n);
  statistics.forEach((s, k) => {
    if (s.metric !== first.metric || s.layout !== first.layout) {
      throw new AppError(
        'RECO_STATS_MISMATCH',
        `release ${k} is ${s.metric}/${s.layout}, expected ${first.metric}/${first.layout} like release 0`,
      );
    }
    if (compareRational(s.granularity, first.granularity) !== 0) {
      throw new AppError('RECO_STATS_MISMATCH', `release ${k} has another granularity than release 0`);
    }
    if (!sameList(s.items, first.items)) {
      throw new AppError(
        'RECO_STATS_MISMATCH',
        `release ${k} describes ${s.items.length} items that differ from release 0's ${first.items.length}: stores must release over the same public list`,
      );
    }
    if (s.values.length !== values.length) {
      throw new AppError(
        'RECO_STATS_MISMATCH',
        `release ${k} has ${s.values.length} values, expected ${values.length}`,
      );
    }
    for (let i = 0; i < values.length; i++) {
      const sum = (values[i] as number) + (s.values[i] as number);
      if (!Number.isSafeInteger(sum))
        throw new AppError('RECO_STATS_MISMATCH', `pooled value ${i} leaves the safe integers`);
      values[i] = sum;
    }
    variance = addRational(variance, s.sigmaSquared);
  });
  return {
    metric: first.metric,
    layout: first.layout,
    items: first.items,
    values,
    granularity: first.granularity,
    variance,
    stores: statistics.length,
    rhoPerStore: statistics.map((s) => s.rho),
  };
}

/** The pooled noise standard deviation in integer units (rounded up). */
export function pooledSigma(pooled: PooledStatistic): number {
  return Math.sqrt(rationalToNumberUp(pooled.variance));
}

export interface ItemListChoice {
  /** The public item list for round 2 (catalog order among equal supports), or empty. */
  readonly items: readonly string[];
  /** What round 2 releases: the covariance over `items`, or (too few items) a second supports release. */
  readonly second: 'itemCovariance' | 'itemSupport';
  /** The minimum pooled support (integer units) an item needed. */
  readonly threshold: number;
}

export interface ItemListOptions {
  /** An item enters the list if its pooled noisy support is at least minSupportZ × the pooled noise σ. */
  readonly minSupportZ: number;
  readonly maxItems: number;
  /** Fewer qualifying items than this: round 2 is a second supports release instead of a covariance. */
  readonly minItems: number;
}

/**
 * Minimum support (post-processing of released supports, so the list is public): the items whose
 * pooled noisy support clears z·σ, most supported first, at most maxItems. A covariance over items
 * whose support is lost in the noise only adds noise dimensions (the noise edge grows as √N).
 */
export function chooseItemList(supports: PooledStatistic, options: ItemListOptions): ItemListChoice {
  if (supports.metric !== 'itemSupport') {
    throw new AppError('RECO_STATS_MISMATCH', `the item list is chosen from itemSupport, got ${supports.metric}`);
  }
  const threshold = options.minSupportZ * pooledSigma(supports);
  const candidates: number[] = [];
  supports.values.forEach((v, i) => {
    if (v >= threshold) candidates.push(i);
  });
  candidates.sort((a, b) => (supports.values[b] as number) - (supports.values[a] as number) || a - b);
  const chosen = candidates.slice(0, options.maxItems).map((i) => supports.items[i] as string);
  if (chosen.length < options.minItems) return { items: [], second: 'itemSupport', threshold };
  return { items: chosen, second: 'itemCovariance', threshold };
}

function restrict(stat: ItemStatistic, keep: readonly string[]): ItemStatistic {
  if (keep.length === stat.items.length && keep.every((c, i) => c === stat.items[i])) return stat;
  const at = new Map(stat.items.map((c, i) => [c, i]));
  const pick = keep.map((c) => at.get(c) as number);
  let values: number[];
  if (stat.layout === 'cells') values = pick.map((i) => stat.values[i] as number);
  else {
    const n = stat.items.length;
    values = [];
    for (let a = 0; a < pick.length; a++) {
      for (let b = a; b < pick.length; b++) {
        const [i, j] = [Math.min(pick[a] as number, pick[b] as number), Math.max(pick[a] as number, pick[b] as number)];
        values.push(stat.values[i * n - (i * (i - 1)) / 2 + (j - i)] as number);
      }
    }
  }
  return { ...stat, items: keep, values, sensitivity: { ...stat.sensitivity, l0: values.length } };
}

/**
 * Stores' releases of one metric over lists that may differ (a store's own catalog file, or a
 * covariance list a store chose from its own supports): each restricted, by item name, to the
 * items every release describes, in the first release's order — so `poolStatistics` sums the
 * same cells. Restricting drops values (post-processing): the noise per value is unchanged, so
 * the pooled variance stays uniform, which the cleaning's noise edge needs (docs/recommender.md §4).
 */
export function alignStatistics(statistics: readonly ItemStatistic[], within?: ReadonlySet<string>): ItemStatistic[] {
  const first = statistics[0];
  if (first === undefined) return [];
  const shared = new Map(first.items.map((c) => [c, 1]));
  for (const s of statistics.slice(1)) {
    if (s.metric !== first.metric || s.layout !== first.layout)
      throw new AppError('RECO_STATS_MISMATCH', `cannot align ${s.metric} with ${first.metric}`);
    for (const c of s.items) if (shared.has(c)) shared.set(c, (shared.get(c) as number) + 1);
  }
  const keep = first.items.filter((c) => shared.get(c) === statistics.length && (within?.has(c) ?? true));
  return statistics.map((s) => restrict(s, keep));
}
