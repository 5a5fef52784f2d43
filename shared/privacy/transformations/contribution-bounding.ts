import { createHmac } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { RandomSource } from '../../ports/random.ts';
import { clamp } from './clamp.ts';

/** One record: the privacy unit it belongs to, the (public) cell it falls in, an optional integer value. */
export interface ContributionRow {
  readonly unit: string;
  readonly cell: string;
  readonly value?: number;
}

export interface ContributionBounds {
  /** L0: the most cells one unit may contribute to. */
  readonly maxCellsPerUnit: number;
  /** The most rows one unit may contribute to one cell (1 = "counted once per cell"). */
  readonly maxPerCell: number;
  /** Integer bounds applied to every kept row's value (required for sums). */
  readonly clamp?: { readonly lo: number; readonly hi: number };
}

export interface BoundContributionsOptions extends ContributionBounds {
  readonly rng: RandomSource;
}

/** Rows after bounding, together with the bounds they now satisfy (the input of the aggregates). */
export interface BoundedContributions<R extends ContributionRow = ContributionRow> extends ContributionBounds {
  readonly rows: readonly R[];
}

/**
 * Per-unit contribution bounding by sampling (as PipelineDP's SamplingCrossAndPerPartition-
 * ContributionBounder and Google's Privacy-on-Beam do; docs/references.md#differential-privacy):
 * each unit keeps a uniformly random set of at most `maxCellsPerUnit` of its cells, and in each kept
 * cell a uniformly random set of at most `maxPerCell` of its rows; values are clamped if asked.
 *
 * Guarantee: afterwards adding or removing one unit changes at most L0 = maxCellsPerUnit cells, by
 * at most maxPerCell rows each, whatever the other units' data.
 * Proof sketch: the rows kept for a unit are a function of that unit's own rows and the random key
 * only, so adding/removing a unit adds/removes exactly its kept rows and leaves every other unit's
 * kept rows unchanged (a 1-stable transformation of units), and those rows satisfy the bounds.
 *
 * Randomness: a fresh 256-bit key is drawn from `rng` per call; each candidate gets the priority
 * HMAC-SHA256(key, [unit, cell]) (or [unit, cell, i] for the unit's i-th row in that cell), and the
 * smallest priorities are kept. Bottom-k by independent uniform priorities is a uniform k-subset;
 * HMAC under a random key is a PRF, so the priorities are indistinguishable from independent
 * uniforms. Keying by the unit's own data (never by a shared stream position) is what makes a
 * unit's choice independent of other units' rows; privacy does not rely on the choice being random.
 */
export function boundContributions<R extends ContributionRow>(
  rows: readonly R[],
  options: BoundContributionsOptions,
): BoundedContributions<R> {
  const { maxCellsPerUnit, maxPerCell, rng } = options;
  positiveInteger(maxCellsPerUnit, 'maxCellsPerUnit');
  positiveInteger(maxPerCell, 'maxPerCell');
  const bounds = options.clamp;
  if (bounds !== undefined) {
    if (!Number.isSafeInteger(bounds.lo) || !Number.isSafeInteger(bounds.hi) || bounds.lo > bounds.hi) {
      throw new AppError('DP_INVALID_PARAMETER', `clamp is [${bounds.lo}, ${bounds.hi}], expected integers lo ≤ hi`);
    }
    rows.forEach((row, i) => {
      if (typeof row.value !== 'number' || !Number.isSafeInteger(row.value)) {
        throw new AppError(
          'DP_INVALID_PARAMETER',
          `rows[${i}].value is ${String(row.value)}, expected an integer (integerise values, e.g. to seconds, first)`,
        );
      }
    });
  }

  const key = new Uint8Array(32);
  rng.fillBytes(key);
  const priority = (parts: readonly (string | number)[]): Buffer =>
    createHmac('sha256', key).update(JSON.stringify(parts)).digest();

  // unit → cell → indexes of that unit's rows in that cell, in input order.
  const byUnit = new Map<string, Map<string, number[]>>();
  rows.forEach((row, index) => {
    const cells = byUnit.get(row.unit) ?? new Map<string, number[]>();
    byUnit.set(row.unit, cells);
    const indexes = cells.get(row.cell) ?? [];
    cells.set(row.cell, indexes);
    indexes.push(index);
  });

  const kept = new Uint8Array(rows.length);
  for (const [unit, cells] of byUnit) {
    for (const cell of smallest([...cells.keys()], maxCellsPerUnit, (c) => priority([unit, c]))) {
      const indexes = cells.get(cell) ?? [];
      const ordinals = smallest(
        indexes.map((_, ordinal) => ordinal),
        maxPerCell,
        (ordinal) => priority([unit, cell, ordinal]),
      );
      for (const ordinal of ordinals) kept[indexes[ordinal] as number] = 1;
    }
  }

  const out = rows.filter((_, index) => kept[index] === 1);
  return {
    rows:
      bounds === undefined
        ? out
        : out.map((row) => ({ ...row, value: clamp(row.value as number, bounds.lo, bounds.hi) })),
    maxCellsPerUnit,
    maxPerCell,
    ...(bounds === undefined ? {} : { clamp: { lo: bounds.lo, hi: bounds.hi } }),
  };
}

/** The k items with the smallest priorities (all of them, without hashing, when there are ≤ k). */
function smallest<T>(items: readonly T[], k: number, priorityOf: (item: T) => Buffer): T[] {
  if (items.length <= k) return [...items];
  return items
    .map((item) => ({ item, p: priorityOf(item) }))
    .sort((a, b) => Buffer.compare(a.p, b.p))
    .slice(0, k)
    .map(({ item }) => item);
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AppError('DP_INVALID_PARAMETER', `${name} is ${value}, expected a positive integer`);
  }
}
