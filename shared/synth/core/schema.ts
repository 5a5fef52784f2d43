import { AppError } from '../../errors.ts';

/**
 * The public description of a table to synthesize: every column's kind and bounds. Nothing here
 * may be read from the private rows (docs/synthetic-data.md §2): numeric ranges and category lists
 * are parameters the data holder states, like the clamp bounds of any DP sum.
 */

/** A number clipped to [lo, hi]; `log1p` columns are mapped through ln(1 + x) (x ≥ 0) before scaling. */
export interface NumericColumn {
  readonly name: string;
  readonly kind: 'numeric';
  readonly lo: number;
  readonly hi: number;
  readonly transform?: 'identity' | 'log1p';
  /** Written back rounded to this many decimals (default 4). */
  readonly decimals?: number;
}

/** One of a public list of categories (2 categories: one ±½ coordinate; more: a one-hot block). */
export interface CategoricalColumn {
  readonly name: string;
  readonly kind: 'categorical';
  readonly categories: readonly string[];
}

export type ColumnSpec = NumericColumn | CategoricalColumn;

export interface SynthSchema {
  /** In output order; the label is one of them. */
  readonly columns: readonly ColumnSpec[];
  /** The label column's name (a categorical column), or undefined for a table without a label. */
  readonly label?: string;
}

const NAME = /^[^\s,"][^,"]{0,199}$/;

/** Checks a schema's internal consistency; throws AppError('SYNTH_BAD_SCHEMA') naming the fault. */
export function validateSchema(schema: SynthSchema): SynthSchema {
  if (!Array.isArray(schema.columns) || schema.columns.length === 0) {
    throw new AppError('SYNTH_BAD_SCHEMA', 'the schema has no columns, expected at least one');
  }
  const seen = new Set<string>();
  for (const column of schema.columns) {
    if (typeof column.name !== 'string' || !NAME.test(column.name)) {
      throw new AppError('SYNTH_BAD_SCHEMA', `column name ${JSON.stringify(column.name)} is not a valid CSV header`);
    }
    if (seen.has(column.name)) throw new AppError('SYNTH_BAD_SCHEMA', `column "${column.name}" appears twice`);
    seen.add(column.name);
    if (column.kind === 'numeric') validateNumeric(column);
    else if (column.kind === 'categorical') validateCategorical(column);
    else {
      throw new AppError(
        'SYNTH_BAD_SCHEMA',
        `column "${(column as ColumnSpec).name}" has kind ${JSON.stringify((column as { kind: unknown }).kind)}, expected "numeric" or "categorical"`,
      );
    }
  }
  if (schema.label !== undefined) {
    const label = schema.columns.find((c) => c.name === schema.label);
    if (label === undefined) {
      throw new AppError(
        'SYNTH_MISSING_COLUMN',
        `label column "${schema.label}" is not in the schema, expected one of: ${schema.columns.map((c) => c.name).join(', ')}`,
      );
    }
    if (label.kind !== 'categorical') {
      throw new AppError('SYNTH_BAD_SCHEMA', `label column "${schema.label}" is numeric, expected categorical classes`);
    }
  }
  return schema;
}

function validateNumeric(column: NumericColumn): void {
  const { name, lo, hi } = column;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new AppError('SYNTH_BAD_SCHEMA', `column "${name}" has bounds [${lo}, ${hi}], expected finite lo < hi`);
  }
  if (column.transform === 'log1p' && lo < 0) {
    throw new AppError('SYNTH_BAD_SCHEMA', `column "${name}" is log1p with lo = ${lo}, expected lo ≥ 0`);
  }
  if (column.transform !== undefined && column.transform !== 'identity' && column.transform !== 'log1p') {
    throw new AppError(
      'SYNTH_BAD_SCHEMA',
      `column "${name}" has transform ${JSON.stringify(column.transform)}, expected "identity" or "log1p"`,
    );
  }
  const decimals = column.decimals ?? 4;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 12) {
    throw new AppError('SYNTH_BAD_SCHEMA', `column "${name}" has decimals ${decimals}, expected an integer 0..12`);
  }
}

function validateCategorical(column: CategoricalColumn): void {
  const { name, categories } = column;
  if (!Array.isArray(categories) || categories.length < 2) {
    throw new AppError('SYNTH_BAD_SCHEMA', `column "${name}" has fewer than 2 categories, expected at least 2`);
  }
  if (new Set(categories).size !== categories.length) {
    throw new AppError('SYNTH_BAD_SCHEMA', `column "${name}" lists a category twice`);
  }
}

/** The label column of a schema with a label. */
export function labelColumn(schema: SynthSchema): CategoricalColumn | undefined {
  const column = schema.columns.find((c) => c.name === schema.label);
  return column?.kind === 'categorical' ? column : undefined;
}
