import { describe, expect, it } from 'vitest';
import { rational } from '../../privacy/rational.ts';
import type { SynthPlan } from './calibrate.ts';
import type { Clustering } from './cluster.ts';
import type { GroupRelease } from './groups.ts';
import { reconcileGroups } from './reconcile.ts';

const centroid = new Float64Array(1);

function group(labelClass: number, sums: number[]): GroupRelease {
  return { labelClass, centroid, group: 0, noisySums: sums };
}

describe('reconciling group sums with the released class totals', () => {
  it('moves each group by σ_g²/(B·σ_g² + σ₀²) of the gap, so the class sum becomes the precision-weighted total', () => {
    const plan = {
      clustering: { sigmaSquared: rational(300n), sigma: 0, rho: rational(1n) },
      groups: { sigmaSquared: rational(100n), sigma: 0, rho: rational(1n) },
    } as unknown as SynthPlan;
    const clustering: Clustering = {
      centroids: [],
      counts: [],
      releases: [
        { iteration: 1, labelClass: 0, noisySums: [600, 60] },
        { iteration: 1, labelClass: 1, noisySums: [50, 5] },
        { iteration: 2, labelClass: 0, noisySums: [9999, 9999] },
      ],
    };
    const groups = [group(0, [100, 10]), group(0, [200, 20]), group(0, [0, 0]), group(1, [40, 4])];
    const out = reconcileGroups(groups, clustering, plan);
    // Class 0: B = 3, w = 100/(300 + 300) = 1/6, gap = (600 − 300, 60 − 30) = (300, 30).
    expect(out.slice(0, 3).map((g) => g.noisySums)).toEqual([
      [150, 15],
      [250, 25],
      [50, 5],
    ]);
    // Σ g̃ = ½·Σĝ + ½·T̂: the inverse-variance weights 1/(3·100) and 1/300 are equal.
    expect(out.slice(0, 3).reduce((s, g) => s + (g.noisySums[0] as number), 0)).toBe((300 + 600) / 2);
    // Class 1: B = 1, w = 100/400, gap = 10.
    expect(out[3]?.noisySums).toEqual([42.5, 4.25]);
    expect(groups[0]?.noisySums).toEqual([100, 10]);
  });
});
