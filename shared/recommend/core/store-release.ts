import { AppError } from '../../errors.ts';
import type { ReleasePayloadV2 } from '../../upstream/release-payload-v2.ts';
import { DEFAULT_FIT_PARAMETERS, type FitParameters } from './fit.ts';
import type { ItemCatalog } from './histories.ts';
import { chooseItemList, poolStatistics, type ItemListChoice } from './pooling.ts';
import { fromReleaseMeasure, RELEASE_KINDS } from './release-measure.ts';
import type { ItemStatistic } from './statistics.ts';

/**
 * A store's side of the rounds (pure; docs/recommender.md §3 and §11): which list its round-2
 * release covers, and what HQ checks of a received item-statistics release.
 *
 * Round 2's list is public in both cases: the items of the model HQ published (post-processing of
 * earlier periods' releases), or — before any model — the items the store's own round-1 release
 * of this period clears the minimum support with (post-processing of that release; zCDP composes
 * adaptively). Too few items: a second supports release, as in `fitStores`.
 */
export function storeItemList(
  options: {
    readonly installed: readonly string[] | null;
    readonly supports: ItemStatistic | null;
    readonly catalog: ItemCatalog;
  },
  parameters: FitParameters = DEFAULT_FIT_PARAMETERS,
): ItemListChoice {
  const { installed, supports, catalog } = options;
  if (installed !== null) {
    const items = installed.filter((c) => catalog.index.has(c)).slice(0, parameters.maxItems);
    if (items.length >= parameters.minItems) return { items, second: 'itemCovariance', threshold: 0 };
  }
  if (supports !== null) return chooseItemList(poolStatistics([supports]), parameters);
  return { items: [], second: 'itemSupport', threshold: 0 };
}

const KIND_METRICS: Record<string, readonly string[]> = {
  [RELEASE_KINDS.itemSupport]: ['itemSupport'],
  [RELEASE_KINDS.itemCovariance]: ['itemCovariance', 'itemSupport'],
};

export function isItemStatisticsKind(kind: string): boolean {
  return KIND_METRICS[kind] !== undefined;
}

/**
 * What HQ requires of an item-supports / item-covariance release beyond the v2 schema: a
 * period window, one discrete Gaussian sum measure of the kind's metric over distinct item
 * cells, with the recommender's granularity and the value count its layout needs. The problem
 * named, or null when the release is usable by the pooling job.
 */
export function itemStatisticsProblem(payload: ReleasePayloadV2): string | null {
  const metrics = KIND_METRICS[payload.kind];
  if (metrics === undefined) return null;
  if (payload.window.unit !== 'period')
    return `a "${payload.kind}" release has window unit "${payload.window.unit}", expected "period"`;
  if (payload.measures.length !== 1)
    return `a "${payload.kind}" release has ${payload.measures.length} measures, expected exactly 1`;
  const measure = payload.measures[0] as ReleasePayloadV2['measures'][number];
  if (!metrics.includes(measure.metric))
    return `a "${payload.kind}" release measures "${measure.metric}", expected ${metrics.map((m) => `"${m}"`).join(' or ')}`;
  if (new Set(payload.cells).size !== payload.cells.length)
    return `a "${payload.kind}" release repeats an item in its cells, expected distinct item codes`;
  try {
    fromReleaseMeasure(measure, payload.cells);
  } catch (error) {
    if (error instanceof AppError) return error.message;
    throw error;
  }
  return null;
}
