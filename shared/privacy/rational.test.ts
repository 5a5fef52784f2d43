import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../testing/seeded-random.ts';
import {
  addRational,
  compareRational,
  formatRational,
  rational,
  rationalFromDecimal,
  rationalFromDouble,
  rationalToNumberUp,
  sqrtUp,
  toRational,
  mulRational,
  type Rational,
} from './rational.ts';
import { thrownAppError } from '../testing/dp-errors.ts';

describe('rationalFromDecimal', () => {
  it.each([
    ['6.3', 63n, 10n],
    [6.3, 63n, 10n],
    [6, 6n, 1n],
    ['1e-6', 1n, 1_000_000n],
    [1e-7, 1n, 10_000_000n],
    ['-2.50', -5n, 2n],
    ['.5', 1n, 2n],
    ['5.', 5n, 1n],
    ['0.000', 0n, 1n],
    [1e21, 10n ** 21n, 1n],
    ['  12.5E+1 ', 125n, 1n],
  ] as const)('%s → %s/%s exactly', (input, num, den) => {
    expect(rationalFromDecimal(input)).toEqual({ num, den });
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 'abc', '', '.', '1e2000', '0x10', '1/3'])(
    'rejects %s naming the parameter',
    (input) => {
      expect(thrownAppError(() => rationalFromDecimal(input, 'scale'), 'DP_INVALID_PARAMETER').message).toMatch(
        /^scale is/,
      );
    },
  );

  it('shows the offending value in the message', () => {
    expect(thrownAppError(() => rationalFromDecimal(Number.NaN, 'sigma'), 'DP_INVALID_PARAMETER').message).toMatch(
      /^sigma is NaN, expected/,
    );
    expect(thrownAppError(() => rationalFromDecimal('abc', 'sigma'), 'DP_INVALID_PARAMETER').message).toMatch(
      /^sigma is "abc", expected/,
    );
  });
});

describe('rational arithmetic', () => {
  it('keeps lowest terms with a positive denominator', () => {
    expect(rational(6n, -4n)).toEqual({ num: -3n, den: 2n });
    expect(rational(0n, -7n)).toEqual({ num: 0n, den: 1n });
    expect(addRational(rational(1n, 6n), rational(1n, 3n))).toEqual({ num: 1n, den: 2n });
    expect(compareRational(rational(1n, 3n), rational(333n, 1000n))).toBe(1);
    expect(formatRational(rational(63n, 10n))).toBe('63/10');
    expect(() => rational(1n, 0n)).toThrow(RangeError);
  });

  it('toRational accepts every input form and rejects a zero denominator', () => {
    expect(toRational(7n, 'x')).toEqual({ num: 7n, den: 1n });
    expect(toRational({ num: 2n, den: 4n }, 'x')).toEqual({ num: 1n, den: 2n });
    expect(thrownAppError(() => toRational({ num: 1n, den: 0n }, 'sigma'), 'DP_INVALID_PARAMETER').message).toMatch(
      /^sigma is 1\/0/,
    );
  });

  it('rationalFromDouble is the exact binary value', () => {
    expect(rationalFromDouble(0.1)).toEqual({ num: 3602879701896397n, den: 36028797018963968n });
    expect(rationalFromDouble(-3)).toEqual({ num: -3n, den: 1n });
    expect(rationalFromDouble(Number.MIN_VALUE)).toEqual({ num: 1n, den: 2n ** 1074n });
  });
});

describe('rationalToNumberUp and sqrtUp', () => {
  function previousDouble(x: number): number {
    const f = new Float64Array([x]);
    const u = new BigUint64Array(f.buffer);
    u[0] = (u[0] as bigint) + (x > 0 ? -1n : 1n);
    return f[0] as number;
  }

  it('returns the smallest double ≥ r (random rationals of many sizes)', () => {
    const rng = new SeededRandomSource('up');
    const randomBig = (words: number): bigint => {
      let x = 1n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(rng.nextUint32());
      return x;
    };
    for (let i = 0; i < 2000; i++) {
      const r: Rational = rational((i % 2 === 0 ? 1n : -1n) * randomBig(1 + (i % 5)), randomBig(1 + ((i >> 1) % 7)));
      const up = rationalToNumberUp(r);
      expect(compareRational(rationalFromDouble(up), r)).toBeGreaterThanOrEqual(0);
      expect(compareRational(rationalFromDouble(previousDouble(up)), r)).toBe(-1);
    }
  });

  it('is exact for doubles and never below tiny values', () => {
    expect(rationalToNumberUp(rational(1n, 8n))).toBe(0.125);
    expect(rationalToNumberUp(rational(2n, 5n))).toBe(0.4); // the double 0.4 is just above 2/5
    expect(rationalToNumberUp(rational(1n, 10n ** 400n))).toBe(Number.MIN_VALUE);
    expect(rationalToNumberUp(rational(0n))).toBe(0);
  });

  it('sqrtUp squares to at least r', () => {
    for (const r of [rational(2n), rational(40n), rational(3969n, 100n), rational(1n, 3n)]) {
      const root = rationalFromDouble(sqrtUp(r));
      expect(compareRational(mulRational(root, root), r)).toBeGreaterThanOrEqual(0);
    }
    expect(sqrtUp(rational(36n))).toBe(6);
  });
});
