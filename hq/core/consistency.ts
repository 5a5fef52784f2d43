/**
 * Consistent, non-negative views of noisy counts (pure post-processing: it reads only released
 * values, so it costs no privacy). Raw noisy values stay the primary data — they are unbiased and
 * add up across stores and periods; these views are for display.
 *
 * projectToTotal is the least-squares projection of x̃ onto {x ≥ 0, Σx = N}: minimising
 * ‖x − x̃‖² under those constraints gives x_v = max(x̃_v − s, 0) with the shift s chosen so the
 * sum is N (the KKT conditions; this is "Norm-Sub", Wang et al., arXiv 1905.08320, and the
 * Euclidean projection onto a scaled simplex). For integer displays the result is rounded by
 * largest remainders, which keeps the total exactly N.
 */

/** x ≥ 0 with Σx = total, closest to `values` in least squares. total ≥ 0. */
export function projectToTotal(values: readonly number[], total: number): number[] {
  if (!(total >= 0) || !Number.isFinite(total)) throw new RangeError(`total is ${total}, expected a finite number ≥ 0`);
  if (values.length === 0) {
    if (total !== 0) throw new RangeError('cannot spread a positive total over no cells');
    return [];
  }
  if (total === 0) return values.map(() => 0);
  const sorted = [...values].sort((a, b) => b - a);
  // Find the largest k with sorted[k−1] − s > 0 where s = (Σ_{i<k} sorted[i] − total)/k.
  let prefix = 0;
  let shift = 0;
  for (let k = 1; k <= sorted.length; k++) {
    prefix += sorted[k - 1] as number;
    const candidate = (prefix - total) / k;
    if ((sorted[k - 1] as number) - candidate > 0) shift = candidate;
    else break;
  }
  return values.map((v) => Math.max(v - shift, 0));
}

/** Integers ≥ 0 summing exactly to `total` (an integer), from non-negative reals, by largest remainder. */
export function roundPreservingTotal(values: readonly number[], total: number): number[] {
  const floors = values.map((v) => Math.floor(v));
  let missing = total - floors.reduce((a, b) => a + b, 0);
  const order = values.map((v, i) => ({ i, rest: v - Math.floor(v) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (missing <= 0) break;
    floors[i] = (floors[i] as number) + 1;
    missing--;
  }
  return floors;
}

export interface ConsistentView {
  /** Σ of the raw noisy values (unbiased; may be negative). */
  readonly rawTotal: number;
  /** max(0, round(rawTotal)): the display total. */
  readonly total: number;
  /** Non-negative integers, one per cell, summing to `total`. */
  readonly cells: readonly number[];
}

/** The display view of one release's noisy cells: non-negative integers consistent with the total. */
export function consistentView(raw: readonly number[]): ConsistentView {
  const rawTotal = raw.reduce((a, b) => a + b, 0);
  const total = Math.max(0, Math.round(rawTotal));
  if (raw.length === 0) return { rawTotal, total: 0, cells: [] };
  return { rawTotal, total, cells: roundPreservingTotal(projectToTotal(raw, total), total) };
}
