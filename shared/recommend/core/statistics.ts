import { AppError } from '../../errors.ts';
import type { RandomSource } from '../../ports/random.ts';
import { makeDiscreteGaussian } from '../../privacy/mechanisms/discrete-gaussian.ts';
import {
  compareRational,
  divRational,
  mulRational,
  rational,
  toRational,
  type Rational,
  type RationalInput,
} from '../../privacy/rational.ts';
import { integerSqrt } from '../../privacy/samplers/discrete-gaussian.ts';
import type { ItemCatalog, ShopperHistory } from './histories.ts';
import { covarianceWeight, supportWeight, WEIGHT_SCALE } from './weights.ts';

/**
 * The store's DP item statistics (pure; noise through the RandomSource passed in):
 *   itemSupport     per catalog item, Σ over shoppers of k_s(c_u)·[u bought the item]
 *   itemCovariance  per pair i ≤ j of a public item list, Σ over shoppers of k_c(c_u)·[u bought both]
 * both integers in units of g = 1/WEIGHT_SCALE (weights.ts), plus exact discrete Gaussian noise.
 *
 * Theorem R (docs/recommender.md §2): with noise N_ℤ(0, σ²) on every value and σ² ≥ G²/(2ρ), each
 * statistic is ρ-zCDP for the privacy unit "one shopper's purchases in the period" (add/remove
 * neighbours). Proof: by Theorems S and C its L2 sensitivity in integer units is at most G; the
 * multivariate discrete Gaussian with that σ² is (G²/(2σ²))-zCDP (Canonne–Kamath–Steinke 2020,
 * shared/privacy/mechanisms/discrete-gaussian.ts), and G²/(2σ²) ≤ ρ. Every item of the public
 * list gets a value (zeros included), so which cells appear reveals nothing.
 * σ² is G²/(2ρ) rounded UP to a sampler-friendly integer (calibrateNoise); the reported ρ is the
 * exact G²/(2σ²) ≤ the requested ρ.
 */

export type StatisticMetric = 'itemSupport' | 'itemCovariance';

export interface ItemStatistic {
  readonly metric: StatisticMetric;
  /** "cells": values[i] is items[i]; "upper-triangle": (i, j), i ≤ j, at i·n − i(i−1)/2 + (j − i). */
  readonly layout: 'cells' | 'upper-triangle';
  /** The public item list the values describe. */
  readonly items: readonly string[];
  /** Noisy integers in units of `granularity`. */
  readonly values: readonly number[];
  readonly granularity: Rational;
  /** Exact σ² of the noise on every value, in integer units. */
  readonly sigmaSquared: Rational;
  /** √σ², rounded up (display). */
  readonly sigma: number;
  /** The exact zCDP cost for a shopper at the bound. */
  readonly rho: Rational;
  /** In integer units: one shopper changes at most l0 values, each by at most lInf, and Δ2² ≤ l2Squared. */
  readonly sensitivity: { readonly l0: number; readonly lInf: bigint; readonly l2Squared: bigint };
  /** 95% half-width of every value in real units: the interval is value·g ± halfWidth95. */
  readonly halfWidth95: number;
}

export const GRANULARITY: Rational = rational(1n, BigInt(WEIGHT_SCALE));
const G_BIG = BigInt(WEIGHT_SCALE);
const L2_SQUARED = G_BIG * G_BIG;
/** z_{0.975}: the normal 95% two-sided quantile (the discrete Gaussian's interval agrees within rounding for σ ≫ 1). */
const Z95 = 1.959963984540054;

/**
 * σ² = t(t − 1) for the least integer t with t(t − 1) ≥ G²/(2ρ), and its exact ρ = G²/(2σ²) ≤ the
 * requested ρ. Any σ² ≥ G²/(2ρ) is private; this one is the exact sampler's best case: its
 * Laplace proposal scale is ⌊σ⌋ + 1 = t, so σ²/t = t − 1 is an integer and every acceptance test
 * stays on the number fast path (about 4× faster than a σ² with many digits). The excess over
 * G²/(2ρ) is below 2σ + 1, a relative 2/σ (σ ≈ 3.5·10^5 at ρ = 0.017).
 */
export function calibrateNoise(rhoInput: RationalInput): { sigmaSquared: Rational; rho: Rational } {
  const rho = toRational(rhoInput, 'rho');
  if (rho.num <= 0n)
    throw new AppError('DP_INVALID_PARAMETER', `rho is ${String(rhoInput)}, expected a positive number`);
  const minimum = divRational(rational(L2_SQUARED), mulRational(rational(2n), rho));
  let t = integerSqrt(minimum.num / minimum.den) + 1n;
  while (compareRational(rational(t * (t - 1n)), minimum) < 0) t++;
  const sigmaSquared = rational(t * (t - 1n));
  const actual = divRational(rational(L2_SQUARED), mulRational(rational(2n), sigmaSquared));
  if (compareRational(actual, rho) > 0) throw new AppError('INTERNAL', 'noise calibration exceeded the requested ρ');
  return { sigmaSquared, rho: actual };
}

function noisy(
  metric: StatisticMetric,
  layout: ItemStatistic['layout'],
  items: readonly string[],
  exact: Float64Array,
  l0: number,
  rhoInput: RationalInput,
  rng: RandomSource,
): ItemStatistic {
  const { sigmaSquared, rho } = calibrateNoise(rhoInput);
  const mechanism = makeDiscreteGaussian({ sigmaSquared });
  const values = mechanism.release(Array.from(exact), rng);
  return {
    metric,
    layout,
    items,
    values,
    granularity: GRANULARITY,
    sigmaSquared,
    sigma: mechanism.sigma,
    rho,
    sensitivity: { l0, lInf: G_BIG, l2Squared: L2_SQUARED },
    halfWidth95: (Z95 * mechanism.sigma) / WEIGHT_SCALE,
  };
}

function checkTotal(shoppers: number): void {
  // Every exact value is at most shoppers × G; keep it a safe integer (and so are sums of stores).
  if (shoppers * WEIGHT_SCALE * 1024 > Number.MAX_SAFE_INTEGER) {
    throw new AppError('RECO_BAD_INPUT', `${shoppers} shoppers in one release is more than the integer range allows`);
  }
}

/** The exact (noise-free) weighted supports over the whole catalog. Not for release: use releaseItemSupports. */
export function exactItemSupports(shoppers: readonly ShopperHistory[], catalog: ItemCatalog): Float64Array {
  checkTotal(shoppers.length);
  const sums = new Float64Array(catalog.codes.length);
  for (const shopper of shoppers) {
    const c = shopper.items.length;
    if (c === 0) continue;
    const k = supportWeight(c);
    for (const item of shopper.items) sums[item] = (sums[item] as number) + k;
  }
  return sums;
}

/** DP weighted item supports over the public catalog (one value per catalog item, zeros included). */
export function releaseItemSupports(
  shoppers: readonly ShopperHistory[],
  catalog: ItemCatalog,
  options: { readonly rho: RationalInput },
  rng: RandomSource,
): ItemStatistic {
  const exact = exactItemSupports(shoppers, catalog);
  return noisy('itemSupport', 'cells', catalog.codes, exact, catalog.codes.length, options.rho, rng);
}

/** Index of (i, j), i ≤ j, in the upper triangle (diagonal included) of an n × n matrix. */
export function triangleIndex(i: number, j: number, n: number): number {
  return i * n - (i * (i - 1)) / 2 + (j - i);
}

/** Positions of `items` in the catalog, with a clear error for an item the catalog lacks or repeats. */
export function listPositions(items: readonly string[], catalog: ItemCatalog): Int32Array {
  const position = new Int32Array(catalog.codes.length).fill(-1);
  items.forEach((code, p) => {
    const i = catalog.index.get(code);
    if (i === undefined) {
      throw new AppError('RECO_STATS_MISMATCH', `item list entry ${JSON.stringify(code)} is not in the catalog`);
    }
    if (position[i] !== -1) {
      throw new AppError(
        'RECO_STATS_MISMATCH',
        `item list names ${JSON.stringify(code)} twice, expected distinct items`,
      );
    }
    position[i] = p;
  });
  return position;
}

/** The exact (noise-free) weighted covariance's upper triangle over `items`. Not for release. */
export function exactItemCovariance(
  shoppers: readonly ShopperHistory[],
  catalog: ItemCatalog,
  items: readonly string[],
): Float64Array {
  checkTotal(shoppers.length);
  const n = items.length;
  const position = listPositions(items, catalog);
  const sums = new Float64Array((n * (n + 1)) / 2);
  const mine = new Int32Array(n);
  for (const shopper of shoppers) {
    let c = 0;
    for (const item of shopper.items) {
      const p = position[item] as number;
      if (p >= 0) mine[c++] = p;
    }
    if (c === 0) continue;
    const own = mine.subarray(0, c).sort();
    const k = covarianceWeight(c);
    for (let a = 0; a < c; a++) {
      const i = own[a] as number;
      const row = i * n - (i * (i - 1)) / 2 - i;
      for (let b = a; b < c; b++) {
        const at = row + (own[b] as number);
        sums[at] = (sums[at] as number) + k;
      }
    }
  }
  return sums;
}

/** DP weighted item × item covariance over a public item list (every pair released, zeros included). */
export function releaseItemCovariance(
  shoppers: readonly ShopperHistory[],
  catalog: ItemCatalog,
  items: readonly string[],
  options: { readonly rho: RationalInput },
  rng: RandomSource,
): ItemStatistic {
  if (items.length === 0) throw new AppError('RECO_BAD_INPUT', 'the item list for a covariance release is empty');
  const exact = exactItemCovariance(shoppers, catalog, items);
  return noisy('itemCovariance', 'upper-triangle', items, exact, exact.length, options.rho, rng);
}

/**
 * A shopper's own zCDP cost in a statistic (individual accounting, Feldman–Zrnic): the privacy map
 * at their own contribution's L2 norm, k²·touched/(2σ²) ≤ ρ, for a shopper with c items in the
 * statistic's list (0 if they bought none of them).
 */
export function individualRho(statistic: ItemStatistic, c: number): Rational {
  if (c === 0) return rational(0n);
  const k = BigInt(statistic.metric === 'itemSupport' ? supportWeight(c) : covarianceWeight(c));
  const touched = statistic.metric === 'itemSupport' ? BigInt(c) : (BigInt(c) * BigInt(c + 1)) / 2n;
  return divRational(rational(k * k * touched), mulRational(rational(2n), statistic.sigmaSquared));
}
