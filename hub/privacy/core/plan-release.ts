import { AppError } from '../../../shared/errors.ts';
import {
  chargeable,
  type MicroRho,
  type PeriodCaps,
  type UnitPeriodState,
} from '../../../shared/privacy/accounting.ts';
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
 * One release, planned and noised (pure: data, ledger state and `rng` come in as arguments;
 * docs/privacy.md §3).
 *
 * 1. Rows outside the public cells are dropped (a per-row filter).
 * 2. Shoppers left out of the rest of the window's budget period by an earlier release, and
 *    shoppers past their lifetime participation, are left out.
 * 3. Each shopper keeps a uniformly random set of at most L0 of their cells (boundContributions:
 *    depends on their own rows only).
 * 4. Each remaining shopper's own cost is the charge for the cells they kept
 *    (CalibratedRelease.chargeMicroRho). If it does not fit the period's cap
 *    (accounting.chargeable), they are left out of this release and of the rest of the period.
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

export interface PlanInput {
  readonly release: CalibratedRelease;
  readonly rows: readonly ReleaseRow[];
  /** The unit's state in the ledger of the window's budget period. */
  readonly stateOf: (unit: number) => UnitPeriodState;
  /** Whether the unit takes part in this period at all (the lifetime cap; true without one). */
  readonly participates: (unit: number) => boolean;
  readonly caps: PeriodCaps;
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
  /** Units whose cost did not fit: to be left out of the rest of the period. */
  readonly newlyExcluded: readonly number[];
  /** Left out: earlier in the period, now (budget), by the lifetime cap. */
  readonly excluded: { readonly earlier: number; readonly budget: number; readonly lifetime: number };
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

  let earlier = 0;
  let lifetime = 0;
  const states = new Map<number, UnitPeriodState>();
  const candidates: Candidate[] = [];
  for (const [unit, rows] of byUnit) {
    const state = input.stateOf(unit);
    if (state.excluded) {
      earlier++;
      continue;
    }
    if (!input.participates(unit)) {
      lifetime++;
      continue;
    }
    states.set(unit, state);
    for (const row of rows) candidates.push(row);
  }

  const kept = new Map<number, Candidate[]>();
  const boundedRows = boundContributions(candidates, {
    maxCellsPerUnit: release.maxCellsPerRelease,
    maxPerCell: 1,
    rng,
  }).rows;
  for (const row of boundedRows) {
    const list = kept.get(row.pk) ?? [];
    kept.set(row.pk, list);
    list.push(row);
  }

  // The privacy filter, per unit, on its own cost.
  const charges: UnitCharge[] = [];
  const newlyExcluded: number[] = [];
  const included: Candidate[] = [];
  for (const [unit, rows] of kept) {
    const cost = release.chargeMicroRho[rows.length];
    if (cost === undefined)
      throw new AppError('INTERNAL', `unit kept ${rows.length} cells, more than the release's L0`);
    if (!chargeable(states.get(unit) as UnitPeriodState, cost, caps)) {
      newlyExcluded.push(unit);
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
    newlyExcluded,
    excluded: { earlier, budget: newlyExcluded.length, lifetime },
    contributors: charges.length,
    chargedMicroRho: charges.reduce((sum, c) => sum + c.rho, 0),
  };
}
