import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { sigmaForRho } from '../conversions.ts';
import { rational } from '../rational.ts';
import { makeDiscreteGaussianSampler } from '../samplers/discrete-gaussian.ts';
import { contributionSensitivity } from '../sensitivity.ts';
import { thrownAppError } from '../../testing/dp-errors.ts';
import { makeDiscreteGaussian } from './discrete-gaussian.ts';

describe('makeDiscreteGaussian', () => {
  it('takes σ exactly: 6 → σ² = 36, "6.3" and 6.3 → σ² = 3969/100', () => {
    expect(makeDiscreteGaussian({ sigma: 6 }).sigmaSquared).toEqual(rational(36n));
    expect(makeDiscreteGaussian({ sigma: '6.3' }).sigmaSquared).toEqual(rational(3969n, 100n));
    expect(makeDiscreteGaussian({ sigma: 6.3 }).sigmaSquared).toEqual(rational(3969n, 100n));
    expect(makeDiscreteGaussian({ sigma: 6 }).sigma).toBe(6);
  });

  it('privacy map: ρ = Δ2²/(2σ²) exactly', () => {
    const mechanism = makeDiscreteGaussian({ sigma: 6 });
    expect(mechanism.mechanism).toBe('discrete-gaussian');
    expect(mechanism.privacyMap(1)).toEqual({ measure: 'zcdp', rho: rational(1n, 72n), rhoNumber: expect.any(Number) });
    expect(mechanism.privacyMap(contributionSensitivity(8, 1)).rho).toEqual(rational(1n, 9n));
    expect(mechanism.privacyMap(contributionSensitivity(8, 1)).rhoNumber).toBeGreaterThanOrEqual(1 / 9);
    expect(mechanism.privacyMap('1.5').rho).toEqual(rational(1n, 32n));
  });

  it('sigmaForRho round-trips: σ² for ρ = 0.1 at K = 8 gives back exactly ρ = 1/10', () => {
    const sensitivity = contributionSensitivity(8, 1);
    const { sigmaSquared } = sigmaForRho(sensitivity, '0.1');
    const mechanism = makeDiscreteGaussian({ sigmaSquared });
    expect(mechanism.privacyMap(sensitivity).rho).toEqual(rational(1n, 10n));
    expect(mechanism.sigma).toBeCloseTo(Math.sqrt(40), 12);
  });

  it('release adds exactly the sampler noise and keeps the integer type', () => {
    const mechanism = makeDiscreteGaussian({ sigma: '6.3' });
    const values = [5, 17, 0];
    const released = mechanism.release(values, new SeededRandomSource('g'));
    const sample = makeDiscreteGaussianSampler(3969n, 100n);
    const reference = new SeededRandomSource('g');
    expect(released).toEqual(values.map((v) => v + Number(sample(reference))));
    expect(mechanism.release([5n, 17n, 0n], new SeededRandomSource('g'))).toEqual(released.map((v) => BigInt(v)));
  });

  it.each([
    ['zero', { sigma: 0 }, 'sigma'],
    ['negative', { sigma: -6 }, 'sigma'],
    ['NaN', { sigma: Number.NaN }, 'sigma'],
    ['Infinity', { sigma: Number.POSITIVE_INFINITY }, 'sigma'],
    ['not a number', { sigma: 'six' }, 'sigma'],
    ['too large', { sigma: '2e9' }, 'sigma'],
    ['too small', { sigma: '1e-7' }, 'sigma'],
    ['too many digits', { sigma: { num: 2n ** 60n + 1n, den: 2n ** 60n } }, 'sigma'],
    ['a zero σ²', { sigmaSquared: 0 }, 'sigmaSquared'],
    ['a σ² too large', { sigmaSquared: '1e19' }, 'sigmaSquared'],
    ['a malformed σ²', { sigmaSquared: { num: 1n, den: 0n } }, 'sigmaSquared'],
  ])('rejects %s with DP_INVALID_PARAMETER naming the parameter', (_label, options, name) => {
    const error = thrownAppError(() => makeDiscreteGaussian(options as never), 'DP_INVALID_PARAMETER');
    expect(error.message.startsWith(`${name} is `)).toBe(true);
  });

  it('rejects options with neither sigma nor sigmaSquared', () => {
    thrownAppError(() => makeDiscreteGaussian({} as never), 'DP_INVALID_PARAMETER');
  });
});
