import { AppError } from '../../errors.ts';
import { contributionSensitivity, type Sensitivity } from '../sensitivity.ts';
import type { BoundedContributions } from './contribution-bounding.ts';

/** Per-cell counts over a public list of cells (zeros included), with their sensitivity. */
export interface CellCounts {
  readonly cells: readonly string[];
  readonly counts: number[];
  readonly sensitivity: Sensitivity;
}

/** Per-cell sums of clamped integer values (exact BigInt accumulation), with their sensitivity. */
export interface CellSums {
  readonly cells: readonly string[];
  readonly sums: bigint[];
  readonly sensitivity: Sensitivity;
}

/**
 * Count of bounded rows in each public cell. Rows in cells outside `cells` are dropped (a per-row
 * filter, which cannot raise the sensitivity); every listed cell is reported, zeros included, so
 * no partition selection is needed (docs/references.md#differential-privacy).
 * Sensitivity (add/remove one unit): L0 = maxCellsPerUnit, L∞ = maxPerCell, so Δ1 = L0·L∞ and
 * Δ2² = L0·L∞².
 */
export function boundedCount(bounded: BoundedContributions, cells: readonly string[]): CellCounts {
  const slot = cellIndex(cells);
  checkBounds(bounded);
  const counts = cells.map(() => 0);
  for (const row of bounded.rows) {
    const i = slot.get(row.cell);
    if (i !== undefined) counts[i] = (counts[i] as number) + 1;
  }
  return { cells, counts, sensitivity: contributionSensitivity(bounded.maxCellsPerUnit, bounded.maxPerCell) };
}

/**
 * Sum of the clamped values in each public cell, accumulated in BigInt so that no float rounding
 * can break the sensitivity bound (Casacuberta, Shoemate, Vadhan, Wagaman, CCS 2022).
 * Sensitivity (add/remove one unit): one unit adds at most maxPerCell values of magnitude
 * ≤ max(|lo|, |hi|) to each of at most L0 cells: L∞ = maxPerCell·max(|lo|, |hi|).
 */
export function boundedSum(bounded: BoundedContributions, cells: readonly string[]): CellSums {
  const slot = cellIndex(cells);
  const bounds = bounded.clamp;
  if (bounds === undefined) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      'clamp is missing: a bounded sum needs rows bounded with clamp {lo, hi}',
    );
  }
  checkBounds(bounded);
  const sums = cells.map(() => 0n);
  for (const row of bounded.rows) {
    const i = slot.get(row.cell);
    if (i !== undefined) sums[i] = (sums[i] as bigint) + BigInt(row.value as number);
  }
  const lInf = BigInt(bounded.maxPerCell) * BigInt(Math.max(Math.abs(bounds.lo), Math.abs(bounds.hi)));
  return { cells, sums, sensitivity: contributionSensitivity(bounded.maxCellsPerUnit, lInf) };
}

function cellIndex(cells: readonly string[]): Map<string, number> {
  const slot = new Map<string, number>();
  cells.forEach((cell, i) => {
    if (slot.has(cell))
      throw new AppError('DP_INVALID_PARAMETER', `cells lists ${JSON.stringify(cell)} twice, expected distinct cells`);
    slot.set(cell, i);
  });
  return slot;
}

/** Re-checks the bounds the sensitivity relies on, so a hand-built BoundedContributions cannot lie. */
function checkBounds(bounded: BoundedContributions): void {
  const perUnit = new Map<string, Map<string, number>>();
  for (const row of bounded.rows) {
    const cells = perUnit.get(row.unit) ?? new Map<string, number>();
    perUnit.set(row.unit, cells);
    cells.set(row.cell, (cells.get(row.cell) ?? 0) + 1);
    if ((cells.get(row.cell) as number) > bounded.maxPerCell || cells.size > bounded.maxCellsPerUnit) {
      throw new AppError(
        'DP_INVALID_PARAMETER',
        'rows exceed their stated contribution bounds: bound them with boundContributions first',
      );
    }
    const bounds = bounded.clamp;
    if (
      bounds !== undefined &&
      !(
        typeof row.value === 'number' &&
        Number.isSafeInteger(row.value) &&
        row.value >= bounds.lo &&
        row.value <= bounds.hi
      )
    ) {
      throw new AppError(
        'DP_INVALID_PARAMETER',
        'a row value lies outside the stated clamp: bound the rows with boundContributions first',
      );
    }
  }
}
