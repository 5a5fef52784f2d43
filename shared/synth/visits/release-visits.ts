import type { RandomSource } from '../../ports/random.ts';
import { formatRational, rational, rationalToNumberUp, type Rational } from '../../privacy/rational.ts';
import type { ReleaseMeasureV2 } from '../../upstream/release-payload-v2.ts';
import type { GaussianStep, SynthTuning } from '../core/calibrate.ts';
import { encodeRows, makeLayout } from '../core/encode.ts';
import { fitSynthesizer } from '../core/fit.ts';
import { discreteGaussianHalfWidth95 } from '../core/noise.ts';
import { boundVisits, visitRow, visitSchema, type ShopperVisit } from './visit-records.ts';

/**
 * The weekly synthetic-visits release (docs/synthetic-data.md §8), pure: bounded visits → the DP
 * synthesizer with a ρ budget → its noisy values in the release payload v2 "rows" layout, ready for
 * the hub to wrap (store, release id, budget period, window, computedAt).
 *
 * Cells are the visit columns (visited:Z, dwell:Z per zone, hour, weekday, repeat) and "count".
 * Two measures, both raw noisy integers in units of g = 1/G:
 *   clusterCentredSum  every DP Lloyd release (one row per cluster and iteration),
 *   centredSum         one row per group of about m visits — the synthetic data proper.
 * In a row, a column's value is Σ (u − ½) over the row's visits (u ∈ [0, 1] the column's scaled
 * value), and "count" is the number of visits; all noisy. A reader's group mean is
 * u = ½ + value/count (decode-visits.ts).
 *
 * Theorem (§8): for one shopper over the budget period with at most K visits kept in the week,
 * the release is ρ-zCDP with ρ = `rho` ≤ the budget given, under adding or removing that shopper.
 */

export const SYNTHETIC_VISITS_KIND = 'synthetic-visits';

export interface SyntheticVisitsOptions {
  readonly zones: readonly string[];
  /** The ρ this week's release may cost a shopper. */
  readonly rho: Rational;
  /** δ for reporting (ε, δ). */
  readonly delta: number;
  /** K: visits kept per shopper per week. Default 2. */
  readonly maxVisitsPerShopper?: number;
  readonly tuning?: Omit<SynthTuning, 'maxRecordsPerUnit'>;
}

export interface SyntheticVisitsRelease {
  readonly kind: typeof SYNTHETIC_VISITS_KIND;
  readonly cells: readonly string[];
  readonly measures: readonly ReleaseMeasureV2[];
  /** Exact total ρ (≤ the budget), its upper float and the (ε, δ) it implies. */
  readonly cost: { rho: string; rhoUpper: number; epsilon: number; epsilonBunSteinke: number; delta: number };
  readonly bounds: Readonly<Record<string, number>>;
  readonly rho: Rational;
}

function measure(
  metric: string,
  step: GaussianStep,
  rows: readonly (readonly number[])[],
  cells: number,
  sensitivity: { l0: number; lInf: string; l2Squared: string },
  scale: number,
  rho: Rational,
): ReleaseMeasureV2 {
  return {
    metric,
    query: 'sum',
    layout: 'rows',
    rows: rows.length,
    mechanism: 'discrete-gaussian',
    sigma: step.sigma,
    sigmaSquared: formatRational(step.sigmaSquared),
    granularity: `1/${scale}`,
    clamp: { lo: -0.5, hi: 1 },
    sensitivity,
    rho: formatRational(rho),
    halfWidth95: discreteGaussianHalfWidth95(step.sigma) / scale,
    values: rows.flatMap((row) => {
      if (row.length !== cells) throw new RangeError(`a ${metric} row has ${row.length} values, expected ${cells}`);
      return [...row];
    }),
  };
}

export function synthesizeVisits(
  visits: readonly ShopperVisit[],
  options: SyntheticVisitsOptions,
  rng: RandomSource,
): SyntheticVisitsRelease {
  const k = options.maxVisitsPerShopper ?? 2;
  const schema = visitSchema(options.zones);
  const layout = makeLayout(schema);
  const kept = boundVisits(visits, options.zones, k, rng);
  const table = encodeRows(
    layout,
    kept.map((visit) => visitRow(visit, options.zones)),
  );
  const fit = fitSynthesizer(
    table,
    { rho: options.rho, delta: options.delta },
    {
      clustersPerClass: 4,
      ...options.tuning,
      maxRecordsPerUnit: k,
      // Never gate on the exact number of visits: the release's shape follows noisy counts only.
      allowFewRows: true,
      identities: kept.map((visit) => `${visit.shopper}\u0000${visit.visit}`),
    },
    rng,
  );
  const { plan } = fit;
  const cells = [...schema.columns.map((c) => c.name), 'count'];
  // A shopper's ≤ K visits change ≤ K rows of each release (every cell by ≤ K·G); the cluster
  // measure holds T releases, so its Δ2² is T·K²·R² (ρ = Δ2²/(2σ²) = T·ρ_iteration).
  const sensitivity = (releases: number) => ({
    l0: releases * k * cells.length,
    lInf: String(k * layout.scale),
    l2Squared: String(BigInt(releases) * plan.sensitivityL2Squared),
  });
  const clusterRho = { num: plan.clustering.rho.num * BigInt(plan.iterations), den: plan.clustering.rho.den };
  const measures = [
    measure(
      'clusterCentredSum',
      plan.clustering,
      fit.clustering.releases.map((r) => r.noisySums),
      cells.length,
      sensitivity(plan.iterations),
      layout.scale,
      rational(clusterRho.num, clusterRho.den),
    ),
    measure(
      'centredSum',
      plan.groups,
      fit.groups.map((g) => g.noisySums),
      cells.length,
      sensitivity(1),
      layout.scale,
      plan.groups.rho,
    ),
  ];
  return {
    kind: SYNTHETIC_VISITS_KIND,
    cells,
    measures,
    cost: {
      rho: formatRational(plan.rho),
      rhoUpper: rationalToNumberUp(plan.rho),
      epsilon: plan.cost.epsilon,
      epsilonBunSteinke: plan.cost.epsilonBunSteinke,
      delta: plan.delta,
    },
    bounds: {
      maxVisitsPerShopper: k,
      groupSize: plan.groupSize,
      iterations: plan.iterations,
      clustersPerClass: plan.clustersPerClass,
      scale: layout.scale,
    },
    rho: plan.rho,
  };
}
