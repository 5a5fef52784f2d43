import { describe, expect, it } from 'vitest';
import { cksDelta, pureToZcdp, sigmaForRho, zcdpToApproxDp } from './conversions.ts';
import { rational } from './rational.ts';
import { contributionSensitivity } from './sensitivity.ts';
import { thrownAppError } from '../testing/dp-errors.ts';

describe('pureToZcdp', () => {
  it('is ε²/2 exactly', () => {
    expect(pureToZcdp(1).rho).toEqual(rational(1n, 2n));
    expect(pureToZcdp('0.1').rho).toEqual(rational(1n, 200n));
    expect(pureToZcdp({ num: 2n, den: 3n }).rho).toEqual(rational(2n, 9n));
    expect(pureToZcdp(0).rho).toEqual(rational(0n));
    expect(pureToZcdp('0.1').rhoNumber).toBeGreaterThanOrEqual(0.005);
  });

  it('rejects a negative or malformed ε', () => {
    thrownAppError(() => pureToZcdp(-1), 'DP_INVALID_PARAMETER');
    thrownAppError(() => pureToZcdp('one'), 'DP_INVALID_PARAMETER');
  });
});

describe('zcdpToApproxDp', () => {
  // docs/references.md#differential-privacy, worked conversions (2 decimals).
  const TABLE = [
    { rho: '0.01', delta: 1e-6, bs: 0.75, cks: 0.62 },
    { rho: '0.05', delta: 1e-6, bs: 1.71, cks: 1.47 },
    { rho: '0.1', delta: 1e-6, bs: 2.45, cks: 2.14 },
    { rho: '0.1', delta: 1e-9, bs: 2.98, cks: 2.72 },
    { rho: '0.5', delta: 1e-6, bs: 5.76, cks: 5.22 },
    { rho: '1', delta: 1e-6, bs: 8.43, cks: 7.77 },
  ];

  it.each(TABLE)('ρ = $rho, δ = $delta → ε ≈ $cks (CKS), $bs (Bun–Steinke)', ({ rho, delta, bs, cks }) => {
    const loss = zcdpToApproxDp(rho, delta);
    expect(Math.abs(loss.epsilonBunSteinke - bs)).toBeLessThanOrEqual(0.005 + 1e-9);
    expect(Math.abs(loss.epsilon - cks)).toBeLessThanOrEqual(0.005 + 1e-9);
    expect(loss.delta).toBe(delta);
  });

  it.each(TABLE)('ρ = $rho, δ = $delta: both ε are rounded outward and CKS is near-optimal', ({ rho, delta }) => {
    const r = Number(rho);
    const loss = zcdpToApproxDp(rho, delta);
    const exactBs = r + 2 * Math.sqrt(r * Math.log(1 / delta));
    expect(loss.epsilonBunSteinke).toBeGreaterThan(exactBs);
    expect(loss.epsilonBunSteinke).toBeLessThan(exactBs * (1 + 1e-10));
    expect(loss.epsilon).toBeLessThan(loss.epsilonBunSteinke);
    expect(cksDelta(r, loss.epsilon)).toBeLessThanOrEqual(delta);
    expect(cksDelta(r, loss.epsilon - 1e-4)).toBeGreaterThan(delta);
  });

  it('ρ = 0 costs nothing; δ must lie in (0, 1)', () => {
    expect(zcdpToApproxDp(0, 1e-6).epsilon).toBe(0);
    for (const delta of [0, 1, -1e-6, Number.NaN])
      thrownAppError(() => zcdpToApproxDp('0.1', delta), 'DP_INVALID_PARAMETER');
    thrownAppError(() => zcdpToApproxDp(-0.1, 1e-6), 'DP_INVALID_PARAMETER');
  });
});

describe('sigmaForRho', () => {
  it('σ² = Δ2²/(2ρ) exactly, with Δ2² taken exactly from a Sensitivity', () => {
    // docs/privacy.md: K = 8 cells, once per cell, ρ = 0.1 ⇒ σ² = 40, σ ≈ 6.32.
    const { sigmaSquared, sigma } = sigmaForRho(contributionSensitivity(8, 1), '0.1');
    expect(sigmaSquared).toEqual(rational(40n));
    expect(sigma).toBeGreaterThanOrEqual(Math.sqrt(40));
    expect(sigma).toBeCloseTo(6.3246, 4);
    expect(sigmaForRho(1, '0.5').sigmaSquared).toEqual(rational(1n));
    expect(sigmaForRho('1.5', { num: 1n, den: 8n }).sigmaSquared).toEqual(rational(9n));
  });

  it('rejects ρ ≤ 0 and Δ2 ≤ 0', () => {
    thrownAppError(() => sigmaForRho(1, 0), 'DP_INVALID_PARAMETER');
    thrownAppError(() => sigmaForRho(0, '0.1'), 'DP_INVALID_PARAMETER');
    thrownAppError(() => sigmaForRho(-1, '0.1'), 'DP_INVALID_PARAMETER');
  });
});
