import { AppError } from '../errors.ts';
import { parseNumericCell, unitValue, type RawValue } from '../synth/core/encode.ts';
import type { SynthSchema } from '../synth/core/schema.ts';

/**
 * A table as the evaluation sees it (docs/synthetic-data.md §7): per column, one or more numeric
 * coordinates. Numeric columns give their scaled value u ∈ [0, 1] (the schema's bounds and
 * transform); categorical columns with 2 categories give 1 for the second; with more, one
 * indicator per category. The label of a binary task is p ∈ [0, 1]: 0/1 for a class, or a
 * probability of the second class where a synthetic file writes one.
 */

export interface TableView {
  /** Feature coordinates (non-label), row by row. */
  readonly features: number[][];
  /** The label per row, in [0, 1]. */
  readonly labels: number[];
  /** Names of the feature coordinates, e.g. "spend", "colour=red". */
  readonly names: readonly string[];
}

function labelValue(schema: SynthSchema, value: RawValue, row: number): number {
  const column = schema.columns.find((c) => c.name === schema.label);
  if (column === undefined || column.kind !== 'categorical' || column.categories.length !== 2) {
    throw new AppError(
      'SYNTH_BAD_SCHEMA',
      `label "${schema.label}" must be a categorical column with 2 classes for TSTR`,
    );
  }
  const text = typeof value === 'number' ? String(value) : value.trim();
  const index = column.categories.indexOf(text);
  if (index >= 0) return index;
  const p =
    typeof value === 'number' ? value : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(p >= 0 && p <= 1)) {
    throw new AppError(
      'SYNTH_BAD_VALUE',
      `row ${row + 1}, label "${schema.label}" is ${JSON.stringify(value)}, expected ${column.categories.join(' or ')} or a probability in [0, 1]`,
    );
  }
  return p;
}

/** `raw: true` gives numeric columns through their transform (ln(1 + x) for log1p) but unscaled: the inputs of a regression. */
export function tableView(
  schema: SynthSchema,
  rows: readonly (readonly RawValue[])[],
  options: { raw?: boolean } = {},
): TableView {
  const names: string[] = [];
  for (const column of schema.columns) {
    if (column.name === schema.label) continue;
    if (column.kind === 'numeric' || column.categories.length === 2) names.push(column.name);
    else for (const category of column.categories) names.push(`${column.name}=${category}`);
  }
  const features: number[][] = [];
  const labels: number[] = [];
  rows.forEach((row, r) => {
    const out: number[] = [];
    schema.columns.forEach((column, c) => {
      const value = row[c] as RawValue;
      if (column.name === schema.label) {
        labels.push(labelValue(schema, value, r));
        return;
      }
      if (column.kind === 'numeric') {
        const x = parseNumericCell(value, column.name, r);
        out.push(options.raw ? (column.transform === 'log1p' ? Math.log1p(Math.max(0, x)) : x) : unitValue(column, x));
        return;
      }
      const text = typeof value === 'number' ? String(value) : value.trim();
      const index = column.categories.indexOf(text);
      if (index < 0) {
        throw new AppError(
          'SYNTH_BAD_VALUE',
          `row ${r + 1}, column "${column.name}" is ${JSON.stringify(value)}, expected one of: ${column.categories.join(', ')}`,
        );
      }
      if (column.categories.length === 2) out.push(index);
      else column.categories.forEach((_, j) => out.push(j === index ? 1 : 0));
    });
    features.push(out);
  });
  if (schema.label === undefined) labels.length = 0;
  return { features, labels, names };
}
