import { AppError } from '../../errors.ts';
import type { RandomSource } from '../../ports/random.ts';
import { addRational, rational, type Rational } from '../../privacy/rational.ts';
import { splitBudget } from './budget.ts';
import type { ItemCatalog, ShopperHistory } from './histories.ts';
import { buildItemModel, type ItemModel } from './model.ts';
import { chooseItemList, poolStatistics, type ItemListChoice, type PooledStatistic } from './pooling.ts';
import {
  exactItemCovariance,
  exactItemSupports,
  GRANULARITY,
  releaseItemCovariance,
  releaseItemSupports,
  type ItemStatistic,
} from './statistics.ts';

/**
 * The whole DP path for one period, as the hubs and HQ run it (docs/recommender.md §3–§5):
 *
 *   round 1  every store releases itemSupport over the public catalog        (ρ₁ = share·ρ)
 *   HQ       pools them, chooses the public item list (minimum support)
 *   round 2  every store releases itemCovariance over that list               (ρ₂ = ρ − ρ₁)
 *            — or, when too few items clear the minimum support, a second itemSupport
 *   HQ       pools round 2, cleans, builds the model and publishes it
 *
 * Each shopper is in one store, so each shopper's data enters one release per round: the total
 * cost per shopper is ρ₁ + ρ₂ = ρ (zCDP adds; round 2's shape is a function of round 1's released
 * output, which adaptive composition allows). `fitStores` runs the rounds in one process with the
 * same functions the hub (release*) and HQ (poolStatistics, chooseItemList, buildItemModel) call.
 */

export interface FitParameters {
  /** Share of ρ spent on round 1 (the supports). */
  readonly supportsShare: Rational;
  readonly minSupportZ: number;
  readonly minItems: number;
  readonly maxItems: number;
  /** Similarity shrinkage b, in units of the pooled covariance noise σ. */
  readonly shrinkage: number;
}

export const DEFAULT_FIT_PARAMETERS: FitParameters = {
  supportsShare: rational(3n, 10n),
  minSupportZ: 4,
  minItems: 20,
  maxItems: 500,
  shrinkage: 3,
};

export interface StoreShoppers {
  readonly store: string;
  readonly shoppers: readonly ShopperHistory[];
}

export interface FitResult {
  readonly model: ItemModel;
  readonly choice: ItemListChoice;
  /** Per store: its round-1 and round-2 releases (what would go upstream). */
  readonly releases: readonly {
    readonly store: string;
    readonly first: ItemStatistic;
    readonly second: ItemStatistic;
  }[];
  /** The exact ρ each shopper pays at the bound (ρ₁ + ρ₂ as calibrated: ≤ the requested ρ). */
  readonly rho: Rational;
  readonly pooled: { readonly first: PooledStatistic; readonly second: PooledStatistic };
}

export function validateParameters(p: FitParameters): void {
  const problems: string[] = [];
  if (!(p.minSupportZ >= 0 && Number.isFinite(p.minSupportZ)))
    problems.push(`minSupportZ is ${p.minSupportZ}, expected ≥ 0`);
  if (!Number.isSafeInteger(p.maxItems) || p.maxItems < 2 || p.maxItems > 2000)
    problems.push(`maxItems is ${p.maxItems}, expected an integer 2..2000`);
  if (!Number.isSafeInteger(p.minItems) || p.minItems < 2 || p.minItems > p.maxItems)
    problems.push(`minItems is ${p.minItems}, expected an integer 2..maxItems`);
  if (!(p.shrinkage >= 0 && Number.isFinite(p.shrinkage))) problems.push(`shrinkage is ${p.shrinkage}, expected ≥ 0`);
  if (problems.length > 0) throw new AppError('DP_INVALID_PARAMETER', problems.join('; '));
}

export function fitStores(
  stores: readonly StoreShoppers[],
  catalog: ItemCatalog,
  options: { readonly rho: Rational; readonly parameters?: FitParameters },
  rng: RandomSource,
): FitResult {
  const parameters = options.parameters ?? DEFAULT_FIT_PARAMETERS;
  validateParameters(parameters);
  if (stores.length === 0) throw new AppError('RECO_BAD_INPUT', 'no stores to fit, expected at least one');
  const budget = splitBudget(options.rho, parameters.supportsShare);
  const first = stores.map((s) => releaseItemSupports(s.shoppers, catalog, { rho: budget.first }, rng));
  const { pooled: pooledFirst, choice } = poolFirstRound(first, parameters);
  const second = stores.map((s) =>
    choice.second === 'itemCovariance'
      ? releaseItemCovariance(s.shoppers, catalog, choice.items, { rho: budget.second }, rng)
      : releaseItemSupports(s.shoppers, catalog, { rho: budget.second }, rng),
  );
  const { model, pooledSecond } = modelFromRounds(pooledFirst, second, parameters);
  return {
    model,
    choice,
    releases: stores.map((s, i) => ({
      store: s.store,
      first: first[i] as ItemStatistic,
      second: second[i] as ItemStatistic,
    })),
    rho: addRational((first[0] as ItemStatistic).rho, (second[0] as ItemStatistic).rho),
    pooled: { first: pooledFirst, second: pooledSecond as PooledStatistic },
  };
}

/** HQ's step after round 1: the pooled supports and the public item list they choose (post-processing). */
export function poolFirstRound(
  first: readonly ItemStatistic[],
  parameters: FitParameters = DEFAULT_FIT_PARAMETERS,
): { pooled: PooledStatistic; choice: ItemListChoice } {
  const pooled = poolStatistics(first);
  return { pooled, choice: chooseItemList(pooled, parameters) };
}

/**
 * HQ's step after round 2 (post-processing): pool the stores' second releases and clean them
 * with the pooled supports into the model. Round 2 is either every store's covariance over one
 * public list, or every store's second supports release (docs/recommender.md §3–§5).
 */
export function modelFromRounds(
  pooledFirst: PooledStatistic,
  second: readonly ItemStatistic[],
  parameters: FitParameters = DEFAULT_FIT_PARAMETERS,
): { model: ItemModel; pooledSecond: PooledStatistic | null } {
  validateParameters(parameters);
  if (second.length === 0)
    return {
      model: buildItemModel({ supports: [pooledFirst] }, { shrinkage: parameters.shrinkage }),
      pooledSecond: null,
    };
  const pooledSecond = poolStatistics(second);
  const model = buildItemModel(
    pooledSecond.metric === 'itemCovariance'
      ? { supports: [pooledFirst], covariance: pooledSecond }
      : { supports: [pooledFirst, pooledSecond] },
    { shrinkage: parameters.shrinkage },
  );
  return { model, pooledSecond };
}

function exactPooled(
  metric: ItemStatistic['metric'],
  layout: ItemStatistic['layout'],
  items: readonly string[],
  values: Float64Array,
): PooledStatistic {
  return {
    metric,
    layout,
    items,
    values,
    granularity: GRANULARITY,
    variance: rational(0n),
    stores: 1,
    rhoPerStore: [],
  };
}

/**
 * The NON-PRIVATE reference model: the same statistics without noise, over the maxItems most
 * supported items, cleaned the same way (no projection: nothing to remove). For evaluation only.
 */
export function fitExact(
  shoppers: readonly ShopperHistory[],
  catalog: ItemCatalog,
  parameters: FitParameters = DEFAULT_FIT_PARAMETERS,
): ItemModel {
  const supports = exactItemSupports(shoppers, catalog);
  const order = Array.from({ length: catalog.codes.length }, (_, i) => i)
    .filter((i) => (supports[i] as number) > 0)
    .sort((a, b) => (supports[b] as number) - (supports[a] as number) || a - b)
    .slice(0, parameters.maxItems);
  const items = order.map((i) => catalog.codes[i] as string);
  const first = exactPooled('itemSupport', 'cells', catalog.codes, supports);
  if (items.length < 2) return buildItemModel({ supports: [first] }, { shrinkage: 0 });
  const covariance = exactPooled(
    'itemCovariance',
    'upper-triangle',
    items,
    exactItemCovariance(shoppers, catalog, items),
  );
  return buildItemModel({ supports: [first], covariance }, { shrinkage: 0 });
}
