import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { rational } from '../rational.ts';
import { sampleDiscreteLaplace } from '../samplers/discrete-laplace.ts';
import { contributionSensitivity } from '../sensitivity.ts';
import { thrownAppError } from '../../testing/dp-errors.ts';
import { makeDiscreteLaplace } from './discrete-laplace.ts';

describe('makeDiscreteLaplace', () => {
  it('privacy map: ε = Δ1/scale exactly', () => {
    const mechanism = makeDiscreteLaplace({ scale: 8 });
    expect(mechanism.mechanism).toBe('discrete-laplace');
    expect(mechanism.scale).toEqual(rational(8n));
    expect(mechanism.privacyMap(8)).toEqual({ measure: 'pure-dp', epsilon: rational(1n), epsilonNumber: 1 });
    expect(mechanism.privacyMap(contributionSensitivity(8, 1)).epsilon).toEqual(rational(1n));
    expect(mechanism.privacyMap(contributionSensitivity(4, 3)).epsilon).toEqual(rational(3n, 2n));
    const third = makeDiscreteLaplace({ scale: '2.5' }).privacyMap(1);
    expect(third.epsilon).toEqual(rational(2n, 5n));
    expect(third.epsilonNumber).toBe(0.4);
    expect(makeDiscreteLaplace({ scale: { num: 7n, den: 3n } }).privacyMap(0).epsilon).toEqual(rational(0n));
  });

  it('release adds exactly the sampler noise, one independent draw per value, keeping the integer type', () => {
    const mechanism = makeDiscreteLaplace({ scale: '2.5' });
    const values = [10, 0, -3, 2 ** 40];
    const released = mechanism.release(values, new SeededRandomSource('release'));
    const reference = new SeededRandomSource('release');
    expect(released).toEqual(values.map((v) => v + Number(sampleDiscreteLaplace(reference, 5n, 2n))));

    const big = mechanism.release([10n, 2n ** 80n], new SeededRandomSource('release'));
    expect(big.map((v) => typeof v)).toEqual(['bigint', 'bigint']);
    expect(big[0]).toBe(BigInt(released[0] as number));
    expect(mechanism.release([], new SeededRandomSource(1))).toEqual([]);
  });

  it('release rejects non-integer or mixed values before drawing noise', () => {
    const mechanism = makeDiscreteLaplace({ scale: 1 });
    for (const values of [[1.5], [Number.NaN], [2 ** 53], [1, 2n]] as unknown as number[][]) {
      expect(
        thrownAppError(() => mechanism.release(values, new SeededRandomSource(1)), 'DP_INVALID_PARAMETER').message,
      ).toMatch(/values\[/);
    }
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['not a number', 'eight'],
    ['too large', '1e10'],
    ['too small', '1e-7'],
    ['zero denominator', { num: 1n, den: 0n }],
    ['too many digits', { num: 2n ** 60n + 1n, den: 2n ** 60n }],
    ['missing', undefined],
  ])('rejects a scale that is %s with DP_INVALID_PARAMETER naming "scale"', (_label, scale) => {
    const error = thrownAppError(() => makeDiscreteLaplace({ scale: scale as never }), 'DP_INVALID_PARAMETER');
    expect(error.message).toMatch(/^scale is .*expected/);
  });
});
