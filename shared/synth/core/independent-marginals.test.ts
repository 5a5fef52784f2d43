import { describe, expect, it } from 'vitest';
import { pearson } from '../../ml/fidelity.ts';
import { divRational, mulRational, rational } from '../../privacy/rational.ts';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { TOY_SCHEMA, toyRows } from '../../testing/synth-tables.ts';
import { rhoForEpsilon } from './calibrate.ts';
import { fitIndependentMarginals, sampleIndependentMarginals } from './independent-marginals.ts';

describe('the independent DP marginals baseline', () => {
  it('has Δ2² = number of columns and spends at most the ρ of its (ε, δ)', () => {
    const rng = new SeededRandomSource(1);
    const model = fitIndependentMarginals(TOY_SCHEMA, toyRows(rng, 100), { epsilon: 1, delta: 1e-6 }, rng);
    expect(model.step.rho).toEqual(
      divRational(rational(BigInt(TOY_SCHEMA.columns.length)), mulRational(rational(2n), model.step.sigmaSquared)),
    );
    expect(Number(model.step.rho.num) / Number(model.step.rho.den)).toBeLessThanOrEqual(
      Number(rhoForEpsilon(1, 1e-6).num) / Number(rhoForEpsilon(1, 1e-6).den),
    );
  });

  it('keeps each marginal and loses the relation between columns (seeded)', () => {
    const seed = 6;
    const rng = new SeededRandomSource(seed);
    const real = toyRows(rng, 20_000);
    const model = fitIndependentMarginals(TOY_SCHEMA, real, { epsilon: 4, delta: 1e-6 }, rng);
    const fake = sampleIndependentMarginals(model, 20_000, rng);
    const share = (rows: typeof real, column: number, value: string) =>
      rows.filter((r) => r[column] === value).length / rows.length;
    expect(Math.abs(share(fake, 5, '1') - share(real, 5, '1')), `seed ${seed}`).toBeLessThan(0.02);
    expect(Math.abs(share(fake, 3, 'yes') - share(real, 3, 'yes')), `seed ${seed}`).toBeLessThan(0.02);
    const corr = (rows: typeof real) =>
      pearson(
        rows.map((r) => Number(r[0])),
        rows.map((r) => Number(r[5])),
      );
    expect(corr(real), `seed ${seed}`).toBeGreaterThan(0.5);
    expect(Math.abs(corr(fake)), `seed ${seed}`).toBeLessThan(0.05);
  });
});
