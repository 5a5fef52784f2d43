import { describe, expect, it } from 'vitest';
import { rational } from '../../../shared/privacy/rational.ts';
import { decodeReleasePayload, encodeReleasePayload } from '../../../shared/upstream/release-payload.ts';
import { buildReleasePayload } from './build-payload.ts';
import { calibrateRelease } from './calibrate.ts';
import { hourPeriod } from '../../../shared/time/local-calendar.ts';

const release = calibrateRelease({
  cells: ['bakery', 'produce'],
  measures: [
    { metric: 'dwellSeconds', query: 'sum', clamp: { lo: 0, hi: 1800 }, share: rational(1n, 2n) },
    { metric: 'shoppers', query: 'count', share: rational(1n, 2n) },
  ],
  maxCellsPerDay: 8,
  rho: rational(1n, 20n),
  mechanism: 'discrete-gaussian',
});
const period = hourPeriod(Date.parse('2026-11-28T09:30:00Z'), 'Europe/Berlin');

function payload() {
  return buildReleasePayload({
    store: 'store-1',
    kind: 'dwell',
    period,
    timeZone: 'Europe/Berlin',
    computedMs: Date.parse('2026-11-28T10:05:00Z'),
    release,
    values: [
      [4210, -37],
      [3, 0],
    ],
    delta: 1e-6,
  });
}

describe('the upstream release body', () => {
  it('states the unit, mechanism, noise, sensitivity, clamp and cost next to the raw values', () => {
    const p = payload();
    expect(p).toMatchObject({
      v: 1,
      store: 'store-1',
      release: 'dwell:2026-11-28T10:00+01:00',
      kind: 'dwell',
      period: {
        unit: 'hour',
        start: '2026-11-28T10:00:00+01:00',
        end: '2026-11-28T11:00:00+01:00',
        timeZone: 'Europe/Berlin',
      },
      privacyUnit: 'shopper-day',
      bounds: { maxCellsPerRelease: 2, maxCellsPerDay: 8, maxPerCell: 1 },
      cells: ['bakery', 'produce'],
    });
    expect(p.measures[0]).toMatchObject({
      metric: 'dwellSeconds',
      query: 'sum',
      mechanism: 'discrete-gaussian',
      clamp: { lo: 0, hi: 1800 },
      sigmaSquared: '129600000',
      rho: '1/40',
      values: [4210, -37],
    });
    expect(p.measures[0]?.sensitivity).toEqual({
      l0: 2,
      lInf: 1800,
      l1: 3600,
      l2Squared: 6_480_000,
      l2: expect.closeTo(2545.58, 2),
    });
    expect(p.measures[1]).toMatchObject({ metric: 'shoppers', sigmaSquared: '40', values: [3, 0] });
    expect(p.cost.rho).toBe('1/20');
    expect(p.cost.epsilon).toBeGreaterThan(1.46);
    expect(p.cost.epsilon).toBeLessThan(p.cost.epsilonBunSteinke);
    expect(JSON.stringify(p)).not.toMatch(/contributors|excluded/);
  });

  it('round-trips through the bytes the hub stores and the collector decodes', () => {
    const bytes = encodeReleasePayload(payload());
    const decoded = decodeReleasePayload(bytes);
    expect(decoded).toEqual({ ok: true, value: payload() });
  });

  it('names what is wrong with a received body', () => {
    const broken = { ...payload(), cells: ['bakery', 'bakery'], measures: [{ ...payload().measures[1], values: [1] }] };
    const result = decodeReleasePayload(Buffer.from(JSON.stringify(broken)));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual(
      expect.arrayContaining([
        { path: '/cells/1', message: 'is "bakery" again, expected distinct cells' },
        { path: '/measures/0/values', message: 'has 1 values, expected one per cell (2)' },
      ]),
    );
    expect(decodeReleasePayload(Buffer.from('{'))).toMatchObject({
      ok: false,
      problems: [{ path: '', message: expect.stringMatching(/not valid JSON/) }],
    });
  });
});
