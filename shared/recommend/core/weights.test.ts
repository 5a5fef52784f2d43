import { describe, expect, it } from 'vitest';
import { covarianceWeight, floorSqrt, supportWeight, WEIGHT_SCALE } from './weights.ts';

const G2 = BigInt(WEIGHT_SCALE) ** 2n;

describe('per-shopper weights (Theorems S and C, docs/recommender.md §2)', () => {
  it('bound the L2 contribution by G exactly, and are the largest integers that do, for every c ≤ 10^5', () => {
    for (let c = 1; c <= 100_000; c++) {
      const ks = BigInt(supportWeight(c));
      const kc = BigInt(covarianceWeight(c));
      const n = BigInt(c);
      const pairs = (n * (n + 1n)) / 2n;
      // Theorem S: k_s² · c ≤ G²; Theorem C: k_c² · c(c+1)/2 ≤ G².
      if (ks * ks * n > G2 || kc * kc * pairs > G2) throw new Error(`bound fails at c = ${c}`);
      // Tight: one more unit would break the bound (so the rounding loses less than 1/G per shopper).
      if ((ks + 1n) * (ks + 1n) * n <= G2 || (kc + 1n) * (kc + 1n) * pairs <= G2)
        throw new Error(`not tight at c = ${c}`);
    }
  });

  it('give a single-item shopper the full unit (each value changes by at most G)', () => {
    expect(supportWeight(1)).toBe(WEIGHT_SCALE);
    expect(covarianceWeight(1)).toBe(WEIGHT_SCALE);
    expect(covarianceWeight(2)).toBe(Math.floor(WEIGHT_SCALE / Math.sqrt(3)));
  });

  it('floorSqrt is exact near perfect squares', () => {
    for (const r of [1, 2, 94_906_265, 2 ** 26 - 1]) {
      expect(floorSqrt(r * r)).toBe(r);
      expect(floorSqrt(r * r - 1)).toBe(r - 1);
    }
    expect(() => supportWeight(0)).toThrow('item count is 0');
  });
});
