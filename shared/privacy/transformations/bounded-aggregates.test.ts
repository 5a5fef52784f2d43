import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { thrownAppError } from '../../testing/dp-errors.ts';
import { boundedCount, boundedSum } from './bounded-aggregates.ts';
import { boundContributions, type ContributionRow } from './contribution-bounding.ts';

const CELLS = ['zone-0', 'zone-1', 'zone-2', 'zone-3'];

describe('boundedCount', () => {
  it('counts each public cell, zeros included, with Δ1 = L0·L∞ and Δ2² = L0·L∞²', () => {
    const rows: ContributionRow[] = [
      { unit: 'a', cell: 'zone-0' },
      { unit: 'a', cell: 'zone-0' },
      { unit: 'a', cell: 'zone-2' },
      { unit: 'b', cell: 'zone-0' },
      { unit: 'b', cell: 'back-office' },
    ];
    const bounded = boundContributions(rows, { maxCellsPerUnit: 3, maxPerCell: 1, rng: new SeededRandomSource(1) });
    const result = boundedCount(bounded, CELLS);
    expect(result.counts).toEqual([2, 0, 1, 0]);
    expect(result.sensitivity).toMatchObject({ l0: 3, lInf: 1n, l1: 3n, l2Squared: 3n });
  });

  it('re-checks hand-built rows against their stated bounds and rejects duplicate cells', () => {
    const lying = {
      rows: [
        { unit: 'a', cell: 'zone-0' },
        { unit: 'a', cell: 'zone-1' },
      ],
      maxCellsPerUnit: 1,
      maxPerCell: 1,
    };
    thrownAppError(() => boundedCount(lying, CELLS), 'DP_INVALID_PARAMETER');
    const repeated = {
      rows: [
        { unit: 'a', cell: 'zone-0' },
        { unit: 'a', cell: 'zone-0' },
      ],
      maxCellsPerUnit: 1,
      maxPerCell: 1,
    };
    thrownAppError(() => boundedCount(repeated, CELLS), 'DP_INVALID_PARAMETER');
    thrownAppError(
      () => boundedCount({ rows: [], maxCellsPerUnit: 1, maxPerCell: 1 }, ['x', 'x']),
      'DP_INVALID_PARAMETER',
    );
  });
});

describe('boundedSum', () => {
  it('sums clamped values exactly with L∞ = maxPerCell·max(|lo|, |hi|)', () => {
    const rows: ContributionRow[] = [
      { unit: 'a', cell: 'zone-1', value: 5000 },
      { unit: 'b', cell: 'zone-1', value: 600 },
      { unit: 'c', cell: 'zone-3', value: 7 },
    ];
    const bounded = boundContributions(rows, {
      maxCellsPerUnit: 2,
      maxPerCell: 1,
      clamp: { lo: 0, hi: 1800 },
      rng: new SeededRandomSource(2),
    });
    const result = boundedSum(bounded, CELLS);
    expect(result.sums).toEqual([0n, 2400n, 0n, 7n]);
    expect(result.sensitivity).toMatchObject({ l0: 2, lInf: 1800n, l1: 3600n, l2Squared: 2n * 1800n * 1800n });
    const signed = boundContributions([{ unit: 'a', cell: 'zone-0', value: -9 }], {
      maxCellsPerUnit: 1,
      maxPerCell: 3,
      clamp: { lo: -50, hi: 20 },
      rng: new SeededRandomSource(3),
    });
    expect(boundedSum(signed, CELLS).sensitivity.lInf).toBe(150n);
  });

  it('needs clamped rows, and re-checks that values lie within the clamp', () => {
    const unclamped = boundContributions([{ unit: 'a', cell: 'zone-0', value: 1 }], {
      maxCellsPerUnit: 1,
      maxPerCell: 1,
      rng: new SeededRandomSource(4),
    });
    expect(thrownAppError(() => boundedSum(unclamped, CELLS), 'DP_INVALID_PARAMETER').message).toMatch(/clamp/);
    const lying = {
      rows: [{ unit: 'a', cell: 'zone-0', value: 99 }],
      maxCellsPerUnit: 1,
      maxPerCell: 1,
      clamp: { lo: 0, hi: 10 },
    };
    thrownAppError(() => boundedSum(lying, CELLS), 'DP_INVALID_PARAMETER');
  });
});
