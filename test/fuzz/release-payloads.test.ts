import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeAnyReleasePayload,
  encodeReleasePayloadV2,
  type ReleasePayloadV2,
} from '../../shared/upstream/release-payload-v2.ts';
import { FuzzReport, fuzzParameters, fuzzSeed, jsonInputs } from './fuzz-harness.ts';

/**
 * Fuzz target: the release payloads a store sends upstream, as HQ decodes them
 * (decodeAnyReleasePayload, v1 and v2). Invariant: decoding never throws; a payload is either
 * refused with problems that each name a path and what was expected, or accepted — and an
 * accepted payload re-encodes to a payload that decodes to the same value (nothing lost or
 * reinterpreted on the way into HQ's store).
 */

const valid = fc
  .record({
    values: fc.array(fc.integer({ min: -1000, max: 100_000 }), { minLength: 2, maxLength: 2 }),
    sigma: fc.double({ min: 0.1, max: 100, noNaN: true }),
    label: fc.constantFrom('2026-11-28', '2026-11-29'),
  })
  .map((r): ReleasePayloadV2 => ({
    v: 2,
    store: 'store-1',
    release: `footfall:${r.label}`,
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
        sigma: r.sigma,
        sigmaSquared: '26',
        granularity: '1',
        halfWidth95: 10,
        sensitivity: { l0: 8, lInf: '1', l2Squared: '8' },
        rho: '1/500',
        values: r.values,
      },
    ],
  }));

describe('fuzz: release payloads as HQ decodes them', () => {
  it('refused with named problems, or accepted and stable through re-encoding', () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('release-payload-decode', seed);
    fc.assert(
      fc.property(jsonInputs(valid), (input) => {
        const decoded = decodeAnyReleasePayload(input.bytes);
        if (!decoded.ok) {
          expect(decoded.problems.length).toBeGreaterThan(0);
          for (const p of decoded.problems) {
            expect(typeof p.path).toBe('string');
            expect(p.message.length).toBeGreaterThan(0);
          }
          report.count('refused');
          return;
        }
        if (decoded.value.v === 2) {
          const again = decodeAnyReleasePayload(encodeReleasePayloadV2(decoded.value));
          expect(again.ok && again.value).toEqual(decoded.value);
        }
        report.count(`accepted-v${decoded.value.v}`);
      }),
      fuzzParameters(seed),
    );
    report.write();
  });
});
