import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { rational } from '../../privacy/rational.ts';
import { makeDiscreteGaussianSampler } from '../../privacy/samplers/discrete-gaussian.ts';
import { buildItemModel } from './model.ts';
import type { PooledStatistic } from './pooling.ts';
import { prepareScorer, recommend } from './scoring.ts';
import { GRANULARITY } from './statistics.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

const G = 65_536;
const CATALOG = Array.from({ length: 60 }, (_, i) => String(10000 + i));

function supports(values: number[], variance: bigint): PooledStatistic {
  return {
    metric: 'itemSupport',
    layout: 'cells',
    items: CATALOG,
    values: Float64Array.from(values),
    granularity: GRANULARITY,
    variance: rational(variance),
    stores: 1,
    rhoPerStore: [],
  };
}

/** An upper triangle over the first n catalog items: signal (real units, a function of i, j) + N_ℤ(0, σ²) noise in integer units. */
function covariance(n: number, sigma: number, signal: (i: number, j: number) => number, seed: string): PooledStatistic {
  const rng = new SeededRandomSource(seed);
  const sample = makeDiscreteGaussianSampler(BigInt(sigma * sigma), 1n);
  const values: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) values.push(Math.round(signal(i, j) * G) + Number(sample(rng)));
  return {
    metric: 'itemCovariance',
    layout: 'upper-triangle',
    items: CATALOG.slice(0, n),
    values: Float64Array.from(values),
    granularity: GRANULARITY,
    variance: rational(BigInt(sigma * sigma)),
    stores: 1,
    rhoPerStore: [],
  };
}

const popularity = CATALOG.map((_, i) => (100 - i) * G);

describe('buildItemModel: a weak model is exactly popularity', () => {
  it('on pure noise keeps no component in ≥ 38 of 40 seeded releases, and then ranks by popularity', () => {
    let empty = 0;
    for (let s = 0; s < 40; s++) {
      const seed = `noise-${s}`;
      const model = buildItemModel(
        {
          supports: [supports(popularity, 4n * BigInt(G) * BigInt(G))],
          covariance: covariance(40, 5 * G, () => 0, seed),
        },
        { shrinkage: 3 },
      );
      if (model.rank > 0) continue;
      empty++;
      expect(model.blend, seed).toBe(0);
      const scorer = prepareScorer(model);
      const history = { items: Int32Array.from([3, 7]), invoices: Int32Array.from([1, 1]) };
      // Popularity order minus the owned items 3 and 7: 0, 1, 2, 4, 5, 6, 8, …
      expect(Array.from(recommend(scorer, history, { k: 6, mode: 'new' })), seed).toEqual([0, 1, 2, 4, 5, 6]);
    }
    expect(empty).toBeGreaterThanOrEqual(38);
  });
});

describe('buildItemModel: spectral cleaning', () => {
  it('recovers a planted spike: eigenvalue λ from y = λ + Ns²/λ, and its overlap', () => {
    const n = 40;
    const sigma = 2 * G; // real-unit noise s = 2
    const v = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) / Math.sqrt(n));
    const lambda = 60; // SNR λ/(s√N) ≈ 4.7: well above the edge
    const model = buildItemModel(
      {
        supports: [supports(popularity, 1n)],
        covariance: covariance(n, sigma, (i, j) => lambda * (v[i] as number) * (v[j] as number), 'spike-1'),
      },
      { shrinkage: 0 },
    );
    expect(model.rank, 'seed spike-1').toBe(1);
    const r = model.diagnostics.overlaps[0] as number;
    const estimated = (model.weights[0] as number) / r;
    expect(Math.abs(estimated - lambda) / lambda, 'seed spike-1').toBeLessThan(0.1);
    expect(r).toBeCloseTo(1 - (n * 4) / (estimated * estimated), 6);
    let dot = 0;
    for (let p = 0; p < n; p++) dot += (model.factors[p] as number) * (v[p] as number);
    expect(Math.abs(dot * dot - r), 'seed spike-1').toBeLessThan(0.08);
    expect(model.blend).toBeCloseTo(r, 9);
  });

  it('folds the covariance diagonal into the popularity prior by inverse variance', () => {
    const n = 4;
    const model = buildItemModel(
      {
        supports: [supports(popularity, BigInt(G) * BigInt(G))],
        covariance: covariance(n, G, (i, j) => (i === j ? 2 * (100 - i) : 0), 'diag-1'),
      },
      { shrinkage: 0 },
    );
    // κ ≈ 2: the diagonal measures twice the support with the same noise: precision 1 + κ² = 5×.
    for (let i = 0; i < n; i++)
      expect(Math.abs((model.popularity[i] as number) - (100 - i)), 'seed diag-1').toBeLessThan(2);
  });
});

describe('symmetricEigen', () => {
  it('decomposes a random symmetric matrix: A v = λ v, orthonormal, descending', () => {
    const rng = new SeededRandomSource('eigen-1');
    const n = 30;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const x = rng.nextUint32() / 2 ** 32 - 0.5;
        a[i * n + j] = x;
        a[j * n + i] = x;
      }
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 0; k < n; k++) {
      if (k > 0) expect(values[k] as number).toBeLessThanOrEqual(values[k - 1] as number);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += (a[i * n + j] as number) * (vectors[k * n + j] as number);
        expect(Math.abs(av - (values[k] as number) * (vectors[k * n + i] as number))).toBeLessThan(1e-12);
      }
      for (let l = 0; l <= k; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (vectors[k * n + i] as number) * (vectors[l * n + i] as number);
        expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it('handles a diagonal matrix and the empty one', () => {
    const { values } = symmetricEigen(Float64Array.from([1, 0, 0, 0, 3, 0, 0, 0, 2]), 3);
    expect(Array.from(values)).toEqual([3, 2, 1]);
    expect(symmetricEigen(new Float64Array(0), 0).values.length).toBe(0);
  });
});
