import { describe, expect, it } from 'vitest';
import {
  discreteGaussianHalfWidth95,
  discreteGaussianVariance,
  discreteLaplaceHalfWidth95,
  discreteLaplaceVariance,
} from './intervals.ts';

describe('95% intervals of the release noise', () => {
  it('gives the discrete Gaussian half-width within one unit of 1.96σ, with exact coverage', () => {
    for (const sigma of [0.5, 1, 4.48, 10, 44.7, 300]) {
      const h = discreteGaussianHalfWidth95(sigma * sigma);
      expect(Math.abs(h - 1.96 * sigma)).toBeLessThanOrEqual(1.01);
      // Coverage at h ≥ 0.95 and at h − 1 < 0.95 (smallest such h), by direct summation.
      const w = (z: number): number => Math.exp(-(z * z) / (2 * sigma * sigma));
      let total = 1;
      for (let z = 1; z < 50 * sigma + 50; z++) total += 2 * w(z);
      const cover = (k: number): number => {
        let c = 1;
        for (let z = 1; z <= k; z++) c += 2 * w(z);
        return c / total;
      };
      expect(cover(h)).toBeGreaterThanOrEqual(0.95);
      if (h > 0) expect(cover(h - 1)).toBeLessThan(0.95);
    }
  });

  it('gives the discrete Laplace half-width from its closed form', () => {
    for (const t of [1, 2.5, 8, 100]) {
      const h = discreteLaplaceHalfWidth95(t);
      const q = Math.exp(-1 / t);
      const cover = (k: number): number => 1 - (2 * q ** (k + 1)) / (1 + q);
      expect(cover(h)).toBeGreaterThanOrEqual(0.95);
      if (h > 0) expect(cover(h - 1)).toBeLessThan(0.95);
    }
  });

  it('computes variances: the discrete Gaussian at most σ², the discrete Laplace 2q/(1−q)²', () => {
    for (const s2 of [0.25, 1, 20, 2000]) {
      const v = discreteGaussianVariance(s2);
      expect(v).toBeLessThanOrEqual(s2 * (1 + 1e-12));
      if (s2 >= 1) expect(v).toBeGreaterThan(s2 * 0.999);
    }
    expect(discreteLaplaceVariance(8)).toBeCloseTo((2 * Math.exp(-1 / 8)) / (1 - Math.exp(-1 / 8)) ** 2, 9);
    expect(() => discreteGaussianHalfWidth95(0)).toThrow(/expected a positive number/);
  });
});
