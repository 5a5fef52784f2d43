import { describe, expect, it } from 'vitest';
import { rational } from './rational.ts';
import { contributionSensitivity, l1Sensitivity, l2SquaredSensitivity } from './sensitivity.ts';
import { thrownAppError } from '../testing/dp-errors.ts';

describe('sensitivity', () => {
  it('Δ1 = L0·L∞ and Δ2² = L0·L∞² exactly', () => {
    const s = contributionSensitivity(8, 3n);
    expect(s).toMatchObject({ l0: 8, lInf: 3n, l1: 24n, l2Squared: 72n });
    expect(s.l2).toBeGreaterThanOrEqual(Math.sqrt(72));
    expect(s.l2).toBeLessThan(Math.sqrt(72) + 1e-12);
    expect(l1Sensitivity(s)).toEqual(rational(24n));
    expect(l2SquaredSensitivity(s)).toEqual(rational(72n));
  });

  it('a plain Δ is Δ1 for L1 and is squared for L2', () => {
    expect(l1Sensitivity('2.5')).toEqual(rational(5n, 2n));
    expect(l2SquaredSensitivity('2.5')).toEqual(rational(25n, 4n));
  });

  it('rejects negative or fractional bounds', () => {
    thrownAppError(() => contributionSensitivity(-1, 1), 'DP_INVALID_PARAMETER');
    thrownAppError(() => contributionSensitivity(1.5, 1), 'DP_INVALID_PARAMETER');
    thrownAppError(() => contributionSensitivity(1, -1n), 'DP_INVALID_PARAMETER');
    thrownAppError(() => contributionSensitivity(1, 0.5), 'DP_INVALID_PARAMETER');
    thrownAppError(() => l1Sensitivity(-1), 'DP_INVALID_PARAMETER');
  });
});
