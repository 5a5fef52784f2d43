import { mulRational, rational, type Rational } from '../../../shared/privacy/rational.ts';
import type { CellAggregateRow } from '../../storage/hq-store.ts';
import { estimate, type Estimate } from './intervals.ts';
import { parseRationalText } from './noise-variance.ts';

/**
 * Pooling of "cells" values across stores (pure): the database sums the released integers per
 * (window, metric, cell, granularity) exactly; here each group's integer sum is scaled by its
 * granularity exactly (Σ value·g as a rational), groups of different granularity are added, and
 * the noise variances (already ×g²) add up. The result is unbiased: every released value is.
 */

export interface PooledCell extends Estimate {
  readonly localStart: string;
  readonly windowLabel: string;
  readonly windowUnit: string;
  readonly store: string | null;
  readonly metric: string;
  readonly cell: string;
  /** The exact pooled value Σ value·g. */
  readonly exact: Rational;
  /** Released values summed (stores × windows). */
  readonly values: number;
}

function toNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

export function poolCells(rows: readonly CellAggregateRow[]): PooledCell[] {
  const groups = new Map<string, { row: CellAggregateRow; exact: Rational; variance: number; values: number }>();
  for (const row of rows) {
    const key = [row.localStart, row.windowLabel, row.windowUnit, row.store ?? '', row.metric, row.cell].join('\u0000');
    const g = row.granularity === '1' ? rational(1n) : parseRationalText(row.granularity, 'granularity');
    const part = mulRational(rational(row.total), g);
    const acc = groups.get(key);
    if (acc === undefined) groups.set(key, { row, exact: part, variance: row.variance, values: row.values });
    else {
      acc.exact = rational(acc.exact.num * part.den + part.num * acc.exact.den, acc.exact.den * part.den);
      acc.variance += row.variance;
      acc.values += row.values;
    }
  }
  return [...groups.values()].map(({ row, exact, variance, values }) => ({
    ...estimate(toNumber(exact), variance),
    localStart: row.localStart,
    windowLabel: row.windowLabel,
    windowUnit: row.windowUnit,
    store: row.store,
    metric: row.metric,
    cell: row.cell,
    exact,
    values,
  }));
}

/** Sums pooled cells into coarser groups (e.g. every day of a period, or every zone of a bucket). */
export function sumBy(
  cells: readonly PooledCell[],
  key: (c: PooledCell) => string | null,
): Map<string, Estimate & { values: number }> {
  const out = new Map<string, { value: number; variance: number; values: number }>();
  for (const c of cells) {
    const k = key(c);
    if (k === null) continue;
    const acc = out.get(k) ?? { value: 0, variance: 0, values: 0 };
    acc.value += c.value;
    acc.variance += c.variance;
    acc.values += c.values;
    out.set(k, acc);
  }
  return new Map([...out].map(([k, v]) => [k, { ...estimate(v.value, v.variance), values: v.values }]));
}
