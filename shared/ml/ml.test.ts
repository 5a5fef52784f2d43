import { describe, expect, it } from 'vitest';
import { uniformUnit } from '../ports/random.ts';
import { SeededRandomSource } from '../testing/seeded-random.ts';
import { rocAuc } from './auc.ts';
import { correlationErrors, marginalErrors, pearson, totalVariation } from './fidelity.ts';
import { fitLogistic, predictLogistic } from './logistic-regression.ts';
import { nearestDistances, summariseDistances } from './nearest-neighbour.ts';

describe('ROC AUC', () => {
  it('is the Mann–Whitney probability, ties counting one half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.2, 0.2, 0.9], [0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });
});

describe('logistic regression', () => {
  it('recovers the coefficients of a logistic model (seeded, 20,000 rows)', () => {
    const seed = 3;
    const rng = new SeededRandomSource(seed);
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const row = [uniformUnit(rng) * 4 - 2, uniformUnit(rng) * 4 - 2];
      const p = 1 / (1 + Math.exp(-(0.5 + 1.5 * (row[0] as number) - 1 * (row[1] as number))));
      x.push(row);
      y.push(uniformUnit(rng) < p ? 1 : 0);
    }
    const model = fitLogistic(x, y, { l2: 0 });
    // Coefficients are on standardised inputs: w_j·sd_j recovers the raw slopes.
    const slope0 = (model.weights[0] as number) / (model.scale[0] as number);
    const slope1 = (model.weights[1] as number) / (model.scale[1] as number);
    expect(slope0, `seed ${seed}`).toBeCloseTo(1.5, 0);
    expect(Math.abs(slope0 - 1.5), `seed ${seed}`).toBeLessThan(0.1);
    expect(Math.abs(slope1 + 1), `seed ${seed}`).toBeLessThan(0.1);
    expect(predictLogistic(model, [0, 0])).toBeGreaterThan(0.55);
  });

  it('treats a soft label p like two rows of weights p and 1 − p', () => {
    const x = [[0], [1], [2], [3]];
    const soft = fitLogistic(x, [0.2, 0.4, 0.7, 0.9]);
    const doubled = fitLogistic([...x, ...x], [1, 1, 1, 1, 0, 0, 0, 0], {
      rowWeights: [0.2, 0.4, 0.7, 0.9, 0.8, 0.6, 0.3, 0.1],
    });
    for (const q of [-1, 0.5, 4]) expect(predictLogistic(soft, [q])).toBeCloseTo(predictLogistic(doubled, [q]), 6);
  });
});

describe('fidelity metrics', () => {
  it('are 0 for identical tables and grow when a relation or a marginal is broken', () => {
    const features = [
      [0.1, 0.15],
      [0.5, 0.45],
      [0.9, 0.95],
      [0.3, 0.25],
    ];
    const labels = [0, 1, 1, 0];
    expect(marginalErrors({ features, labels }, { features, labels })).toEqual({ mean: 0, max: 0 });
    expect(correlationErrors({ features, labels }, { features, labels }).max).toBeCloseTo(0, 12);
    const flipped = features.map(([a, b]) => [a as number, 1 - (b as number)]);
    expect(correlationErrors({ features, labels }, { features: flipped, labels }).max).toBeGreaterThan(1.5);
    expect(totalVariation([0.5, 0.5, 0], [0, 0.5, 0.5])).toBe(0.5);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
  });

  it('measures the distance to the closest record, counting exact copies', () => {
    const reference = [
      [0, 0],
      [1, 1],
    ];
    const d = nearestDistances(
      [
        [0, 0],
        [0.3, 0.4],
        [1, 2],
      ],
      reference,
    );
    expect(d).toEqual([0, 0.5, 1]);
    expect(summariseDistances(d)).toEqual({ median: 0.5, p05: 0, min: 0, exactMatches: 1, rows: 3 });
  });
});
