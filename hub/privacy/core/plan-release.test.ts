import { describe, expect, it } from 'vitest';
import { rational } from '../../../shared/privacy/rational.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { calibrateRelease } from './calibrate.ts';
import { planRelease, type ReleaseRow, type UnitBudget } from './plan-release.ts';

const CELLS = ['a', 'b', 'c', 'd'];
const FRESH: UnitBudget = { dayRho: 0, windowRho: 0, cellsToday: 0, filtered: false };
const CAPS = { dailyRho: 1_000_000, thirtyDayRho: 10_000_000 };

/** ρ = 100 per release: σ² = L0/200 ≤ 0.02, so a cell's noise is non-zero with probability < 1e-10. */
function nearlyNoiseless(
  maxCellsPerDay: number,
  measures = [{ metric: 'shoppers', query: 'count' as const, share: rational(1n) }],
) {
  return calibrateRelease({
    cells: CELLS,
    measures,
    maxCellsPerDay,
    rho: rational(100n),
    mechanism: 'discrete-gaussian',
  });
}

describe('planning a release', () => {
  it('releases every public cell, zeros included, and ignores rows outside them', () => {
    const rows: ReleaseRow[] = [
      { unit: 1, cell: 'a' },
      { unit: 2, cell: 'a' },
      { unit: 2, cell: 'c' },
      { unit: 3, cell: 'zz' },
    ];
    const plan = planRelease({
      release: nearlyNoiseless(4),
      rows,
      budgetOf: () => FRESH,
      caps: { dailyRho: 100_000_000, thirtyDayRho: 100_000_000 },
      rng: new SeededRandomSource(1),
    });
    expect(plan.values).toEqual([[2, 0, 1, 0]]);
    expect(plan.charges.map((c) => [c.unit, c.cells])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(plan.contributors).toBe(2);
  });

  it('keeps at most min(L0, K − cells used today) cells per shopper, chosen from their own cells', () => {
    const rows: ReleaseRow[] = CELLS.map((cell) => ({ unit: 7, cell }));
    const release = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
      maxCellsPerDay: 3,
      rho: rational(1n, 10n),
      mechanism: 'discrete-gaussian',
    });
    const plan = planRelease({
      release,
      rows,
      budgetOf: () => ({ ...FRESH, cellsToday: 1 }),
      caps: CAPS,
      rng: new SeededRandomSource(2),
    });
    expect(plan.charges).toEqual([{ unit: 7, cells: 2, rho: release.chargeMicroRho[2] }]);
    const full = planRelease({
      release,
      rows,
      budgetOf: () => ({ ...FRESH, cellsToday: 3 }),
      caps: CAPS,
      rng: new SeededRandomSource(2),
    });
    expect(full.charges).toEqual([]);
    expect(full.excluded.cellCap).toBe(1);
  });

  it('is a privacy filter: a shopper whose charge would pass a cap is left out and reported for filtering', () => {
    const release = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
      maxCellsPerDay: 4,
      rho: rational(1n, 10n),
      mechanism: 'discrete-gaussian',
    });
    const perCell = release.chargeMicroRho[1] as number;
    const budgets = new Map<number, UnitBudget>([
      [1, FRESH],
      [2, { ...FRESH, dayRho: CAPS.dailyRho - perCell + 1 }],
      [3, { ...FRESH, windowRho: CAPS.thirtyDayRho - perCell }],
      [4, { ...FRESH, filtered: true }],
    ]);
    const rows: ReleaseRow[] = [1, 2, 3, 4].map((unit) => ({ unit, cell: 'b' }));
    const plan = planRelease({
      release,
      rows,
      budgetOf: (u) => budgets.get(u) as UnitBudget,
      caps: CAPS,
      rng: new SeededRandomSource(3),
    });
    expect(plan.charges.map((c) => c.unit)).toEqual([1, 3]);
    expect(plan.newlyFiltered).toEqual([2]);
    expect(plan.excluded).toEqual({ filteredEarlier: 1, budget: 1, cellCap: 0 });
    expect(plan.chargedMicroRho).toBe(2 * perCell);
  });

  it('clamps sums per shopper-cell and counts the same shoppers', () => {
    const release = nearlyNoiseless(4, [
      { metric: 'dwellSeconds', query: 'sum', clamp: { lo: 0, hi: 1800 }, share: rational(1n, 2n) } as never,
      { metric: 'shoppers', query: 'count', share: rational(1n, 2n) } as never,
    ]);
    const rows: ReleaseRow[] = [
      { unit: 1, cell: 'a', value: 5000 },
      { unit: 2, cell: 'a', value: 300 },
      { unit: 2, cell: 'd', value: 60 },
    ];
    const plan = planRelease({
      release,
      rows,
      budgetOf: () => FRESH,
      caps: { dailyRho: 100_000_000, thirtyDayRho: 100_000_000 },
      rng: new SeededRandomSource(4),
    });
    // σ² of the sum is 4·1800²/(2·50) ≈ 130k: only the count is near-exact.
    expect(plan.values[1]).toEqual([2, 0, 0, 1]);
    expect(plan.values[0]).toHaveLength(4);
    const exact = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'seconds', query: 'sum', clamp: { lo: 0, hi: 10 }, share: rational(1n) }],
      maxCellsPerDay: 4,
      rho: rational(100_000n),
      mechanism: 'discrete-gaussian',
    });
    expect(
      planRelease({
        release: exact,
        rows,
        budgetOf: () => FRESH,
        caps: { dailyRho: 10 ** 12, thirtyDayRho: 10 ** 12 },
        rng: new SeededRandomSource(4),
      }).values,
    ).toEqual([[20, 0, 0, 10]]);
    expect(() =>
      planRelease({
        release,
        rows: [{ unit: 1, cell: 'a' }],
        budgetOf: () => FRESH,
        caps: CAPS,
        rng: new SeededRandomSource(4),
      }),
    ).toThrow(/rows\[0\]\.value is undefined, expected an integer/);
  });

  it('draws fresh noise on every call (a release must therefore be computed once and stored)', () => {
    const release = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
      maxCellsPerDay: 4,
      rho: rational(1n, 100n),
      mechanism: 'discrete-gaussian',
    });
    const rng = new SeededRandomSource(5);
    const a = planRelease({ release, rows: [], budgetOf: () => FRESH, caps: CAPS, rng });
    const b = planRelease({ release, rows: [], budgetOf: () => FRESH, caps: CAPS, rng });
    expect(a.values).not.toEqual(b.values);
  });
});
