import { describe, expect, it } from 'vitest';
import { zcdpToApproxDp } from '../../privacy/conversions.ts';
import { addRational, compareRational, divRational, mulRational, rational } from '../../privacy/rational.ts';
import { gaussianStep, planSynthesis, rhoForEpsilon } from './calibrate.ts';
import { makeLayout } from './encode.ts';
import { TOY_SCHEMA } from '../../testing/synth-tables.ts';

describe('calibration from (ε, δ)', () => {
  it('ρ is the largest multiple of 1e-9 whose CKS ε stays within the target', () => {
    for (const [epsilon, delta] of [
      [1, 1e-6],
      [4, 1e-6],
      [0.5, 1e-9],
    ] as const) {
      const rho = rhoForEpsilon(epsilon, delta);
      expect(rho.den === 1_000_000_000n || 1_000_000_000n % rho.den === 0n).toBe(true);
      expect(zcdpToApproxDp(rho, delta).epsilon).toBeLessThanOrEqual(epsilon);
      expect(zcdpToApproxDp(addRational(rho, rational(1n, 1_000_000_000n)), delta).epsilon).toBeGreaterThan(epsilon);
    }
  });

  it('σ² = Δ2²/(2ρ) rounded up to 1/1024, so each step spends at most its ρ, stated exactly', () => {
    const step = gaussianStep(3_145_728n, rational(7n, 1000n));
    expect(step.sigmaSquared.den).toBeLessThanOrEqual(1024n);
    expect(compareRational(step.rho, rational(7n, 1000n))).toBeLessThanOrEqual(0);
    expect(step.rho).toEqual(divRational(rational(3_145_728n), mulRational(rational(2n), step.sigmaSquared)));
    // 3145728 / (2 · 0.007) = 224694857.142… → 224694857 + 147/1024 rounded up.
    expect(step.sigmaSquared).toEqual(rational(224_694_857n * 1024n + 147n, 1024n));
  });

  it('splits ρ between the iterations and the groups, and derives m from the noise target', () => {
    const layout = makeLayout(TOY_SCHEMA);
    const plan = planSynthesis(
      layout,
      { epsilon: 1, delta: 1e-6 },
      { iterations: 3, clustersPerClass: 2, clusterShare: 0.3, meanNoise: 0.2 },
    );
    const total = rhoForEpsilon(1, 1e-6);
    expect(plan.sensitivityL2Squared).toBe(layout.featureNormSquared);
    expect(plan.rho).toEqual(addRational(plan.groups.rho, mulRational(plan.clustering.rho, rational(3n))));
    expect(compareRational(plan.rho, total)).toBeLessThanOrEqual(0);
    expect(plan.cost.epsilon).toBeLessThanOrEqual(1);
    expect(plan.cost.epsilon).toBeGreaterThan(0.999);
    expect(plan.groupSize).toBe(Math.ceil(plan.groups.sigma / (1024 * 0.2)));
    expect(plan.meanNoise).toBeLessThanOrEqual(0.2);
    expect(plan.minRows).toBe(plan.groupSize * 2);
  });

  it('a unit of K records has Δ2² = K²·R², so σ grows K-fold', () => {
    const layout = makeLayout(TOY_SCHEMA);
    const one = planSynthesis(layout, { rho: rational(1n, 10n), delta: 1e-6 }, { maxRecordsPerUnit: 1 });
    const three = planSynthesis(layout, { rho: rational(1n, 10n), delta: 1e-6 }, { maxRecordsPerUnit: 3 });
    expect(three.sensitivityL2Squared).toBe(9n * one.sensitivityL2Squared);
    expect(three.groups.sigma / one.groups.sigma).toBeCloseTo(3, 3);
    expect(three.groupSize).toBe(Math.ceil(three.groups.sigma / (1024 * 0.15)));
    expect(three.groupSize).toBeGreaterThanOrEqual(3 * one.groupSize - 2);
  });

  it('rejects ε ≤ 0, δ outside (0, 1) and bad tuning, naming the value', () => {
    const layout = makeLayout(TOY_SCHEMA);
    expect(() => planSynthesis(layout, { epsilon: 0, delta: 1e-6 })).toThrow('epsilon is 0, expected a number > 0');
    expect(() => planSynthesis(layout, { epsilon: 1, delta: 1 })).toThrow('delta is 1, expected a number in (0, 1)');
    expect(() => planSynthesis(layout, { epsilon: 1, delta: 1e-6 }, { iterations: 0 })).toThrow(
      'iterations is 0, expected an integer 1..20',
    );
    expect(() => planSynthesis(layout, { epsilon: 1, delta: 1e-6 }, { clusterShare: 1 })).toThrow(
      'clusterShare is 1, expected (0, 1)',
    );
  });
});
