import { addRational, mulRational, rational, type Rational } from '../../../shared/privacy/rational.ts';
import type { NormalizedRelease } from '../../storage/core/normalize.ts';
import { estimate, type Estimate } from './intervals.ts';

/**
 * Pooling of the two layouts that are not one value per cell (pure; docs/hq-pooling.md §2):
 *
 *   upper-triangle  a symmetric item × item statistic (the recommender's covariance, item supports
 *                   on the diagonal). Stores may list different items: entries are keyed by the
 *                   item pair's names, summed over the stores that released them (Σ value·g), with
 *                   Σ Var·g² — the input of the recommender's cleaning at HQ.
 *   rows            a table (synthetic visit records): pooling is the union of the stores' rows,
 *                   each value scaled by its granularity; the table keeps which store and window a
 *                   row came from, and every value's noise variance.
 */

export interface PooledMatrix {
  readonly kind: string;
  readonly metric: string;
  /** Every item seen, sorted. */
  readonly items: readonly string[];
  /** Entries (a ≤ b by name) with their pooled estimate and how many stores contributed. */
  readonly entries: ReadonlyArray<
    { readonly a: string; readonly b: string; readonly exact: Rational; readonly stores: number } & Estimate
  >;
  readonly releases: number;
}

export function poolUpperTriangle(releases: readonly NormalizedRelease[], metric: string): PooledMatrix {
  const acc = new Map<string, { a: string; b: string; exact: Rational; variance: number; stores: number }>();
  const items = new Set<string>();
  let used = 0;
  let kind = '';
  for (const release of releases) {
    const measure = release.measures.find((m) => m.layout === 'upper-triangle' && m.metric === metric);
    if (measure === undefined) continue;
    used++;
    kind = release.kind;
    const n = release.cells.length;
    let k = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++, k++) {
        const [x, y] = [release.cells[i] as string, release.cells[j] as string];
        const [a, b] = x <= y ? [x, y] : [y, x];
        items.add(a).add(b);
        const key = `${a}\u0000${b}`;
        const part = mulRational(rational(BigInt(measure.values[k] as number)), measure.granularity);
        const entry = acc.get(key);
        if (entry === undefined) acc.set(key, { a, b, exact: part, variance: measure.variance, stores: 1 });
        else {
          entry.exact = addRational(entry.exact, part);
          entry.variance += measure.variance;
          entry.stores++;
        }
      }
    }
  }
  const entries = [...acc.values()]
    .sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0))
    .map((e) => ({
      ...estimate(Number(e.exact.num) / Number(e.exact.den), e.variance),
      a: e.a,
      b: e.b,
      exact: e.exact,
      stores: e.stores,
    }));
  return { kind, metric, items: [...items].sort(), entries, releases: used };
}

export interface PooledRows {
  readonly kind: string;
  readonly metric: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<{ readonly store: string; readonly window: string; readonly values: readonly number[] }>;
  /** Noise variance of a value, per column set (one per release: they may differ). */
  readonly variances: readonly number[];
  readonly releases: number;
}

/** The union of the stores' rows of one metric; releases whose columns differ from the first are refused by name. */
export function poolRows(
  releases: readonly NormalizedRelease[],
  metric: string,
): PooledRows & { readonly skipped: readonly string[] } {
  let columns: readonly string[] | null = null;
  const rows: Array<{ store: string; window: string; values: number[] }> = [];
  const variances: number[] = [];
  const skipped: string[] = [];
  let kind = '';
  let used = 0;
  for (const release of releases) {
    const measure = release.measures.find((m) => m.layout === 'rows' && m.metric === metric);
    if (measure === undefined) continue;
    if (columns === null) columns = release.cells;
    if (columns.length !== release.cells.length || columns.some((c, i) => c !== release.cells[i])) {
      skipped.push(`${release.store}/${release.release}`);
      continue;
    }
    used++;
    kind = release.kind;
    const g = Number(measure.granularity.num) / Number(measure.granularity.den);
    const width = columns.length;
    for (let r = 0; r < (measure.rows ?? 0); r++) {
      rows.push({
        store: release.store,
        window: release.window.label,
        values: measure.values.slice(r * width, (r + 1) * width).map((v) => v * g),
      });
      variances.push(measure.variance);
    }
  }
  return { kind, metric, columns: columns ?? [], rows, variances, releases: used, skipped };
}
