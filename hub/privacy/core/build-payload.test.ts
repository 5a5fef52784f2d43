import { describe, expect, it } from 'vitest';
import { rational } from '../../../shared/privacy/rational.ts';
import { decodeAnyReleasePayload, encodeReleasePayloadV2 } from '../../../shared/upstream/release-payload-v2.ts';
import { parseDayLabel, windowOfDay } from '../../../shared/time/local-calendar.ts';
import { buildReleasePayload } from './build-payload.ts';
import { calibrateRelease } from './calibrate.ts';

const release = calibrateRelease({
  cells: ['bakery', 'produce'],
  measures: [
    { metric: 'dwellSeconds', query: 'sum', clamp: { lo: 0, hi: 1800 }, share: rational(1n, 2n) },
    { metric: 'shoppers', query: 'count', share: rational(1n, 2n) },
  ],
  maxCellsPerShopper: 8,
  rho: rational(1n, 20n),
  mechanism: 'discrete-gaussian',
});
const window = windowOfDay(parseDayLabel('2026-11-28') as number, 'day', 'quarter', 'Europe/Berlin');

function payload() {
  return buildReleasePayload({
    store: 'store-1',
    kind: 'dwell',
    window,
    timeZone: 'Europe/Berlin',
    computedMs: Date.parse('2026-11-29T00:20:00Z'),
    release,
    values: [
      [4210, -37],
      [3, 0],
    ],
    delta: 1e-6,
  });
}

describe('the upstream release body (v2)', () => {
  it('states the unit, budget period, window, mechanism, noise, sensitivity, clamp, cost and 95% half-width', () => {
    const p = payload();
    expect(p).toMatchObject({
      v: 2,
      store: 'store-1',
      release: 'dwell:2026-11-28',
      kind: 'dwell',
      budgetPeriod: { unit: 'quarter', label: '2026-Q4', timeZone: 'Europe/Berlin' },
      window: {
        unit: 'day',
        label: '2026-11-28',
        start: '2026-11-28T00:00:00+01:00',
        end: '2026-11-29T00:00:00+01:00',
      },
      privacyUnit: 'shopper-period',
      bounds: { maxCellsPerRelease: 2, maxPerCell: 1 },
      cells: ['bakery', 'produce'],
    });
    expect(p.measures[0]).toMatchObject({
      metric: 'dwellSeconds',
      query: 'sum',
      layout: 'cells',
      mechanism: 'discrete-gaussian',
      granularity: '1',
      clamp: { lo: 0, hi: 1800 },
      sigmaSquared: '129600000',
      rho: '1/40',
      values: [4210, -37],
    });
    expect(p.measures[0]?.sensitivity).toEqual({ l0: 2, lInf: '1800', l1: '3600', l2Squared: '6480000' });
    // 95% half-width within one unit of 1.96σ: σ = √(129,600,000) ≈ 11,384.2.
    expect(Math.abs((p.measures[0]?.halfWidth95 as number) - 1.96 * Math.sqrt(129_600_000))).toBeLessThanOrEqual(1);
    expect(p.measures[1]).toMatchObject({ metric: 'shoppers', sigmaSquared: '40', values: [3, 0] });
    expect(p.measures[1]?.halfWidth95).toBe(12);
    expect(p.cost.rho).toBe('1/20');
    expect(p.cost.epsilon).toBeGreaterThan(1.46);
    expect(p.cost.epsilon).toBeLessThan(p.cost.epsilonBunSteinke);
    expect(JSON.stringify(p)).not.toMatch(/contributors|excluded/);
  });

  it('round-trips through the bytes the hub stores and HQ decodes', () => {
    const bytes = encodeReleasePayloadV2(payload());
    expect(decodeAnyReleasePayload(bytes)).toEqual({ ok: true, value: payload() });
  });

  it('names what is wrong with a received body', () => {
    const broken = { ...payload(), cells: ['bakery', 'bakery'], measures: [{ ...payload().measures[1], values: [1] }] };
    const result = decodeAnyReleasePayload(Buffer.from(JSON.stringify(broken)));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual(
      expect.arrayContaining([
        { path: '/cells/1', message: 'is "bakery" again, expected distinct cells' },
        { path: '/measures/0/values', message: 'has 1 values, expected 2 for layout "cells" over 2 cells' },
      ]),
    );
  });
});
