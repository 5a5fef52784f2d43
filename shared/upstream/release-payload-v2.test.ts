import { describe, expect, it } from 'vitest';
import {
  decodeAnyReleasePayload,
  encodeReleasePayloadV2,
  expectedValueCount,
  validateReleasePayloadV2,
  type ReleasePayloadV2,
} from './release-payload-v2.ts';

function footfall(overrides: Partial<ReleasePayloadV2> = {}): ReleasePayloadV2 {
  return {
    v: 2,
    store: 'store-1',
    release: 'footfall:2026-11-28',
    kind: 'footfall',
    budgetPeriod: {
      unit: 'quarter',
      label: '2026-Q4',
      startUnix: 1_790_805_600,
      endUnix: 1_798_758_000,
      timeZone: 'Europe/Berlin',
    },
    window: {
      unit: 'day',
      label: '2026-11-28',
      start: '2026-11-28T00:00:00+01:00',
      end: '2026-11-29T00:00:00+01:00',
      startUnix: 1_795_820_400,
      endUnix: 1_795_906_800,
    },
    computedAt: '2026-11-29T00:05:00+01:00',
    privacyUnit: 'shopper-period',
    bounds: { maxCellsPerRelease: 8, maxPerCell: 1 },
    cost: { rho: '1/500', rhoUpper: 0.002, epsilon: 0.3, epsilonBunSteinke: 0.33, delta: 1e-6 },
    cells: ['bakery', 'produce'],
    measures: [
      {
        metric: 'shoppers',
        query: 'count',
        layout: 'cells',
        mechanism: 'discrete-gaussian',
        sigma: 5.1,
        sigmaSquared: '26',
        granularity: '1',
        halfWidth95: 10,
        sensitivity: { l0: 8, lInf: '1', l2Squared: '8' },
        rho: '1/500',
        values: [120, 87],
      },
    ],
    ...overrides,
  };
}

describe('release payload v2', () => {
  it('round-trips a valid release through encode and decode', () => {
    const bytes = encodeReleasePayloadV2(footfall());
    const decoded = decodeAnyReleasePayload(bytes);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(decoded.value).toEqual(footfall());
  });

  it('counts the values each layout needs', () => {
    expect(expectedValueCount({ layout: 'cells' }, 5)).toBe(5);
    expect(expectedValueCount({ layout: 'upper-triangle' }, 4)).toBe(10);
    expect(expectedValueCount({ layout: 'rows', rows: 3 }, 4)).toBe(12);
  });

  it('refuses a window outside its budget period, misaligned values and a missing clamp, by pointer', () => {
    const bad = footfall({
      window: { ...footfall().window, endUnix: 1_798_758_001 },
      measures: [{ ...footfall().measures[0]!, query: 'sum', values: [1, 2, 3] }],
    });
    const result = validateReleasePayloadV2(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const paths = result.problems.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['/window', '/measures/0/values', '/measures/0/clamp']));
    }
    expect(() => encodeReleasePayloadV2(bad)).toThrow(/refusing to encode an invalid release/);
  });

  it('names an unknown version and bad JSON instead of throwing', () => {
    const v9 = decodeAnyReleasePayload(Buffer.from('{"v":9}'));
    expect(v9).toEqual({ ok: false, problems: [{ path: '/v', message: 'is 9, expected 1 or 2' }] });
    const junk = decodeAnyReleasePayload(Buffer.from('{'));
    expect(junk.ok).toBe(false);
  });
});
