import { AppError } from '../../../shared/errors.ts';
import { chargeable, type BudgetCaps, type MicroRho } from '../../../shared/privacy/accounting.ts';
import type { RandomSource } from '../../../shared/ports/random.ts';
import { boundedCount, boundedSum } from '../../../shared/privacy/transformations/bounded-aggregates.ts';
import { clamp } from '../../../shared/privacy/transformations/clamp.ts';
import {
  boundContributions,
  type BoundedContributions,
  type ContributionRow,
} from '../../../shared/privacy/transformations/contribution-bounding.ts';
import type { CalibratedRelease } from './calibrate.ts';

/**
 * One release, planned and noised (pure: data, ledger state and `rng` come in as arguments).
 *
 * 1. Rows outside the public cells are dropped (a per-row filter).
 * 2. Shoppers already filtered out today are left out ("left out of further releases that day").
 * 3. Each shopper keeps a uniformly random set of at most min(L0, K − cells already used today
 *    by this kind) of their cells (boundContributions: depends on their own rows only); a
 *    shopper with no cells left today for this kind is left out of this kind only.
 * 4. Each remaining shopper's own cost is the charge for the cells they kept
 *    (CalibratedRelease.chargeMicroRho). If it does not fit both caps of their ledger
 *    (accounting.chargeable), they are left out of this release and marked filtered for the day.
 * 5. The kept rows are aggregated over ALL public cells (zeros included) and every measure gets
 *    its own independent noise, drawn once here.
 *
 * The result lists each charge; the caller stores charges, the release and its noisy values in
 * one transaction.
 */

/** One shopper's (privacy unit's) contribution to one cell; `value` is required for sums. */
export interface ReleaseRow {
  readonly unit: number;
  readonly cell: string;
  readonly value?: number;
}

/** A unit's ledger state on the release's day. */
export interface UnitBudget {
  readonly dayRho: MicroRho;
  readonly windowRho: MicroRho;
  /** Cells of this release kind already contributed on this day (for K). */
  readonly cellsToday: number;
  /** Left out of releases for the rest of the day by an earlier release. */
  readonly filtered: boolean;
}

export interface PlanInput {
  readonly release: CalibratedRelease;
  readonly rows: readonly ReleaseRow[];
  readonly budgetOf: (unit: number) => UnitBudget;
  readonly caps: BudgetCaps;
  readonly rng: RandomSource;
}

export interface UnitCharge {
  readonly unit: number;
  readonly rho: MicroRho;
  readonly cells: number;
}

export interface ReleasePlan {
  /** values[m][i]: measure m's noisy value for cell i. */
  readonly values: readonly (readonly number[])[];
  readonly charges: readonly UnitCharge[];
  /** Units newly over budget: to be marked filtered for the rest of the day. */
  readonly newlyFiltered: readonly number[];
  readonly excluded: { readonly filteredEarlier: number; readonly budget: number; readonly cellCap: number };
  readonly contributors: number;
  /** Σ charges (µρ). */
  readonly chargedMicroRho: number;
}

interface Candidate extends ContributionRow {
  readonly pk: number;
}

export function planRelease(input: PlanInput): ReleasePlan {
  const { release, caps, rng } = input;
  const cells = release.shape.cells;
  const publicCells = new Set(cells);
  const needsValue = release.measures.some((m) => m.definition.query === 'sum');

  // unit → its candidate rows in public cells
  const byUnit = new Map<number, Candidate[]>();
  input.rows.forEach((row, i) => {
    if (!Number.isSafeInteger(row.unit))
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `rows[${i}].unit is ${String(row.unit)}, expected an integer shopper key`,
      );
    if (needsValue && !Number.isSafeInteger(row.value)) {
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `rows[${i}].value is ${String(row.value)}, expected an integer (this release sums values)`,
      );
    }
    if (!publicCells.has(row.cell)) return;
    const list = byUnit.get(row.unit) ?? [];
    byUnit.set(row.unit, list);
    list.push({
      unit: String(row.unit),
      pk: row.unit,
      cell: row.cell,
      ...(row.value !== undefined ? { value: row.value } : {}),
    });
  });

  // Group units by how many cells they may still use (one bounding pass per group).
  let filteredEarlier = 0;
  let cellCap = 0;
  const budgets = new Map<number, UnitBudget>();
  const groups = new Map<number, Candidate[]>();
  for (const [unit, rows] of byUnit) {
    const budget = input.budgetOf(unit);
    budgets.set(unit, budget);
    if (budget.filtered) {
      filteredEarlier++;
      continue;
    }
    const allowed = Math.min(release.maxCellsPerRelease, release.shape.maxCellsPerDay - budget.cellsToday);
    if (allowed <= 0) {
      cellCap++;
      continue;
    }
    const group = groups.get(allowed) ?? [];
    groups.set(allowed, group);
    for (const row of rows) group.push(row);
  }

  const kept = new Map<number, Candidate[]>();
  for (const allowed of [...groups.keys()].sort((a, b) => a - b)) {
    const bounded = boundContributions(groups.get(allowed) as Candidate[], {
      maxCellsPerUnit: allowed,
      maxPerCell: 1,
      rng,
    });
    for (const row of bounded.rows) {
      const list = kept.get(row.pk) ?? [];
      kept.set(row.pk, list);
      list.push(row);
    }
  }

  // The privacy filter, per unit, on its own cost.
  const charges: UnitCharge[] = [];
  const newlyFiltered: number[] = [];
  const included: Candidate[] = [];
  for (const [unit, rows] of kept) {
    const cost = release.chargeMicroRho[rows.length];
    if (cost === undefined)
      throw new AppError('INTERNAL', `unit kept ${rows.length} cells, more than the release's L0`);
    if (!chargeable(budgets.get(unit) as UnitBudget, cost, caps)) {
      newlyFiltered.push(unit);
      continue;
    }
    charges.push({ unit, rho: cost, cells: rows.length });
    for (const row of rows) included.push(row);
  }

  const bounded: BoundedContributions = { rows: included, maxCellsPerUnit: release.maxCellsPerRelease, maxPerCell: 1 };
  const values = release.measures.map((measure) => {
    if (measure.definition.query === 'count') {
      return measure.mechanism.release(boundedCount(bounded, cells).counts, rng);
    }
    const { lo, hi } = measure.definition.clamp as { lo: number; hi: number };
    const sums = boundedSum(
      { ...bounded, rows: included.map((r) => ({ ...r, value: clamp(r.value as number, lo, hi) })), clamp: { lo, hi } },
      cells,
    ).sums;
    return measure.mechanism.release(sums, rng).map((v) => {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
        throw new AppError('INTERNAL', 'a noisy sum exceeds 2^53 − 1');
      return Number(v);
    });
  });

  return {
    values,
    charges,
    newlyFiltered,
    excluded: { filteredEarlier, budget: newlyFiltered.length, cellCap },
    contributors: charges.length,
    chargedMicroRho: charges.reduce((sum, c) => sum + c.rho, 0),
  };
}
