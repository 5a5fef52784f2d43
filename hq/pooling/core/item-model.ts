import { AppError } from '../../../shared/errors.ts';
import { zcdpToApproxDp } from '../../../shared/privacy/conversions.ts';
import {
  addRational,
  compareRational,
  formatRational,
  rational,
  type Rational,
} from '../../../shared/privacy/rational.ts';
import {
  alignStatistics,
  DEFAULT_FIT_PARAMETERS,
  fromReleaseMeasure,
  modelFromRounds,
  poolFirstRound,
  RELEASE_KINDS,
  type FitParameters,
  type ItemModel,
  type ItemStatistic,
  type ModelMetadata,
  type PooledStatistic,
} from '../../../shared/recommend/mod.ts';
import type { ReleasePayloadV2 } from '../../../shared/upstream/release-payload-v2.ts';

/**
 * HQ's recommender pooling for one budget period (pure post-processing of received releases;
 * docs/hq.md, docs/recommender.md §4–§5): the stores' item-supports and item-covariance
 * releases, matched by item name (alignStatistics: each store's list restricted to the items all
 * of them describe), summed (poolFirstRound), cleaned and built into the model (modelFromRounds)
 * — the same functions `hushpoint recommend fit --stores N` runs. No raw data: only released
 * noisy integers and their public noise variances.
 *
 * Stores that sent both releases of the period are pooled; if none did yet, the model is the
 * supports-only (popularity) model of the stores that sent supports. A round 2 that mixes
 * covariance and second supports releases uses the covariance ones (a pooled sum over a
 * different set of stores cannot be averaged with the first round's).
 */

export interface ReceivedItemRelease {
  readonly store: string;
  readonly releaseId: string;
  readonly payload: ReleasePayloadV2;
}

export interface PooledItemModel {
  readonly model: ItemModel;
  /** Everything of the model file but the version, id and creation time. */
  readonly metadata: Omit<ModelMetadata, 'version' | 'modelId' | 'createdAt'>;
}

function statisticOf(r: ReceivedItemRelease): ItemStatistic {
  const measure = r.payload.measures[0];
  if (measure === undefined)
    throw new AppError('RECO_STATS_MISMATCH', `release ${r.releaseId} of store ${r.store} has no measure`);
  return fromReleaseMeasure(measure, r.payload.cells);
}

function maxRational(values: readonly Rational[]): Rational {
  return values.reduce((a, b) => (compareRational(a, b) >= 0 ? a : b), rational(0n));
}

function round(pooled: PooledStatistic, stats: readonly ItemStatistic[]) {
  return {
    metric: pooled.metric,
    rho: formatRational(maxRational(stats.map((s) => s.rho))),
    sigmaSquared: formatRational(pooled.variance),
    stores: pooled.stores,
  };
}

export function poolItemModel(
  releases: readonly ReceivedItemRelease[],
  options: { readonly parameters?: FitParameters; readonly tool: string },
): PooledItemModel {
  const parameters = options.parameters ?? DEFAULT_FIT_PARAMETERS;
  const supports = new Map<string, ReceivedItemRelease>();
  const seconds = new Map<string, ReceivedItemRelease>();
  let period: ReleasePayloadV2['budgetPeriod'] | null = null;
  for (const r of releases) {
    if (period === null) period = r.payload.budgetPeriod;
    else if (r.payload.budgetPeriod.label !== period.label)
      throw new AppError(
        'RECO_STATS_MISMATCH',
        `release ${r.releaseId} of store ${r.store} is of period ${r.payload.budgetPeriod.label}, expected ${period.label}`,
      );
    if (r.payload.kind === RELEASE_KINDS.itemSupport) supports.set(r.store, r);
    else if (r.payload.kind === RELEASE_KINDS.itemCovariance) seconds.set(r.store, r);
  }
  if (period === null || supports.size === 0)
    throw new AppError('RECO_STATS_MISMATCH', 'no item-supports release to pool, expected at least one store');
  const both = [...supports.keys()].filter((s) => seconds.has(s)).sort();
  const stores = both.length > 0 ? both : [...supports.keys()].sort();
  const supportsOf = (s: string): ItemStatistic => statisticOf(supports.get(s) as ReceivedItemRelease);
  const secondOf = (s: string): ItemStatistic | null => {
    const r = seconds.get(s);
    return r === undefined ? null : statisticOf(r);
  };
  const withCovariance = stores.filter((s) => secondOf(s)?.metric === 'itemCovariance');
  const usedStores = withCovariance.length > 0 ? withCovariance : stores;
  let first: ItemStatistic[];
  let second: ItemStatistic[];
  if (withCovariance.length > 0) {
    first = alignStatistics(usedStores.map(supportsOf));
    const within = new Set(first[0]?.items ?? []);
    second = alignStatistics(
      usedStores.map((s) => secondOf(s) as ItemStatistic),
      within,
    );
    if ((second[0]?.items.length ?? 0) < parameters.minItems) second = [];
  } else {
    // Second supports releases (every store's, or none): aligned with the first round to one catalog.
    const extra = usedStores.flatMap((s) => secondOf(s) ?? []);
    const all = alignStatistics([...usedStores.map(supportsOf), ...(extra.length === usedStores.length ? extra : [])]);
    first = all.slice(0, usedStores.length);
    second = all.slice(usedStores.length);
  }
  if ((first[0]?.items.length ?? 0) === 0)
    throw new AppError('RECO_STATS_MISMATCH', "the stores' catalogs share no item, expected one public catalog");
  const { pooled: pooledFirst } = poolFirstRound(first, parameters);
  const { model, pooledSecond } = modelFromRounds(pooledFirst, second, parameters);
  const rho = maxRational(
    usedStores.map((s) => {
      const a = supportsOf(s).rho;
      const b = second.length > 0 ? (secondOf(s) as ItemStatistic).rho : rational(0n);
      return addRational(a, b);
    }),
  );
  const delta = Math.max(...releases.map((r) => r.payload.cost.delta));
  const releaseIds = usedStores.flatMap((s) => [
    `${s}/${(supports.get(s) as ReceivedItemRelease).releaseId}`,
    ...(second.length > 0 ? [`${s}/${(seconds.get(s) as ReceivedItemRelease).releaseId}`] : []),
  ]);
  return {
    model,
    metadata: {
      period: {
        label: period.label,
        start: new Date(period.startUnix * 1000).toISOString(),
        end: new Date(period.endUnix * 1000).toISOString(),
      },
      privacy: {
        unit: 'shopper-period',
        rho: formatRational(rho),
        epsilon: zcdpToApproxDp(rho, delta).epsilon,
        delta,
        rounds: [round(pooledFirst, first), ...(pooledSecond !== null ? [round(pooledSecond, second)] : [])],
      },
      parameters: { ...parameters, supportsShare: formatRational(parameters.supportsShare) },
      provenance: {
        stores: usedStores.length,
        storeIds: usedStores,
        releaseIds,
        source: `HQ pooling of ${releaseIds.length} releases of ${period.label}`,
        tool: options.tool,
      },
    },
  };
}
