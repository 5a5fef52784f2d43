import { describe, expect, it } from 'vitest';
import { rational } from '../../../shared/privacy/rational.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { calibrateRelease } from './calibrate.ts';
import type { UnitPeriodState } from '../../../shared/privacy/accounting.ts';
import { planRelease, type ReleaseRow } from './plan-release.ts';

const CELLS = ['a', 'b', 'c', 'd'];
const FRESH: UnitPeriodState = { spentMicro: 0, excluded: false };
const CAPS = { periodMicro: 1_000_000, lifetimeMicro: null };
const WIDE = { periodMicro: 100_000_000, lifetimeMicro: null };
const ALWAYS = (): boolean => true;

/** ρ = 100 per release: σ² = L0/200 ≤ 0.02, so a cell's noise is non-zero with probability < 1e-10. */
function nearlyNoiseless(
  maxCellsPerShopper: number,
  measures = [{ metric: 'shoppers', query: 'count' as const, share: rational(1n) }],
) {
  return calibrateRelease({
    cells: CELLS,
    measures,
    maxCellsPerShopper,
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
      stateOf: () => FRESH,
      participates: ALWAYS,
      caps: WIDE,
      rng: new SeededRandomSource(1),
    });
    expect(plan.values).toEqual([[2, 0, 1, 0]]);
    expect(plan.charges.map((c) => [c.unit, c.cells])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(plan.contributors).toBe(2);
  });

  it('keeps at most L0 cells per shopper, chosen from their own cells', () => {
    const rows: ReleaseRow[] = CELLS.map((cell) => ({ unit: 7, cell }));
    const release = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
      maxCellsPerShopper: 3,
      rho: rational(1n, 10n),
      mechanism: 'discrete-gaussian',
    });
    const plan = planRelease({
      release,
      rows,
      stateOf: () => FRESH,
      participates: ALWAYS,
      caps: CAPS,
      rng: new SeededRandomSource(2),
    });
    expect(plan.charges).toEqual([{ unit: 7, cells: 3, rho: release.chargeMicroRho[3] }]);
  });

  it('leaves out shoppers past their lifetime participation without charging them', () => {
    const release = nearlyNoiseless(4);
    const rows: ReleaseRow[] = [1, 2].map((unit) => ({ unit, cell: 'a' }));
    const plan = planRelease({
      release,
      rows,
      stateOf: () => FRESH,
      participates: (u) => u === 1,
      caps: WIDE,
      rng: new SeededRandomSource(8),
    });
    expect(plan.charges.map((c) => c.unit)).toEqual([1]);
    expect(plan.values).toEqual([[1, 0, 0, 0]]);
    expect(plan.excluded).toEqual({ earlier: 0, budget: 0, lifetime: 1 });
  });

  it("is a privacy filter: a shopper whose charge would pass the period's cap is left out and reported", () => {
    const release = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
      maxCellsPerShopper: 4,
      rho: rational(1n, 10n),
      mechanism: 'discrete-gaussian',
    });
    const perCell = release.chargeMicroRho[1] as number;
    const states = new Map<number, UnitPeriodState>([
      [1, FRESH],
      [2, { spentMicro: CAPS.periodMicro - perCell + 1, excluded: false }],
      [3, { spentMicro: CAPS.periodMicro - perCell, excluded: false }],
      [4, { spentMicro: 0, excluded: true }],
    ]);
    const rows: ReleaseRow[] = [1, 2, 3, 4].map((unit) => ({ unit, cell: 'b' }));
    const plan = planRelease({
      release,
      rows,
      stateOf: (u) => states.get(u) as UnitPeriodState,
      participates: ALWAYS,
      caps: CAPS,
      rng: new SeededRandomSource(3),
    });
    expect(plan.charges.map((c) => c.unit)).toEqual([1, 3]);
    expect(plan.newlyExcluded).toEqual([2]);
    expect(plan.excluded).toEqual({ earlier: 1, budget: 1, lifetime: 0 });
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
      stateOf: () => FRESH,
      participates: ALWAYS,
      caps: WIDE,
      rng: new SeededRandomSource(4),
    });
    // σ² of the sum is 4·1800²/(2·50) ≈ 130k: only the count is near-exact.
    expect(plan.values[1]).toEqual([2, 0, 0, 1]);
    expect(plan.values[0]).toHaveLength(4);
    const exact = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'seconds', query: 'sum', clamp: { lo: 0, hi: 10 }, share: rational(1n) }],
      maxCellsPerShopper: 4,
      rho: rational(100_000n),
      mechanism: 'discrete-gaussian',
    });
    expect(
      planRelease({
        release: exact,
        rows,
        stateOf: () => FRESH,
        participates: ALWAYS,
        caps: { periodMicro: 10 ** 12, lifetimeMicro: null },
        rng: new SeededRandomSource(4),
      }).values,
    ).toEqual([[20, 0, 0, 10]]);
    expect(() =>
      planRelease({
        release,
        rows: [{ unit: 1, cell: 'a' }],
        stateOf: () => FRESH,
        participates: ALWAYS,
        caps: CAPS,
        rng: new SeededRandomSource(4),
      }),
    ).toThrow(/rows\[0\]\.value is undefined, expected an integer/);
  });

  it('draws fresh noise on every call (a release must therefore be computed once and stored)', () => {
    const release = calibrateRelease({
      cells: CELLS,
      measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
      maxCellsPerShopper: 4,
      rho: rational(1n, 100n),
      mechanism: 'discrete-gaussian',
    });
    const rng = new SeededRandomSource(5);
    const a = planRelease({ release, rows: [], stateOf: () => FRESH, participates: ALWAYS, caps: CAPS, rng });
    const b = planRelease({ release, rows: [], stateOf: () => FRESH, participates: ALWAYS, caps: CAPS, rng });
    expect(a.values).not.toEqual(b.values);
  });
});
