import { describe, expect, it } from 'vitest';
import {
  chargeable,
  microRhoToRational,
  requireChargeable,
  spentFromCharges,
  summariseBudget,
  toMicroRhoCeil,
  toMicroRhoFloor,
  type BudgetCaps,
} from './accounting.ts';
import { zcdpLoss } from './conversions.ts';
import { makeDiscreteGaussian } from './mechanisms/discrete-gaussian.ts';
import { rational } from './rational.ts';
import { contributionSensitivity } from './sensitivity.ts';
import { thrownAppError } from '../testing/dp-errors.ts';

const CAPS: BudgetCaps = { dailyRho: toMicroRhoFloor('0.1'), thirtyDayRho: toMicroRhoFloor('1') };

describe('micro-ρ conversions', () => {
  it('round costs up and caps down, exactly', () => {
    expect(CAPS).toEqual({ dailyRho: 100_000, thirtyDayRho: 1_000_000 });
    expect(toMicroRhoCeil(rational(1n, 9n))).toBe(111_112);
    expect(toMicroRhoFloor(rational(1n, 9n))).toBe(111_111);
    expect(toMicroRhoCeil('0.000001')).toBe(1);
    expect(toMicroRhoCeil('0.0000001')).toBe(1);
    expect(toMicroRhoCeil(0)).toBe(0);
    expect(microRhoToRational(111_112)).toEqual(rational(13_889n, 125_000n));
  });

  it("takes a mechanism's privacy-map output directly", () => {
    const loss = makeDiscreteGaussian({ sigma: 6 }).privacyMap(contributionSensitivity(8, 1)); // ρ = 1/9
    expect(toMicroRhoCeil(loss)).toBe(111_112);
    expect(toMicroRhoCeil(zcdpLoss(rational(1n, 20n)))).toBe(50_000);
  });
});

describe('chargeable (the privacy filter)', () => {
  it('includes a unit only while spending + cost stays within both caps (equality allowed)', () => {
    expect(chargeable({ dayRho: 0, windowRho: 0 }, 100_000, CAPS)).toBe(true);
    expect(chargeable({ dayRho: 50_000, windowRho: 950_000 }, 50_000, CAPS)).toBe(true);
    expect(chargeable({ dayRho: 50_001, windowRho: 0 }, 50_000, CAPS)).toBe(false);
    expect(chargeable({ dayRho: 0, windowRho: 950_001 }, 50_000, CAPS)).toBe(false);
    expect(chargeable({ dayRho: 100_000, windowRho: 100_000 }, 0, CAPS)).toBe(true);
  });

  it('rejects values that are not integer µρ (e.g. ρ passed as 0.1)', () => {
    thrownAppError(() => chargeable({ dayRho: 0, windowRho: 0 }, 0.1, CAPS), 'DP_INVALID_PARAMETER');
    thrownAppError(() => chargeable({ dayRho: -1, windowRho: 0 }, 1, CAPS), 'DP_INVALID_PARAMETER');
    thrownAppError(
      () => chargeable({ dayRho: 0, windowRho: 0 }, 1, { dailyRho: 0.1, thirtyDayRho: 1 }),
      'DP_INVALID_PARAMETER',
    );
  });

  it('requireChargeable throws DP_BUDGET_EXHAUSTED when the filter says no', () => {
    expect(() => requireChargeable({ dayRho: 0, windowRho: 0 }, 10, CAPS)).not.toThrow();
    const error = thrownAppError(
      () => requireChargeable({ dayRho: 99_999, windowRho: 0 }, 2, CAPS),
      'DP_BUDGET_EXHAUSTED',
    );
    expect(error.details).toMatchObject({ cost: 2, dayRho: 99_999 });
  });
});

describe('spentFromCharges', () => {
  it('sums today and the 30 days ending today exactly', () => {
    const charges = [
      { day: 100, rho: 111_112 },
      { day: 100, rho: 1 },
      { day: 99, rho: 20_000 },
      { day: 71, rho: 300 },
      { day: 70, rho: 5_000_000 },
    ];
    expect(spentFromCharges(charges, 100)).toEqual({ dayRho: 111_113, windowRho: 131_413 });
    expect(spentFromCharges(charges, 100, 1)).toEqual({ dayRho: 111_113, windowRho: 111_113 });
    expect(spentFromCharges([], 5)).toEqual({ dayRho: 0, windowRho: 0 });
  });

  it('counts a (mis)dated future charge against both, and rejects bad rows', () => {
    expect(spentFromCharges([{ day: 101, rho: 7 }], 100)).toEqual({ dayRho: 7, windowRho: 7 });
    thrownAppError(() => spentFromCharges([{ day: 1.5, rho: 7 }], 100), 'DP_INVALID_PARAMETER');
    thrownAppError(() => spentFromCharges([{ day: 1, rho: 0.5 }], 100), 'DP_INVALID_PARAMETER');
    thrownAppError(() => spentFromCharges([], 100, 0), 'DP_INVALID_PARAMETER');
  });
});

describe('summariseBudget', () => {
  it('histograms spending as a share of each cap, with no identities', () => {
    const summary = summariseBudget(
      [
        { dayRho: 0, windowRho: 0 },
        { dayRho: 9_999, windowRho: 500_000 },
        { dayRho: 10_000, windowRho: 999_999 },
        { dayRho: 100_000, windowRho: 1_000_000 },
      ],
      CAPS,
    );
    expect(summary.units).toBe(4);
    expect(summary.day.bins.map((b) => b.units)).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(summary.window.bins.map((b) => b.units)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1]);
    expect(summary.day.bins[10]).toEqual({ fromPercent: 100, toPercent: 100, units: 1 });
    expect(summary.day.maxSpent).toBe(100_000);
    expect(JSON.stringify(summary)).not.toMatch(/unit"|id/);
  });

  it('handles no units', () => {
    const summary = summariseBudget([], CAPS);
    expect(summary.units).toBe(0);
    expect(summary.day.bins.every((b) => b.units === 0)).toBe(true);
  });
});
