import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { zcdpToApproxDp } from '../../privacy/conversions.ts';
import { compareRational, rational, rationalToNumberUp } from '../../privacy/rational.ts';
import { rhoForEpsilon } from './budget.ts';
import { buildCatalog, type ShopperHistory } from './histories.ts';
import {
  calibrateNoise,
  exactItemCovariance,
  exactItemSupports,
  individualRho,
  releaseItemCovariance,
  releaseItemSupports,
  triangleIndex,
} from './statistics.ts';
import { covarianceWeight, supportWeight, WEIGHT_SCALE } from './weights.ts';

const catalog = buildCatalog(['10001', '10002', '10003', '10004', '10005']);
const shopper = (id: string, items: number[]): ShopperHistory => ({
  shopperId: id,
  items: Int32Array.from(items),
  invoices: Int32Array.from(items, () => 1),
});

/** ‖a − b‖₂² over two value vectors. */
function l2Squared(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return s;
}

describe('exact statistics', () => {
  const shoppers = [shopper('a', [0, 1]), shopper('b', [1, 2, 4]), shopper('c', [3])];

  it('sum the weights as the definitions say', () => {
    const supports = exactItemSupports(shoppers, catalog);
    expect(Array.from(supports)).toEqual([
      supportWeight(2),
      supportWeight(2) + supportWeight(3),
      supportWeight(3),
      supportWeight(1),
      supportWeight(3),
    ]);
    const items = ['10002', '10001', '10005'];
    const cov = exactItemCovariance(shoppers, catalog, items);
    expect(cov.length).toBe(6);
    // positions: 10002 → 0, 10001 → 1, 10005 → 2; b has 10002 and 10005 in the list (c = 2).
    expect(cov[triangleIndex(0, 0, 3)]).toBe(covarianceWeight(2) + covarianceWeight(2));
    expect(cov[triangleIndex(0, 1, 3)]).toBe(covarianceWeight(2));
    expect(cov[triangleIndex(0, 2, 3)]).toBe(covarianceWeight(2));
    expect(cov[triangleIndex(1, 2, 3)]).toBe(0);
    expect(cov[triangleIndex(2, 2, 3)]).toBe(covarianceWeight(2));
  });

  it('change by at most G in L2 when one shopper is added or removed (Theorems S and C)', () => {
    const items = catalog.codes;
    const arb = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }), {
      minLength: 0,
      maxLength: 12,
    });
    fc.assert(
      fc.property(arb, fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }), (rest, mine) => {
        const others = rest.map((it, i) => shopper(`s${i}`, [...it].sort()));
        const withMe = [...others, shopper('me', [...mine].sort())];
        const g2 = WEIGHT_SCALE * WEIGHT_SCALE;
        const ds = l2Squared(exactItemSupports(withMe, catalog), exactItemSupports(others, catalog));
        const dc = l2Squared(exactItemCovariance(withMe, catalog, items), exactItemCovariance(others, catalog, items));
        return ds <= g2 && dc <= g2;
      }),
      { seed: 15, numRuns: 300 },
    );
  });
});

describe('noise calibration', () => {
  it('never exceeds the requested ρ and loses less than 2/σ of it', () => {
    for (const rho of [rational(1n, 10_000n), rhoForEpsilon(1, 1e-6), rational(1n, 2n), rational(7n, 3n)]) {
      const { sigmaSquared, rho: actual } = calibrateNoise(rho);
      expect(compareRational(actual, rho)).toBeLessThanOrEqual(0);
      const sigma = Math.sqrt(rationalToNumberUp(sigmaSquared));
      expect(rationalToNumberUp(actual) / rationalToNumberUp(rho)).toBeGreaterThan(1 - 2 / sigma);
      // σ² = t(t−1) with t = ⌊σ⌋ + 1: the sampler's fast path.
      const t = BigInt(Math.floor(Math.sqrt(Number(sigmaSquared.num)))) + 1n;
      expect(sigmaSquared.num).toBe(t * (t - 1n));
    }
  });

  it('ε = 1, δ = 10^-6 is ρ ≈ 0.02436, and the model costs no more than that', () => {
    const rho = rhoForEpsilon(1, 1e-6);
    expect(rationalToNumberUp(rho)).toBeCloseTo(0.024356, 5);
    expect(zcdpToApproxDp(rho, 1e-6).epsilon).toBeLessThanOrEqual(1);
    expect(zcdpToApproxDp(rational(rho.num * 1001n, rho.den * 1000n), 1e-6).epsilon).toBeGreaterThan(1);
  });

  it('charges each shopper at most ρ, and exactly their own contribution (individual accounting)', () => {
    const stat = releaseItemSupports([shopper('a', [0])], catalog, { rho: '0.01' }, new SeededRandomSource(1));
    for (let c = 1; c <= 5; c++) expect(compareRational(individualRho(stat, c), stat.rho)).toBeLessThanOrEqual(0);
    expect(individualRho(stat, 0)).toEqual(rational(0n));
  });
});

describe('released statistics', () => {
  const seed = 'reco-noise-1';
  const shoppers = [shopper('a', [0, 1]), shopper('b', [1, 2, 4])];

  it('add independent noise of the stated variance to every value (seeded, tolerance 5 %)', () => {
    const rng = new SeededRandomSource(seed);
    const exact = exactItemSupports(shoppers, catalog);
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    let sigma2 = 0;
    for (let run = 0; run < 400; run++) {
      const stat = releaseItemSupports(shoppers, catalog, { rho: '0.5' }, rng);
      sigma2 = rationalToNumberUp(stat.sigmaSquared);
      stat.values.forEach((v, i) => {
        const noise = v - (exact[i] as number);
        sum += noise;
        sumSq += noise * noise;
        n++;
      });
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    expect(Math.abs(mean) / Math.sqrt(sigma2 / n), `seed ${seed}`).toBeLessThan(5);
    expect(Math.abs(variance / sigma2 - 1), `seed ${seed}`).toBeLessThan(0.05);
  });

  it('state what a v2 measure needs: sensitivity, ρ, granularity, half-width', () => {
    const stat = releaseItemCovariance(
      shoppers,
      catalog,
      ['10002', '10003'],
      { rho: '0.02' },
      new SeededRandomSource(2),
    );
    expect(stat.values.length).toBe(3);
    expect(stat.sensitivity).toEqual({ l0: 3, lInf: 65536n, l2Squared: 65536n ** 2n });
    expect(stat.halfWidth95).toBeCloseTo((1.96 * stat.sigma) / WEIGHT_SCALE, 3);
    // σ = G/√(2ρ) in integer units, so 1/√(2ρ) in real units.
    expect(stat.sigma / WEIGHT_SCALE).toBeCloseTo(1 / Math.sqrt(0.04), 3);
  });

  it('an attacker testing "is this shopper in?" does no better than the Gaussian bound allows', () => {
    // Neighbouring datasets differ by one single-item shopper (the worst case: shift G on one value).
    // The optimal test thresholds the shifted value; its true-positive rate at a 5 % false-positive
    // rate is Φ(G/σ − 1.645) for N(0, σ²) noise. Empirical TPR must not exceed it (plus 4 SE).
    const rng = new SeededRandomSource('attacker-1');
    const others = [shopper('a', [1, 2])];
    const withTarget = [...others, shopper('target', [0])];
    const rho = 0.5;
    const sigma = WEIGHT_SCALE / Math.sqrt(2 * rho);
    const base = exactItemSupports(others, catalog)[0] as number;
    const threshold = base + 1.645 * sigma;
    const trials = 4000;
    let hits = 0;
    for (let t = 0; t < trials; t++) {
      const released = releaseItemSupports(withTarget, catalog, { rho: String(rho) }, rng).values[0] as number;
      if (released > threshold) hits++;
    }
    const bound = normalCdf(WEIGHT_SCALE / sigma - 1.645);
    const se = Math.sqrt((bound * (1 - bound)) / trials);
    expect(hits / trials, 'seed attacker-1').toBeLessThan(bound + 4 * se);
    expect(hits / trials, 'seed attacker-1').toBeGreaterThan(bound - 4 * se);
  });
});

function normalCdf(x: number): number {
  // Abramowitz–Stegun 7.1.26 on erf: |error| < 1.5e-7.
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp((-x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}
