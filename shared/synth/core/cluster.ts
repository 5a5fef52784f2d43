import type { RandomSource } from '../../ports/random.ts';
import { uniformUnit } from '../../ports/random.ts';
import type { EncodedTable } from './encode.ts';
import { noisyIntegers } from './noise.ts';
import type { SynthPlan } from './calibrate.ts';

/**
 * DP Lloyd clustering inside each label class (docs/synthetic-data.md §3).
 *
 * Iteration 1 has one centroid per class (its release is the noisy class sum and count, i.e. the
 * class mean); before iteration 2 each class mean is split into k centroids at data-independent
 * random offsets (uniform in ±G/4 per coordinate); iterations 2..T then assign every record of a
 * class to its nearest centroid and release, per centroid, the noisy sum of the members' feature
 * coordinates and the noisy member count (the count coordinate). New centroid = noisy sum ÷
 * noisy count; a centroid whose noisy count is below 3 noise standard deviations is dropped.
 *
 * Privacy: a record's cell in iteration t depends only on the record and the centroids released
 * before t, so each iteration adds one record's feature+count vector to one cell: L2 sensitivity
 * ≤ R (K·R for a unit of K records), ρ_clustering each (calibrate.ts). Partitioning by the record's
 * own label is a function of the record, so classes compose in parallel inside each release.
 */

export interface ClusterRelease {
  readonly iteration: number;
  readonly labelClass: number;
  /** Noisy sums of the feature coordinates, then the noisy count coordinate (integer units). */
  readonly noisySums: readonly number[];
}

export interface Clustering {
  /** Per class: the final centroids, each over the feature coordinates (integer units). */
  readonly centroids: readonly (readonly Float64Array[])[];
  /** Per class and centroid: the noisy member count (records) of the last iteration. */
  readonly counts: readonly (readonly number[])[];
  /** Every noisy vector released, in order (for payloads and audits). */
  readonly releases: readonly ClusterRelease[];
}

/** Index of the nearest centroid to row r over the feature coordinates. */
export function nearestCentroid(table: EncodedTable, r: number, centroids: readonly Float64Array[]): number {
  const { dim, featureIndexes } = table.layout;
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let j = 0; j < centroids.length; j++) {
    const c = centroids[j] as Float64Array;
    let d = 0;
    for (let f = 0; f < featureIndexes.length; f++) {
      const diff = (table.values[r * dim + (featureIndexes[f] as number)] as number) - (c[f] as number);
      d += diff * diff;
    }
    if (d < bestDistance) {
      bestDistance = d;
      best = j;
    }
  }
  return best;
}

/** Exact sums of the feature coordinates and the count, per cell: cellOf(r) ∈ [0, cells) or −1 (left out). */
export function cellSums(table: EncodedTable, cellOf: (r: number) => number, cells: number): Float64Array {
  const { dim, featureIndexes, countIndex } = table.layout;
  const width = featureIndexes.length + 1;
  const sums = new Float64Array(cells * width);
  for (let r = 0; r < table.rows; r++) {
    const cell = cellOf(r);
    if (cell < 0) continue;
    const base = r * dim;
    const out = cell * width;
    for (let f = 0; f < featureIndexes.length; f++)
      sums[out + f] = (sums[out + f] as number) + (table.values[base + (featureIndexes[f] as number)] as number);
    sums[out + width - 1] = (sums[out + width - 1] as number) + (table.values[base + countIndex] as number);
  }
  return sums;
}

/** cellSums plus exact discrete Gaussian noise on every integer; the noisy vectors cell by cell (features…, count). */
export function noisyCellSums(
  table: EncodedTable,
  cellOf: (r: number) => number,
  cells: number,
  step: { sigmaSquared: SynthPlan['groups']['sigmaSquared'] },
  rng: RandomSource,
): number[][] {
  const width = table.layout.featureIndexes.length + 1;
  const noisy = noisyIntegers(Array.from(cellSums(table, cellOf, cells)), step.sigmaSquared, rng);
  return Array.from({ length: cells }, (_, c) => noisy.slice(c * width, (c + 1) * width));
}

/** Clamps a centroid coordinate to the range its encoding can take. */
function clampCoordinate(table: EncodedTable, f: number, value: number): number {
  const coordinate = table.layout.coords[table.layout.featureIndexes[f] as number];
  const g = table.layout.scale;
  return coordinate?.kind === 'one-hot' ? Math.min(g, Math.max(0, value)) : Math.min(g / 2, Math.max(-g / 2, value));
}

export function dpLloyd(table: EncodedTable, plan: SynthPlan, classes: number, rng: RandomSource): Clustering {
  const step = plan.clustering;
  const features = table.layout.featureIndexes.length;
  const scale = table.layout.scale;
  let centroids: Float64Array[][] = Array.from({ length: classes }, () => [new Float64Array(features)]);
  let counts: number[][] = Array.from({ length: classes }, () => [0]);
  const releases: ClusterRelease[] = [];
  const minCount = (3 * step.sigma) / scale;
  for (let iteration = 1; iteration <= plan.iterations; iteration++) {
    if (iteration === 2)
      centroids = centroids.map((list) => splitCentroids(table, list[0] as Float64Array, plan.clustersPerClass, rng));
    const offsets: number[] = [];
    let cells = 0;
    for (const list of centroids) {
      offsets.push(cells);
      cells += list.length;
    }
    const noisy = noisyCellSums(
      table,
      (r) =>
        (offsets[table.labelClass[r] as number] as number) +
        nearestCentroid(table, r, centroids[table.labelClass[r] as number] as Float64Array[]),
      cells,
      step,
      rng,
    );
    const nextCentroids: Float64Array[][] = [];
    const nextCounts: number[][] = [];
    centroids.forEach((list, c) => {
      const keptCentroids: Float64Array[] = [];
      const keptCounts: number[] = [];
      list.forEach((previous, j) => {
        const sums = noisy[(offsets[c] as number) + j] as number[];
        releases.push({ iteration, labelClass: c, noisySums: sums });
        const count = (sums[features] as number) / scale;
        if (count < minCount) return;
        keptCentroids.push(
          Float64Array.from(previous, (_, f) => clampCoordinate(table, f, (sums[f] as number) / count)),
        );
        keptCounts.push(count);
      });
      if (keptCentroids.length === 0) {
        keptCentroids.push(list[0] as Float64Array);
        keptCounts.push(0);
      }
      nextCentroids.push(keptCentroids);
      nextCounts.push(keptCounts);
    });
    centroids = nextCentroids;
    counts = nextCounts;
  }
  return { centroids, counts, releases };
}

function splitCentroids(table: EncodedTable, mean: Float64Array, k: number, rng: RandomSource): Float64Array[] {
  const spread = table.layout.scale / 4;
  return Array.from({ length: k }, () =>
    Float64Array.from(mean, (value, f) => clampCoordinate(table, f, value + (2 * uniformUnit(rng) - 1) * spread)),
  );
}
