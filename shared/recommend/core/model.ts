import { AppError } from '../../errors.ts';
import { rationalToNumberUp } from '../../privacy/rational.ts';
import type { PooledStatistic } from './pooling.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

/**
 * Cleaning the pooled statistics into the item–item model (pure post-processing: it reads only
 * released values and their public noise variances, so it costs no privacy; docs/recommender.md §5).
 *
 * 1. Popularity prior over the catalog: the inverse-variance mean of every supports release
 *    (round 2 may be a second one), and, for the covariance's items, of the covariance diagonal
 *    (another weighted support) rescaled to the supports' scale by κ = Σ diagonal / Σ supports.
 * 2. Low-rank projection: the noise on the N × N symmetric matrix is a Wigner matrix whose spectrum
 *    lies in ±2s√N (s² the pooled variance per value), its largest eigenvalue fluctuating on the
 *    Tracy–Widom scale s·N^(−1/6); only eigenvalues y above 2s√N + 3s·N^(−1/6) are kept as signal. Each is shrunk as for a spiked Wigner model: the signal eigenvalue is
 *    λ = (y + √(y² − 4Ns²))/2 (the inverse of y = λ + Ns²/λ), its eigenvector's squared overlap with the
 *    true one is r = 1 − Ns²/λ², and the component enters the model as λ·r.
 * 3. Shrinkage by noisy support: similarity S_ij = C̃_ij / (√(d_i d_j) + b·s), d = max(diagonal, 0):
 *    a cosine for well-supported pairs, shrunk toward 0 when the supports are comparable to the noise.
 * 4. Reliability γ = Σ r_k λ_k² / Σ λ_k², the share of the cleaned model's energy that is signal
 *    (0 when no component clears the edge): the weight of the model against popularity in the
 *    per-shopper blend (scoring.ts).
 * Exact statistics (variance 0, the non-private reference model) skip 2: C̃ = C, γ = 1.
 */

export interface CleaningOptions {
  /** b: the similarity shrinkage, in units of the pooled covariance noise σ. */
  readonly shrinkage: number;
}

export interface ItemModel {
  readonly catalog: readonly string[];
  /** Popularity prior per catalog item (real units, may be negative: noise). */
  readonly popularity: Float64Array;
  /** The covariance's item list (empty when round 2 was a second supports release). */
  readonly items: readonly string[];
  /** items[p] is catalog[itemIndex[p]]. */
  readonly itemIndex: Int32Array;
  /** Kept components k, factor matrix N × k (row p = item p), and each component's weight λ·r. */
  readonly rank: number;
  readonly factors: Float64Array;
  readonly weights: Float64Array;
  /** d_p = max(noisy diagonal, 0), real units. */
  readonly diagonal: Float64Array;
  /** b·s in real units: the similarity shrinkage term. */
  readonly shrinkageTerm: number;
  /** γ ∈ [0, 1]: the blend weight of the similarity (0: the ranking is the popularity prior). */
  readonly blend: number;
  /** Exact statistics only (the non-private reference): C itself, N × N, instead of factors. */
  readonly dense?: Float64Array;
  readonly diagnostics: ModelDiagnostics;
}

export interface ModelDiagnostics {
  readonly stores: number;
  /** Pooled noise σ of one covariance value / one support value, real units (0 for exact statistics). */
  readonly covarianceSigma: number;
  readonly supportSigma: number;
  /** 2s√N, real units. */
  readonly noiseEdge: number;
  /** The largest observed eigenvalues (up to 50), real units. */
  readonly topEigenvalues: readonly number[];
  /** Per kept component: the estimated squared overlap r. */
  readonly overlaps: readonly number[];
}

function toReal(pooled: PooledStatistic): { values: Float64Array; variance: number } {
  const g = Number(pooled.granularity.num) / Number(pooled.granularity.den);
  const values = Float64Array.from(pooled.values, (v) => v * g);
  return { values, variance: rationalToNumberUp(pooled.variance) * g * g };
}

/** Inverse-variance mean of the supports releases (all over the same catalog). */
function combineSupports(supports: readonly PooledStatistic[]): { values: Float64Array; variance: number } {
  const first = supports[0];
  if (first === undefined) throw new AppError('RECO_STATS_MISMATCH', 'a model needs at least one supports release');
  const real = supports.map((s) => {
    if (s.metric !== 'itemSupport') throw new AppError('RECO_STATS_MISMATCH', `expected itemSupport, got ${s.metric}`);
    if (s.items.length !== first.items.length || s.items.some((c, i) => c !== first.items[i])) {
      throw new AppError('RECO_STATS_MISMATCH', 'the supports releases describe different catalogs');
    }
    return toReal(s);
  });
  if (real.some((r) => r.variance === 0)) {
    const exact = real.find((r) => r.variance === 0) as { values: Float64Array; variance: number };
    return exact;
  }
  const values = new Float64Array(first.items.length);
  let precision = 0;
  for (const r of real) precision += 1 / r.variance;
  for (const r of real) {
    const w = 1 / r.variance / precision;
    for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) + w * (r.values[i] as number);
  }
  return { values, variance: 1 / precision };
}

/** The covariance's upper triangle as a full symmetric matrix (row-major). */
function mirror(values: Float64Array, n: number): Float64Array {
  const m = new Float64Array(n * n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = values[at++] as number;
      m[i * n + j] = v;
      m[j * n + i] = v;
    }
  }
  return m;
}

export function buildItemModel(
  input: { readonly supports: readonly PooledStatistic[]; readonly covariance?: PooledStatistic },
  options: CleaningOptions,
): ItemModel {
  const catalog = input.supports[0]?.items ?? [];
  const prior = combineSupports(input.supports);
  const popularity = prior.values;
  const stores = input.supports[0]?.stores ?? 0;
  const empty: ItemModel = {
    catalog,
    popularity,
    items: [],
    itemIndex: new Int32Array(0),
    rank: 0,
    factors: new Float64Array(0),
    weights: new Float64Array(0),
    diagonal: new Float64Array(0),
    shrinkageTerm: 0,
    blend: 0,
    diagnostics: {
      stores,
      covarianceSigma: 0,
      supportSigma: Math.sqrt(prior.variance),
      noiseEdge: 0,
      topEigenvalues: [],
      overlaps: [],
    },
  };
  const cov = input.covariance;
  if (cov === undefined) return empty;
  if (cov.metric !== 'itemCovariance' || cov.layout !== 'upper-triangle') {
    throw new AppError(
      'RECO_STATS_MISMATCH',
      `expected an itemCovariance upper triangle, got ${cov.metric}/${cov.layout}`,
    );
  }
  const n = cov.items.length;
  const position = new Map(catalog.map((c, i) => [c, i]));
  const itemIndex = Int32Array.from(cov.items, (code) => {
    const i = position.get(code);
    if (i === undefined)
      throw new AppError('RECO_STATS_MISMATCH', `covariance item ${JSON.stringify(code)} is not in the catalog`);
    return i;
  });
  const { values, variance: s2 } = toReal(cov);
  const a = mirror(values, n);
  const diagonal = Float64Array.from({ length: n }, (_, p) => Math.max(a[p * n + p] as number, 0));
  if (s2 > 0 && prior.variance > 0) combineDiagonal(popularity, prior.variance, itemIndex, a, n, s2);
  if (s2 === 0) {
    return {
      ...empty,
      items: cov.items,
      itemIndex,
      diagonal,
      blend: 1,
      dense: a,
      diagnostics: { ...empty.diagnostics, stores: cov.stores },
    };
  }
  const eigen = symmetricEigen(a, n);
  // The bulk edge 2s√N plus three Tracy–Widom scales s·N^(−1/6): pure noise clears it rarely.
  const edge = Math.sqrt(s2) * (2 * Math.sqrt(n) + 3 * n ** (-1 / 6));
  const kept: number[] = [];
  const weights: number[] = [];
  const overlaps: number[] = [];
  for (let k = 0; k < n; k++) {
    const y = eigen.values[k] as number;
    if (y <= edge) break;
    const lambda = (y + Math.sqrt(y * y - 4 * n * s2)) / 2;
    const r = 1 - (n * s2) / (lambda * lambda);
    kept.push(k);
    weights.push(lambda * r);
    overlaps.push(r);
  }
  const rank = kept.length;
  const factors = new Float64Array(n * rank);
  kept.forEach((k, c) => {
    for (let p = 0; p < n; p++) factors[p * rank + c] = eigen.vectors[k * n + p] as number;
  });
  const blend = reliability(weights, overlaps);
  return {
    catalog,
    popularity,
    items: cov.items,
    itemIndex,
    rank,
    factors,
    weights: Float64Array.from(weights),
    diagonal,
    shrinkageTerm: options.shrinkage * Math.sqrt(s2),
    blend,
    diagnostics: {
      stores: cov.stores,
      covarianceSigma: Math.sqrt(s2),
      supportSigma: Math.sqrt(prior.variance),
      noiseEdge: edge,
      topEigenvalues: Array.from(eigen.values.subarray(0, Math.min(50, n))),
      overlaps,
    },
  };
}

/**
 * γ = Σ_k r_k·λ_k² / Σ_k λ_k²: the share of the cleaned model's energy that is signal. A component
 * with SNR_k = λ_k²/(N·s²) has r_k = 1 − 1/SNR_k, so strong components count fully and components
 * at the noise edge not at all; no component at all gives γ = 0.
 */
function reliability(weights: readonly number[], overlaps: readonly number[]): number {
  let signal = 0;
  let energy = 0;
  overlaps.forEach((r, k) => {
    const lambda = (weights[k] as number) / r;
    signal += r * lambda * lambda;
    energy += lambda * lambda;
  });
  return energy > 0 ? Math.min(1, signal / energy) : 0;
}

/** Step 1 for the covariance's items: fold the diagonal into the popularity prior (in place). */
function combineDiagonal(
  popularity: Float64Array,
  supportVariance: number,
  itemIndex: Int32Array,
  a: Float64Array,
  n: number,
  s2: number,
): void {
  let sumDiagonal = 0;
  let sumSupport = 0;
  for (let p = 0; p < n; p++) {
    sumDiagonal += a[p * n + p] as number;
    sumSupport += popularity[itemIndex[p] as number] as number;
  }
  if (!(sumDiagonal > 0 && sumSupport > 0)) return;
  const kappa = sumDiagonal / sumSupport;
  // d/κ estimates the support with variance s²/κ².
  const wSupport = 1 / supportVariance;
  const wDiagonal = (kappa * kappa) / s2;
  for (let p = 0; p < n; p++) {
    const i = itemIndex[p] as number;
    const fromDiagonal = (a[p * n + p] as number) / kappa;
    popularity[i] = (wSupport * (popularity[i] as number) + wDiagonal * fromDiagonal) / (wSupport + wDiagonal);
  }
}
