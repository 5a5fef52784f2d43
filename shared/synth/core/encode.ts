import { AppError } from '../../errors.ts';
import { labelColumn, validateSchema, type ColumnSpec, type NumericColumn, type SynthSchema } from './schema.ts';

/**
 * Records → integer vectors with a stated norm bound (docs/synthetic-data.md §2).
 *
 * Every record becomes `dim` integers in units of 1/scale (scale = G, a power of two):
 * - a numeric column: one coordinate round(u·G) − G/2 ∈ [−G/2, G/2], u = the clipped value scaled
 *   to [0, 1] (after ln(1 + x) for log1p columns);
 * - a categorical column with 2 categories: one coordinate, −G/2 for the first and +G/2 for the
 *   second;
 * - a categorical column with k ≥ 3 categories: k coordinates, G at the record's category, 0 elsewhere;
 * - the count coordinate: G for every record (sums of it are G·(number of records)).
 * Centring at ½ halves the bound of a [0, 1] coordinate, so ‖v‖₂² ≤ R² with
 *   R² = (#numeric + #binary)·(G/2)² + (#categorical with k ≥ 3)·G² + G²,
 * exactly, for every record whatever its values (the label is one of the columns).
 */

export type RawValue = string | number;

export type Coordinate =
  | { readonly kind: 'centred'; readonly column: number }
  | { readonly kind: 'one-hot'; readonly column: number; readonly category: number }
  | { readonly kind: 'count' };

export interface CoordinateLayout {
  readonly schema: SynthSchema;
  /** G: integer units per 1. */
  readonly scale: number;
  readonly coords: readonly Coordinate[];
  readonly dim: number;
  readonly countIndex: number;
  /** Coordinates of the non-label columns (what the clustering sees). */
  readonly featureIndexes: readonly number[];
  readonly labelIndexes: readonly number[];
  /** R² in integer units: ‖v‖² of every record is at most this. */
  readonly normSquared: bigint;
  /** The same bound over the feature coordinates and the count coordinate only. */
  readonly featureNormSquared: bigint;
}

export interface EncodedTable {
  readonly layout: CoordinateLayout;
  readonly rows: number;
  /** rows × dim, row-major. */
  readonly values: Int32Array;
  /** The label class of each row (0 when the schema has no label). */
  readonly labelClass: Int32Array;
}

export const DEFAULT_SCALE = 1024;

export function makeLayout(schema: SynthSchema, scale = DEFAULT_SCALE): CoordinateLayout {
  validateSchema(schema);
  if (!Number.isInteger(scale) || scale < 2 || scale > 2 ** 20 || (scale & (scale - 1)) !== 0) {
    throw new AppError('DP_INVALID_PARAMETER', `scale is ${scale}, expected a power of two 2..2^20`);
  }
  const coords: Coordinate[] = [];
  const featureIndexes: number[] = [];
  const labelIndexes: number[] = [];
  const g = BigInt(scale);
  const half = g / 2n;
  let normSquared = g * g; // the count coordinate
  let featureNormSquared = g * g;
  schema.columns.forEach((column, index) => {
    const isLabel = column.name === schema.label;
    const target = isLabel ? labelIndexes : featureIndexes;
    let bound: bigint;
    if (column.kind === 'numeric' || column.categories.length === 2) {
      target.push(coords.length);
      coords.push({ kind: 'centred', column: index });
      bound = half * half;
    } else {
      column.categories.forEach((_, category) => {
        target.push(coords.length);
        coords.push({ kind: 'one-hot', column: index, category });
      });
      bound = g * g;
    }
    normSquared += bound;
    if (!isLabel) featureNormSquared += bound;
  });
  const countIndex = coords.length;
  coords.push({ kind: 'count' });
  return {
    schema,
    scale,
    coords,
    dim: coords.length,
    countIndex,
    featureIndexes,
    labelIndexes,
    normSquared,
    featureNormSquared,
  };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A numeric cell as a finite number; AppError('SYNTH_BAD_VALUE') names the row, column and value. */
export function parseNumericCell(value: RawValue, column: string, row: number): number {
  const x = typeof value === 'number' ? value : NUMBER.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(x)) {
    throw new AppError(
      'SYNTH_BAD_VALUE',
      `row ${row + 1}, column "${column}" is ${JSON.stringify(value)}, expected a number such as 12 or 3.5`,
    );
  }
  return x;
}

function transformed(column: NumericColumn, x: number): number {
  return column.transform === 'log1p' ? Math.log1p(Math.max(0, x)) : x;
}

/** The clipped, scaled value u ∈ [0, 1] of a number in a numeric column. */
export function unitValue(column: NumericColumn, x: number): number {
  const lo = transformed(column, column.lo);
  const hi = transformed(column, column.hi);
  const t = transformed(column, Math.min(column.hi, Math.max(column.lo, x)));
  return Math.min(1, Math.max(0, (t - lo) / (hi - lo)));
}

/** The inverse of unitValue (u is clamped to [0, 1]), rounded to the column's decimals. */
export function numericFromUnit(column: NumericColumn, u: number): number {
  const lo = transformed(column, column.lo);
  const hi = transformed(column, column.hi);
  const t = lo + Math.min(1, Math.max(0, u)) * (hi - lo);
  const x = column.transform === 'log1p' ? Math.expm1(t) : t;
  const factor = 10 ** (column.decimals ?? 4);
  return Math.min(column.hi, Math.max(column.lo, Math.round(x * factor) / factor));
}

function categoryIndex(column: Extract<ColumnSpec, { kind: 'categorical' }>, value: RawValue, row: number): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const index = column.categories.indexOf(text);
  if (index < 0) {
    throw new AppError(
      'SYNTH_BAD_VALUE',
      `row ${row + 1}, column "${column.name}" is ${JSON.stringify(value)}, expected one of: ${column.categories.join(', ')}`,
    );
  }
  return index;
}

/**
 * Encodes rows given in schema column order. Validates every value before returning, so a bad
 * cell fails the whole table (nothing half-encoded).
 */
export function encodeRows(layout: CoordinateLayout, rows: readonly (readonly RawValue[])[]): EncodedTable {
  const { schema, scale, dim } = layout;
  const half = scale / 2;
  const values = new Int32Array(rows.length * dim);
  const labelClass = new Int32Array(rows.length);
  const label = labelColumn(schema);
  rows.forEach((row, r) => {
    if (row.length !== schema.columns.length) {
      throw new AppError(
        'SYNTH_BAD_VALUE',
        `row ${r + 1} has ${row.length} values, expected ${schema.columns.length} (${schema.columns.map((c) => c.name).join(', ')})`,
      );
    }
    const base = r * dim;
    let k = 0;
    schema.columns.forEach((column, c) => {
      const raw = row[c] as RawValue;
      if (column.kind === 'numeric') {
        values[base + k++] = Math.round(unitValue(column, parseNumericCell(raw, column.name, r)) * scale) - half;
        return;
      }
      const index = categoryIndex(column, raw, r);
      if (column === label) labelClass[r] = index;
      if (column.categories.length === 2) {
        values[base + k++] = index === 0 ? -half : half;
        return;
      }
      for (let j = 0; j < column.categories.length; j++) values[base + k++] = j === index ? scale : 0;
    });
    values[base + layout.countIndex] = scale;
  });
  return { layout, rows: rows.length, values, labelClass };
}

/** ‖v‖² of row r, exactly (for tests of the bound). */
export function rowNormSquared(table: EncodedTable, r: number): bigint {
  let sum = 0n;
  for (let j = 0; j < table.layout.dim; j++) {
    const v = BigInt(table.values[r * table.layout.dim + j] as number);
    sum += v * v;
  }
  return sum;
}
