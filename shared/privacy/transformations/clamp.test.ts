import { describe, expect, it } from 'vitest';
import { thrownAppError } from '../../testing/dp-errors.ts';
import { clamp } from './clamp.ts';

describe('clamp', () => {
  it('limits numbers and bigints to [lo, hi]', () => {
    expect([-5, 0, 7, 1800, 4000].map((v) => clamp(v, 0, 1800))).toEqual([0, 0, 7, 1800, 1800]);
    expect(clamp(2n ** 70n, -10n, 10n)).toBe(10n);
    expect(clamp(-(2n ** 70n), -10n, 10n)).toBe(-10n);
    expect(clamp(3, 3, 3)).toBe(3);
  });

  it('rejects lo > hi and NaN', () => {
    thrownAppError(() => clamp(1, 2, 1), 'DP_INVALID_PARAMETER');
    thrownAppError(() => clamp(Number.NaN, 0, 1), 'DP_INVALID_PARAMETER');
    thrownAppError(() => clamp(1, Number.NaN, 1), 'DP_INVALID_PARAMETER');
  });
});
