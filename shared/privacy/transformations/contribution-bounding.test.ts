import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { thrownAppError } from '../../testing/dp-errors.ts';
import { chiSquareUniform } from '../../testing/statistics.ts';
import { boundContributions, type ContributionRow } from './contribution-bounding.ts';

function rowsOf(unit: string, cells: number, perCell = 1): ContributionRow[] {
  const rows: ContributionRow[] = [];
  for (let c = 0; c < cells; c++)
    for (let r = 0; r < perCell; r++) rows.push({ unit, cell: `zone-${c}`, value: c * 100 + r });
  return rows;
}

function keptCells(rows: readonly ContributionRow[], unit: string): string[] {
  return rows
    .filter((row) => row.unit === unit)
    .map((row) => row.cell)
    .sort();
}

describe('boundContributions', () => {
  it('a unit with 100 cells keeps exactly K distinct cells; a unit with fewer keeps all', () => {
    const rows = [...rowsOf('alice', 100), ...rowsOf('bob', 3)];
    const bounded = boundContributions(rows, { maxCellsPerUnit: 8, maxPerCell: 1, rng: new SeededRandomSource(1) });
    const alice = keptCells(bounded.rows, 'alice');
    expect(alice).toHaveLength(8);
    expect(new Set(alice).size).toBe(8);
    expect(keptCells(bounded.rows, 'bob')).toEqual(['zone-0', 'zone-1', 'zone-2']);
    expect(bounded).toMatchObject({ maxCellsPerUnit: 8, maxPerCell: 1 });
  });

  it('removes per-cell duplicates down to maxPerCell', () => {
    const rows = rowsOf('alice', 4, 5);
    const once = boundContributions(rows, { maxCellsPerUnit: 10, maxPerCell: 1, rng: new SeededRandomSource(2) });
    expect(keptCells(once.rows, 'alice')).toEqual(['zone-0', 'zone-1', 'zone-2', 'zone-3']);
    const twice = boundContributions(rows, { maxCellsPerUnit: 10, maxPerCell: 2, rng: new SeededRandomSource(2) });
    expect(keptCells(twice.rows, 'alice')).toEqual([
      'zone-0',
      'zone-0',
      'zone-1',
      'zone-1',
      'zone-2',
      'zone-2',
      'zone-3',
      'zone-3',
    ]);
  });

  it("other units' rows never change which rows a unit keeps", () => {
    const alice = rowsOf('alice', 40, 3);
    const alone = boundContributions(alice, {
      maxCellsPerUnit: 5,
      maxPerCell: 2,
      rng: new SeededRandomSource('same-key'),
    });
    // Other units before, between and after alice's rows, some in the same cells.
    const others = [...rowsOf('bob', 60, 2), ...rowsOf('carol', 7)];
    const mixed: ContributionRow[] = [...others.slice(0, 50)];
    alice.forEach((row, i) => {
      mixed.push(row);
      const other = others[50 + i];
      if (other !== undefined) mixed.push(other);
    });
    const crowd = boundContributions(mixed, {
      maxCellsPerUnit: 5,
      maxPerCell: 2,
      rng: new SeededRandomSource('same-key'),
    });
    const aliceRows = (rows: readonly ContributionRow[]) => rows.filter((row) => row.unit === 'alice');
    expect(aliceRows(crowd.rows)).toEqual(aliceRows(alone.rows));
    expect(aliceRows(alone.rows)).toHaveLength(10);
  });

  it('chooses the kept cells uniformly at random (χ² over the 10 possible 2-of-5 subsets)', () => {
    const rng = new SeededRandomSource('uniform-cells');
    const rows = rowsOf('alice', 5);
    const subsets = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const key = keptCells(boundContributions(rows, { maxCellsPerUnit: 2, maxPerCell: 1, rng }).rows, 'alice').join(
        ',',
      );
      subsets.set(key, (subsets.get(key) ?? 0) + 1);
    }
    expect(subsets.size).toBe(10);
    const result = chiSquareUniform([...subsets.values()]);
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it('clamps kept values and requires integer values when clamping', () => {
    const rows: ContributionRow[] = [
      { unit: 'a', cell: 'x', value: 4000 },
      { unit: 'a', cell: 'y', value: -3 },
      { unit: 'b', cell: 'x', value: 60 },
    ];
    const bounded = boundContributions(rows, {
      maxCellsPerUnit: 2,
      maxPerCell: 1,
      clamp: { lo: 0, hi: 1800 },
      rng: new SeededRandomSource(3),
    });
    expect(bounded.rows.map((row) => row.value)).toEqual([1800, 0, 60]);
    expect(bounded.clamp).toEqual({ lo: 0, hi: 1800 });
    expect(rows[0]?.value).toBe(4000);
    const missing = [{ unit: 'a', cell: 'x' }];
    expect(
      thrownAppError(
        () =>
          boundContributions(missing, {
            maxCellsPerUnit: 1,
            maxPerCell: 1,
            clamp: { lo: 0, hi: 1 },
            rng: new SeededRandomSource(1),
          }),
        'DP_INVALID_PARAMETER',
      ).message,
    ).toMatch(/rows\[0\]\.value/);
  });

  it.each([
    ['maxCellsPerUnit 0', { maxCellsPerUnit: 0, maxPerCell: 1 }],
    ['maxCellsPerUnit 1.5', { maxCellsPerUnit: 1.5, maxPerCell: 1 }],
    ['maxPerCell -1', { maxCellsPerUnit: 1, maxPerCell: -1 }],
    ['clamp lo > hi', { maxCellsPerUnit: 1, maxPerCell: 1, clamp: { lo: 5, hi: 1 } }],
    ['clamp fractional', { maxCellsPerUnit: 1, maxPerCell: 1, clamp: { lo: 0, hi: 1.5 } }],
  ])('rejects %s', (_label, options) => {
    thrownAppError(
      () => boundContributions(rowsOf('a', 2), { ...options, rng: new SeededRandomSource(1) }),
      'DP_INVALID_PARAMETER',
    );
  });
});
