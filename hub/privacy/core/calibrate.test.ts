import { describe, expect, it } from 'vitest';
import { rational } from '../../../shared/privacy/rational.ts';
import { calibrateRelease, type MeasureDefinition } from './calibrate.ts';

const ZONES = Array.from({ length: 40 }, (_, i) => `zone-${i}`);
const COUNT: MeasureDefinition[] = [{ metric: 'shoppers', query: 'count', share: rational(1n) }];
const DWELL: MeasureDefinition[] = [
  { metric: 'dwellSeconds', query: 'sum', clamp: { lo: 0, hi: 1800 }, share: rational(1n, 2n) },
  { metric: 'shoppers', query: 'count', share: rational(1n, 2n) },
];

describe('release calibration', () => {
  it('footfall: σ² = K/(2ρ) exactly, ρ spent exactly, charge c·ρ/K per shopper', () => {
    const r = calibrateRelease({
      cells: ZONES,
      measures: COUNT,
      maxCellsPerShopper: 8,
      rho: rational(1n, 20n),
      mechanism: 'discrete-gaussian',
    });
    expect(r.maxCellsPerRelease).toBe(8);
    const m = r.measures[0];
    expect(m?.mechanism.mechanism).toBe('discrete-gaussian');
    expect(m?.mechanism.mechanism === 'discrete-gaussian' ? m.mechanism.sigmaSquared : null).toEqual(rational(80n));
    expect(m?.sensitivity.l2Squared).toBe(8n);
    expect(r.rho).toEqual(rational(1n, 20n));
    expect(r.chargeMicroRho).toEqual([0, 6250, 12500, 18750, 25000, 31250, 37500, 43750, 50000]);
  });

  it('dwell: ρ split between the clamped sum and the count; L∞ of the sum is the clamp', () => {
    const r = calibrateRelease({
      cells: ZONES,
      measures: DWELL,
      maxCellsPerShopper: 8,
      rho: rational(1n, 20n),
      mechanism: 'discrete-gaussian',
    });
    const [sum, count] = r.measures;
    expect(sum?.lInf).toBe(1800);
    expect(sum?.mechanism.mechanism === 'discrete-gaussian' ? sum.mechanism.sigmaSquared : null).toEqual(
      rational(518_400_000n),
    );
    expect(count?.mechanism.mechanism === 'discrete-gaussian' ? count.mechanism.sigmaSquared : null).toEqual(
      rational(160n),
    );
    expect(sum?.rho).toEqual(rational(1n, 40n));
    expect(r.rho).toEqual(rational(1n, 20n));
    expect(r.chargeMicroRho[3]).toBe(18750);
  });

  it('uses L0 = #cells when there are fewer cells than K', () => {
    const r = calibrateRelease({
      cells: ['store'],
      measures: COUNT,
      maxCellsPerShopper: 4,
      rho: rational(1n, 50n),
      mechanism: 'discrete-gaussian',
    });
    expect(r.maxCellsPerRelease).toBe(1);
    expect(
      r.measures[0]?.mechanism.mechanism === 'discrete-gaussian' ? r.measures[0].mechanism.sigmaSquared : null,
    ).toEqual(rational(25n));
    expect(r.chargeMicroRho).toEqual([0, 20000]);
  });

  it('discrete Laplace: ε = √(2ρ) rounded down, scale = Δ1/ε, zCDP charge ε²/2', () => {
    const r = calibrateRelease({
      cells: ZONES,
      measures: COUNT,
      maxCellsPerShopper: 8,
      rho: rational(1n, 2n),
      mechanism: 'discrete-laplace',
    });
    const m = r.measures[0];
    expect(m?.mechanism.mechanism === 'discrete-laplace' ? m.mechanism.scale : null).toEqual(rational(8n));
    expect(m?.epsilon).toEqual(rational(1n));
    expect(r.rho).toEqual(rational(1n, 2n));
    expect(r.chargeMicroRho[8]).toBe(500_000);
    expect(r.chargeMicroRho[4]).toBe(125_000);
    const odd = calibrateRelease({
      cells: ZONES,
      measures: COUNT,
      maxCellsPerShopper: 8,
      rho: rational(1n, 20n),
      mechanism: 'discrete-laplace',
    });
    expect(odd.rho.num * 20n <= odd.rho.den).toBe(true);
  });

  it('rejects shapes it cannot calibrate, naming the problem', () => {
    expect(() =>
      calibrateRelease({
        cells: ZONES,
        measures: [{ metric: 'x', query: 'count', share: rational(1n, 2n) }],
        maxCellsPerShopper: 8,
        rho: rational(1n),
        mechanism: 'discrete-gaussian',
      }),
    ).toThrow(/shares of ρ must be positive and add up to 1/);
    expect(() =>
      calibrateRelease({
        cells: ZONES,
        measures: [{ metric: 'x', query: 'sum', share: rational(1n) }],
        maxCellsPerShopper: 8,
        rho: rational(1n),
        mechanism: 'discrete-gaussian',
      }),
    ).toThrow(/sum without a valid integer clamp/);
    expect(() =>
      calibrateRelease({
        cells: ZONES,
        measures: COUNT,
        maxCellsPerShopper: 0,
        rho: rational(1n),
        mechanism: 'discrete-gaussian',
      }),
    ).toThrow(/maxCellsPerShopper is 0/);
  });
});
