import { AppError } from '../../errors.ts';
import { formatRational, rational, type Rational } from '../../privacy/rational.ts';
import { expectedValueCount, type ReleaseMeasureV2 } from '../../upstream/release-payload-v2.ts';
import { GRANULARITY, type ItemStatistic, type StatisticMetric } from './statistics.ts';
import { WEIGHT_SCALE } from './weights.ts';

/**
 * The item statistics as measures of a v2 release (shared/upstream/release-payload-v2.ts), and
 * back: the hub wraps `toReleaseMeasure(stat)` into a payload with `cells: stat.items` (one
 * statistic per release: the supports and the covariance have different cell lists); HQ turns a
 * received measure back into an ItemStatistic with `fromReleaseMeasure` and pools.
 *
 * The release kinds (docs/recommender.md §3): "item-supports" (cells = the catalog, layout cells)
 * and "item-covariance" (cells = the chosen item list, layout upper-triangle). Both are sums of
 * per-shopper values in [0, 1] (the clamp), in units of granularity 1/65536.
 */

export const RELEASE_KINDS = { itemSupport: 'item-supports', itemCovariance: 'item-covariance' } as const;

/** The contribution bound the kinds enforce (the payload's `bounds`): each shopper's weighted vector has L2 norm ≤ 1. */
export const RECOMMENDER_BOUNDS = { maxWeightedNorm: 1, maxPerCell: 1 } as const;

const RATIONAL_TEXT = /^(\d{1,40})(?:\/([1-9]\d{0,39}))?$/;

function parseRationalText(text: string, what: string): Rational {
  const m = RATIONAL_TEXT.exec(text);
  if (m === null)
    throw new AppError('RECO_STATS_MISMATCH', `${what} is ${JSON.stringify(text)}, expected "num" or "num/den"`);
  return rational(BigInt(m[1] as string), BigInt(m[2] ?? '1'));
}

export function toReleaseMeasure(stat: ItemStatistic): ReleaseMeasureV2 {
  return {
    metric: stat.metric,
    query: 'sum',
    layout: stat.layout,
    mechanism: 'discrete-gaussian',
    sigma: stat.sigma,
    sigmaSquared: formatRational(stat.sigmaSquared),
    granularity: formatRational(stat.granularity),
    clamp: { lo: 0, hi: 1 },
    sensitivity: {
      l0: stat.sensitivity.l0,
      lInf: String(stat.sensitivity.lInf),
      l2Squared: String(stat.sensitivity.l2Squared),
    },
    rho: formatRational(stat.rho),
    halfWidth95: stat.halfWidth95,
    values: [...stat.values],
  };
}

/** A received measure (with its release's cells) as an ItemStatistic, checked for what pooling relies on. */
export function fromReleaseMeasure(measure: ReleaseMeasureV2, cells: readonly string[]): ItemStatistic {
  const metric = measure.metric as StatisticMetric;
  const layout = metric === 'itemSupport' ? 'cells' : metric === 'itemCovariance' ? 'upper-triangle' : null;
  if (layout === null || measure.layout !== layout) {
    throw new AppError(
      'RECO_STATS_MISMATCH',
      `measure is ${measure.metric}/${measure.layout}, expected itemSupport/cells or itemCovariance/upper-triangle`,
    );
  }
  if (measure.mechanism !== 'discrete-gaussian' || measure.sigmaSquared === undefined || measure.sigma === undefined) {
    throw new AppError('RECO_STATS_MISMATCH', `measure ${metric} is not a discrete Gaussian measure with σ²`);
  }
  const granularity = parseRationalText(measure.granularity, 'granularity');
  if (granularity.num !== GRANULARITY.num || granularity.den !== GRANULARITY.den) {
    throw new AppError(
      'RECO_STATS_MISMATCH',
      `measure ${metric} has granularity ${measure.granularity}, expected 1/${WEIGHT_SCALE}`,
    );
  }
  const expected = expectedValueCount(measure, cells.length);
  if (measure.values.length !== expected) {
    throw new AppError(
      'RECO_STATS_MISMATCH',
      `measure ${metric} has ${measure.values.length} values, expected ${expected}`,
    );
  }
  return {
    metric,
    layout,
    items: cells,
    values: measure.values,
    granularity,
    sigmaSquared: parseRationalText(measure.sigmaSquared, 'sigmaSquared'),
    sigma: measure.sigma,
    rho: parseRationalText(measure.rho, 'rho'),
    sensitivity: {
      l0: measure.sensitivity.l0,
      lInf: BigInt(parseRationalText(measure.sensitivity.lInf, 'lInf').num),
      l2Squared: BigInt(parseRationalText(measure.sensitivity.l2Squared, 'l2Squared').num),
    },
    halfWidth95: measure.halfWidth95,
  };
}
