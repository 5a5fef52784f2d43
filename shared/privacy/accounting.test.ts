import { describe, expect, it } from 'vitest';
import {
  chargeable,
  fromMicro,
  leftInPeriod,
  lifetimePeriods,
  microToRational,
  participates,
  toMicroCeil,
  toMicroFloor,
  type PeriodCaps,
} from './accounting.ts';
import { zcdpLoss } from './conversions.ts';
import { makeDiscreteGaussian } from './mechanisms/discrete-gaussian.ts';
import { rational } from './rational.ts';
import { contributionSensitivity } from './sensitivity.ts';
import { thrownAppError } from '../testing/dp-errors.ts';

const CAPS: PeriodCaps = { periodMicro: toMicroFloor('1'), lifetimeMicro: null };

describe('millionth conversions', () => {
  it('round costs up and caps down, exactly', () => {
    expect(CAPS.periodMicro).toBe(1_000_000);
    expect(toMicroCeil(rational(1n, 9n))).toBe(111_112);
    expect(toMicroFloor(rational(1n, 9n))).toBe(111_111);
    expect(toMicroCeil('0.000001')).toBe(1);
    expect(toMicroCeil('0.0000001')).toBe(1);
    expect(toMicroCeil(0)).toBe(0);
    expect(microToRational(111_112)).toEqual(rational(13_889n, 125_000n));
    expect(fromMicro(1_500_000)).toBe(1.5);
  });

  it("takes a mechanism's privacy-map output directly", () => {
    const loss = makeDiscreteGaussian({ sigma: 6 }).privacyMap(contributionSensitivity(8, 1)); // ρ = 1/9
    expect(toMicroCeil(loss)).toBe(111_112);
    expect(toMicroCeil(zcdpLoss(rational(1n, 20n)))).toBe(50_000);
  });
});

describe('chargeable (the individual privacy filter of one period)', () => {
  it("includes a unit only while its period's spending + cost stays within the cap (equality allowed)", () => {
    expect(chargeable({ spentMicro: 0, excluded: false }, 1_000_000, CAPS)).toBe(true);
    expect(chargeable({ spentMicro: 950_000, excluded: false }, 50_000, CAPS)).toBe(true);
    expect(chargeable({ spentMicro: 950_001, excluded: false }, 50_000, CAPS)).toBe(false);
    expect(chargeable({ spentMicro: 1_000_000, excluded: false }, 0, CAPS)).toBe(true);
  });

  it('never charges a unit left out of the rest of the period, not even nothing more', () => {
    expect(chargeable({ spentMicro: 0, excluded: true }, 1, CAPS)).toBe(false);
    expect(leftInPeriod({ spentMicro: 10, excluded: true }, CAPS)).toBe(0);
    expect(leftInPeriod({ spentMicro: 250_000, excluded: false }, CAPS)).toBe(750_000);
    expect(leftInPeriod({ spentMicro: 2_000_000, excluded: false }, CAPS)).toBe(0);
  });

  it('rejects values that are not integer millionths (e.g. ρ passed as 0.1)', () => {
    thrownAppError(() => chargeable({ spentMicro: 0, excluded: false }, 0.1, CAPS), 'DP_INVALID_PARAMETER');
    thrownAppError(() => chargeable({ spentMicro: -1, excluded: false }, 1, CAPS), 'DP_INVALID_PARAMETER');
    thrownAppError(
      () => chargeable({ spentMicro: 0, excluded: false }, 1, { periodMicro: 0.5, lifetimeMicro: null }),
      'DP_INVALID_PARAMETER',
    );
  });
});

describe('the lifetime cap counts periods from enrolment, not what a unit did', () => {
  it('allows ⌊lifetime / period cap⌋ periods', () => {
    const caps = { periodMicro: 1_000_000, lifetimeMicro: 4_500_000 };
    expect(lifetimePeriods(caps)).toBe(4);
    expect(lifetimePeriods(CAPS)).toBe(Number.POSITIVE_INFINITY);
    // Enrolled in period 100: takes part in 100..103, not 104.
    expect([99, 100, 103, 104].map((p) => participates(100, p, caps))).toEqual([true, true, true, false]);
    expect(participates(100, 10_000, CAPS)).toBe(true);
  });
});
