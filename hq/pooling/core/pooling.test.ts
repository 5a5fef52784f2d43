import { describe, expect, it } from 'vitest';
import { makeDiscreteGaussian } from '../../../shared/privacy/mechanisms/discrete-gaussian.ts';
import { makeDiscreteLaplace } from '../../../shared/privacy/mechanisms/discrete-laplace.ts';
import { rational } from '../../../shared/privacy/rational.ts';
import { uniformUnit } from '../../../shared/ports/random.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import type { CellAggregateRow } from '../../storage/hq-store.ts';
import {
  differenceEstimate,
  estimate,
  guaranteedHalfWidth95,
  rateEstimate,
  ratioEstimate,
  sumEstimates,
} from './intervals.ts';
import { laplaceVariance, noiseVariance } from './noise-variance.ts';
import { poolCells } from './pool-cells.ts';

/** Exact moments by summing the probability mass function out to where it is below 10⁻³⁰. */
function pmfVariance(weight: (x: number) => number, limit: number): number {
  let z = weight(0);
  let m2 = 0;
  for (let x = 1; x <= limit; x++) {
    z += 2 * weight(x);
    m2 += 2 * x * x * weight(x);
  }
  return m2 / z;
}

describe('noise variance of a released value (docs/hq-pooling.md §1)', () => {
  it('discrete Laplace: 2q/(1 − q)² with q = e^(−1/t) equals the variance of the pmf', () => {
    for (const t of [0.3, 1, 3.5, 20, 400]) {
      const exact = pmfVariance((x) => Math.exp(-x / t), Math.ceil(80 * t) + 10);
      expect(Math.abs(laplaceVariance(t) - exact) / exact).toBeLessThan(1e-9);
    }
  });

  it('discrete Gaussian: the carried σ² bounds the variance of N_ℤ(0, σ²) and is tight for σ ≥ 1', () => {
    for (const s2 of [0.25, 0.5, 1, 2, 30, 350]) {
      const exact = pmfVariance((x) => Math.exp(-(x * x) / (2 * s2)), Math.ceil(15 * Math.sqrt(s2)) + 5);
      expect(exact).toBeLessThanOrEqual(s2);
      if (s2 >= 1) expect((s2 - exact) / s2).toBeLessThan(1e-6);
    }
  });

  it('scales by the granularity squared, exactly for the Gaussian bound', () => {
    const v = noiseVariance({ mechanism: 'discrete-gaussian', sigmaSquared: rational(80n) }, rational(1n, 4n));
    expect(v.exactBound).toEqual(rational(5n));
    expect(v.variance).toBe(5);
  });
});

function row(overrides: Partial<CellAggregateRow>): CellAggregateRow {
  return {
    localStart: '2026-11-28T00:00',
    windowLabel: '2026-11-28',
    windowUnit: 'day',
    store: null,
    metric: 'shoppers',
    cell: 'bakery',
    granularity: '1',
    total: 0n,
    variance: 0,
    values: 1,
    ...overrides,
  };
}

describe('pooling cells across stores', () => {
  it('adds integer sums of different granularities exactly (Σ value·g) and their variances', () => {
    const pooled = poolCells([
      row({ total: 7n, granularity: '1/4', variance: 2, values: 2 }),
      row({ total: 3n, granularity: '1', variance: 5, values: 1 }),
      row({ cell: 'dairy', total: -2n, variance: 1 }),
    ]);
    expect(pooled).toHaveLength(2);
    const bakery = pooled.find((p) => p.cell === 'bakery');
    expect(bakery?.exact).toEqual(rational(19n, 4n));
    expect(bakery?.value).toBe(4.75);
    expect(bakery?.variance).toBe(7);
    expect(bakery?.values).toBe(3);
    expect(bakery?.halfWidth95).toBeCloseTo(1.959963984540054 * Math.sqrt(7), 12);
  });
});

/** Coverage of an interval over many seeded trials; the seed is in the failure message. */
function coverage(trials: number, seed: string, trial: (rng: SeededRandomSource) => boolean): number {
  const rng = new SeededRandomSource(seed);
  let hits = 0;
  for (let i = 0; i < trials; i++) if (trial(rng)) hits++;
  return hits / trials;
}

describe('95% intervals of pooled figures cover the truth (statistical, fixed seeds)', () => {
  const TRIALS = 3000;
  // Binomial standard error of a 95% coverage over 3000 trials is 0.004: ±0.015 is > 3.5 SE.
  const near95 = (c: number, seed: string) => {
    expect(c, `seed ${seed}: coverage ${c}`).toBeGreaterThan(0.935);
    expect(c, `seed ${seed}: coverage ${c}`).toBeLessThan(0.965);
  };

  it('sums of discrete Gaussian noise from 1, 5 and 50 stores', () => {
    for (const stores of [1, 5, 50]) {
      const seed = `pool-gauss-${stores}`;
      const sigmas = Array.from({ length: stores }, (_, s) => 20n + BigInt(s % 7) * 40n);
      const mechanisms = sigmas.map((s2) => makeDiscreteGaussian({ sigmaSquared: s2 }));
      const truth = sigmas.map((_, s) => 100 + 13 * s);
      const c = coverage(TRIALS, seed, (rng) => {
        const parts = mechanisms.map((m, s) =>
          estimate(m.release([truth[s] as number], rng)[0] as number, Number(sigmas[s])),
        );
        const pooled = sumEstimates(parts);
        const t = truth.reduce((a, b) => a + b, 0);
        return pooled.low <= t && t <= pooled.high;
      });
      near95(c, seed);
    }
  });

  it('the subgaussian interval ±2.716·σ_S covers at least 95% (guaranteed, not approximate)', () => {
    const seed = 'pool-subgauss';
    const m = makeDiscreteGaussian({ sigmaSquared: 3n });
    const c = coverage(TRIALS, seed, (rng) => Math.abs(m.release([0], rng)[0] as number) <= guaranteedHalfWidth95(3));
    expect(c, `seed ${seed}`).toBeGreaterThanOrEqual(0.95);
  });

  it('sums of discrete Laplace noise from 10 stores', () => {
    const seed = 'pool-laplace';
    const m = makeDiscreteLaplace({ scale: 8n });
    const v = laplaceVariance(8);
    const c = coverage(TRIALS, seed, (rng) => {
      const pooled = sumEstimates(Array.from({ length: 10 }, () => estimate(m.release([50], rng)[0] as number, v)));
      return pooled.low <= 500 && 500 <= pooled.high;
    });
    near95(c, seed);
  });

  it('a ratio (repeat share) by the delta method, pooled over 5 stores', () => {
    const seed = 'pool-ratio';
    const m = makeDiscreteGaussian({ sigmaSquared: 200n });
    const a = [120, 300, 80, 210, 150];
    const b = [400, 700, 300, 520, 450];
    const truth = a.reduce((x, y) => x + y, 0) / b.reduce((x, y) => x + y, 0);
    const c = coverage(TRIALS, seed, (rng) => {
      const num = sumEstimates(a.map((t) => estimate(m.release([t], rng)[0] as number, 200)));
      const den = sumEstimates(b.map((t) => estimate(m.release([t], rng)[0] as number, 200)));
      const r = ratioEstimate(num, den);
      return r.reliable && r.low <= truth && truth <= r.high;
    });
    near95(c, seed);
  });

  it('offer lift: DP noise and binomial sampling of who redeems', () => {
    const seed = 'pool-lift';
    const m = makeDiscreteGaussian({ sigmaSquared: 50n });
    const [pP, pH, nP, nH] = [0.14, 0.09, 3000, 900];
    const c = coverage(TRIALS, seed, (rng) => {
      const draw = (n: number, p: number) => {
        let k = 0;
        for (let i = 0; i < n; i++) if (uniformUnit(rng) < p) k++;
        return k;
      };
      const noisy = (x: number) => estimate(m.release([x], rng)[0] as number, 50);
      const lift = differenceEstimate(
        rateEstimate(noisy(draw(nP, pP)), noisy(nP)),
        rateEstimate(noisy(draw(nH, pH)), noisy(nH)),
      );
      return lift.low <= pP - pH && pP - pH <= lift.high;
    });
    near95(c, seed);
  });

  it('flags a ratio whose denominator is lost in its noise', () => {
    expect(ratioEstimate(estimate(3, 100), estimate(10, 100)).reliable).toBe(false);
    expect(ratioEstimate(estimate(300, 100), estimate(1000, 100)).reliable).toBe(true);
    expect(Number.isNaN(ratioEstimate(estimate(3, 1), estimate(-4, 1)).value)).toBe(true);
  });
});
