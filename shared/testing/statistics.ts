/**
 * Goodness-of-fit helpers for the sampler tests (docs/references.md#differential-privacy, after
 * OpenDP rust/src/traits/samplers/test.rs): Pearson χ² against exact expected counts with bins
 * pooled to ≥ 5 expected, and Wilson intervals, both at α = 1e-6 so that CI is not flaky.
 * Test support only: nothing in production imports this file.
 */

/** z with P(N(0,1) > z) = 1e-6 / 2 (two-sided Wilson intervals at α = 1e-6). */
export const Z_TWO_SIDED_1E6 = 4.891638475698655;
/** z with P(N(0,1) > z) = 1e-6 (one-sided χ² upper tail at α = 1e-6). */
export const Z_ONE_SIDED_1E6 = 4.753424308822899;

/**
 * Upper α = 1e-6 quantile of χ²(df) by the Wilson–Hilferty approximation
 * χ²_p ≈ df·(1 − 2/(9df) + z·√(2/(9df)))³. (OpenDP's df + 6√(2df) is smaller than the true
 * 1e-6 quantile for small df, hence Wilson–Hilferty here.)
 */
export function chiSquareCritical(df: number): number {
  const c = 2 / (9 * df);
  return df * (1 - c + Z_ONE_SIDED_1E6 * Math.sqrt(c)) ** 3;
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly df: number;
  readonly critical: number;
  readonly bins: number;
}

/**
 * Pearson χ² of integer samples against an exact PMF. `support` must hold all but 1e-9 of the
 * mass; samples outside it are pooled into the edge bins. Adjacent values are merged left to
 * right until each bin expects ≥ 5 (the remainder joins the last bin).
 */
export function chiSquareTest(
  observed: ReadonlyMap<number, number>,
  total: number,
  pmf: (x: number) => number,
  support: { readonly min: number; readonly max: number },
): ChiSquareResult {
  const expected: number[] = [];
  const seen: number[] = [];
  let mass = 0;
  for (let x = support.min; x <= support.max; x++) {
    const p = pmf(x);
    mass += p;
    expected.push(p * total);
    seen.push(observed.get(x) ?? 0);
  }
  let below = 0;
  let above = 0;
  for (const [x, count] of observed) {
    if (x < support.min) below += count;
    if (x > support.max) above += count;
  }
  if (Math.abs(1 - mass) > 1e-9)
    throw new Error(`χ² support [${support.min}, ${support.max}] misses ${1 - mass} of the mass`);
  seen[0] = (seen[0] as number) + below;
  seen[seen.length - 1] = (seen[seen.length - 1] as number) + above;

  const bins: { e: number; o: number }[] = [];
  let current = { e: 0, o: 0 };
  expected.forEach((e, i) => {
    current.e += e;
    current.o += seen[i] as number;
    if (current.e >= 5) {
      bins.push(current);
      current = { e: 0, o: 0 };
    }
  });
  const last = bins[bins.length - 1];
  if (last === undefined) throw new Error('χ² test needs at least one bin with 5 expected');
  last.e += current.e;
  last.o += current.o;

  const statistic = bins.reduce((sum, { e, o }) => sum + (o - e) ** 2 / e, 0);
  const df = bins.length - 1;
  return { statistic, df, critical: chiSquareCritical(df), bins: bins.length };
}

/** χ² for equal-probability categories. */
export function chiSquareUniform(counts: readonly number[]): ChiSquareResult {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  const statistic = counts.reduce((sum, o) => sum + (o - e) ** 2 / e, 0);
  const df = counts.length - 1;
  return { statistic, df, critical: chiSquareCritical(df), bins: counts.length };
}

/** Two-sided Wilson score interval at α = 1e-6 for successes out of n. */
export function wilsonInterval(successes: number, n: number, z: number = Z_TWO_SIDED_1E6): [number, number] {
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [centre - half, centre + half];
}

/** Tallies `n` draws of an integer sampler; bigint draws (beyond ±2^53, never in practice) are kept as ±Infinity. */
export function tally(n: number, draw: () => number | bigint): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const raw = draw();
    const x = typeof raw === 'bigint' ? (raw < 0n ? -Infinity : Infinity) : raw;
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  return counts;
}
