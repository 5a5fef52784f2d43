/**
 * Distance to closest record (docs/synthetic-data.md §7): for each query row, the Euclidean
 * distance to its nearest reference row (brute force; rows are TableView coordinates in [0, 1]).
 * Reported as the median, the 5th percentile and the minimum, with the count of exact copies.
 */

export interface DistanceSummary {
  readonly median: number;
  readonly p05: number;
  readonly min: number;
  /** Query rows at distance 0 from some reference row. */
  readonly exactMatches: number;
  readonly rows: number;
}

export function nearestDistances(
  queries: readonly (readonly number[])[],
  reference: readonly (readonly number[])[],
): number[] {
  const d = (reference[0] ?? []).length;
  const flat = new Float64Array(reference.length * d);
  reference.forEach((row, i) => row.forEach((v, j) => (flat[i * d + j] = v)));
  return queries.map((q) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < reference.length; i++) {
      let sum = 0;
      for (let j = 0; j < d && sum < best; j++) {
        const diff = (q[j] as number) - (flat[i * d + j] as number);
        sum += diff * diff;
      }
      if (sum < best) best = sum;
    }
    return Math.sqrt(best);
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function summariseDistances(distances: readonly number[]): DistanceSummary {
  const sorted = [...distances].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p05: quantile(sorted, 0.05),
    min: sorted[0] ?? Number.NaN,
    exactMatches: sorted.filter((x) => x === 0).length,
    rows: sorted.length,
  };
}
