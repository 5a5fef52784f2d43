import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { rational } from '../../privacy/rational.ts';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { planSynthesis } from './calibrate.ts';
import { noisyCellSums } from './cluster.ts';
import { encodeRows, makeLayout } from './encode.ts';
import { fitSynthesizer } from './fit.ts';
import { sampleRows } from './model.ts';
import { discreteGaussianHalfWidth95 } from './noise.ts';
import { TOY_SCHEMA, toyRows } from '../../testing/synth-tables.ts';

const layout = makeLayout(TOY_SCHEMA);

/** Φ, the standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; |error| < 1.5e-7). */
function phi(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe('fitting the synthesizer', () => {
  it('fits, keeps the label classes apart, and draws the requested rows in the schema layout', () => {
    const seed = 21;
    const rng = new SeededRandomSource(seed);
    const table = encodeRows(layout, toyRows(rng, 3000));
    const fit = fitSynthesizer(table, { epsilon: 2, delta: 1e-6 }, { iterations: 3, clustersPerClass: 2 }, rng);
    expect(fit.plan.cost.epsilon).toBeLessThanOrEqual(2);
    expect(fit.clustering.releases.length).toBe(2 + 2 * 2 * 2);
    expect(fit.model.components.length, `seed ${seed}`).toBeGreaterThan(4);
    const rows = sampleRows(fit.model, rng, 500);
    expect(rows.length).toBe(500);
    for (const row of rows) {
      expect(row.length).toBe(6);
      expect(typeof row[0]).toBe('number');
      expect(['no', 'yes']).toContain(row[3]);
      expect(['red', 'green', 'blue']).toContain(row[4]);
      expect(['0', '1']).toContain(row[5]);
    }
    // The label-1 rows have the larger "a" (the toy table's signal survives at ε = 2).
    const meanA = (y: string): number => {
      const picked = rows.filter((r) => r[5] === y);
      return picked.reduce((s, r) => s + (r[0] as number), 0) / picked.length;
    };
    expect(meanA('1') - meanA('0'), `seed ${seed}`).toBeGreaterThan(1.5);
  });

  it('refuses too few rows, saying the minimum', () => {
    const rng = new SeededRandomSource(3);
    const table = encodeRows(layout, toyRows(rng, 50));
    try {
      fitSynthesizer(table, { epsilon: 1, delta: 1e-6 }, {}, rng);
      throw new Error('expected SYNTH_TOO_FEW_ROWS');
    } catch (error) {
      expect(isAppError(error, 'SYNTH_TOO_FEW_ROWS')).toBe(true);
      const plan = planSynthesis(layout, { epsilon: 1, delta: 1e-6 });
      expect((error as Error).message).toContain(`the table has 50 rows, expected at least ${plan.minRows} for ε = `);
      expect((error as Error).message).toContain(`groups of m = ${plan.groupSize} records`);
    }
  });

  it('draws noise of variance σ² on every released integer (statistical, fixed seed)', () => {
    const seed = 8;
    const rng = new SeededRandomSource(seed);
    const table = encodeRows(layout, toyRows(rng, 100));
    const step = { sigmaSquared: rational(2500n) };
    const exact = noisyCellSums(table, () => 0, 1, { sigmaSquared: rational(1n, 1024n) }, rng)[0] as number[];
    let sum = 0;
    let sumSq = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const noisy = noisyCellSums(table, () => 0, 1, step, rng)[0] as number[];
      noisy.forEach((v, j) => {
        const e = v - (exact[j] as number);
        sum += e;
        sumSq += e * e;
      });
    }
    const n = trials * exact.length;
    // Var of the sample variance ≈ 2σ⁴/n: a 6-sd band.
    expect(Math.abs(sumSq / n - 2500), `seed ${seed}`).toBeLessThan(6 * 2500 * Math.sqrt(2 / n));
    expect(Math.abs(sum / n), `seed ${seed}`).toBeLessThan(6 * 50 * Math.sqrt(1 / n));
  });

  it("an attacker's best test for one record is no better than the Gaussian bound μ = Δ/σ allows", () => {
    // Neighbours D and D' = D + x, x at the norm bound; the attacker knows everything but the
    // noise and projects the released cell onto x (the Neyman–Pearson test). With μ = 1, at a 5%
    // false-positive rate the power is at most Φ(μ − 1.645) = 0.259 (Dong, Roth, Su: GDP).
    const seed = 13;
    const rng = new SeededRandomSource(seed);
    const base = toyRows(rng, 30);
    const extra = [10, 1000, 1, 'yes', 'blue', '1'];
    const d = encodeRows(layout, base);
    const dPrime = encodeRows(layout, [...base, extra]);
    const delta2 = Number(layout.featureNormSquared);
    const sigmaSquared = rational(layout.featureNormSquared); // μ = Δ/σ = 1
    const x = [...layout.featureIndexes, layout.countIndex].map((j) => dPrime.values[30 * layout.dim + j] as number);
    const exact = noisyCellSums(d, () => 0, 1, { sigmaSquared: rational(1n, 1024n) }, rng)[0] as number[];
    const project = (v: readonly number[]): number =>
      v.reduce((s, value, j) => s + (value - (exact[j] as number)) * (x[j] as number), 0) / Math.sqrt(delta2);
    const trials = 3000;
    const nulls: number[] = [];
    const alternatives: number[] = [];
    for (let t = 0; t < trials; t++) {
      nulls.push(project(noisyCellSums(d, () => 0, 1, { sigmaSquared }, rng)[0] as number[]));
      alternatives.push(project(noisyCellSums(dPrime, () => 0, 1, { sigmaSquared }, rng)[0] as number[]));
    }
    const threshold = [...nulls].sort((a, b) => a - b)[Math.floor(0.95 * trials)] as number;
    const power = alternatives.filter((s) => s > threshold).length / trials;
    const bound = phi(1 - 1.6448536269514722);
    expect(power, `seed ${seed}`).toBeLessThan(bound + 0.04);
    expect(power, `seed ${seed}: the bound is tight, the attack is real`).toBeGreaterThan(bound - 0.04);
  });

  it('states the 95% half-width of the discrete Gaussian', () => {
    expect(discreteGaussianHalfWidth95(1)).toBe(2);
    expect(discreteGaussianHalfWidth95(100)).toBe(196);
    expect(discreteGaussianHalfWidth95(1e6)).toBe(1_959_964);
  });
});
