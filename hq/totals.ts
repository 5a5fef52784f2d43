import type { ReleaseMeasure } from '../shared/upstream/release-payload.ts';
import { decodeAnyReleasePayload, type ReleaseMeasureV2 } from '../shared/upstream/release-payload-v2.ts';
import type { StoredRelease } from './adapters/sqlite-hq-store.ts';
import { consistentView } from './core/consistency.ts';

/**
 * Store-level totals of the received releases, per store, release kind and metric: the raw
 * noisy sums (unbiased; the primary figures) with an upper bound on their noise's standard
 * deviation, and consistent non-negative integer views (per release, cells ≥ 0 summing to the
 * release's rounded non-negative total; then added up). Post-processing only.
 */

export interface PeriodTotals {
  readonly release: string;
  readonly period: string;
  readonly rawTotal: number;
  readonly total: number;
  readonly raw: readonly number[];
  readonly consistent: readonly number[];
}

export interface MetricTotals {
  readonly store: string;
  readonly kind: string;
  readonly metric: string;
  readonly query: 'count' | 'sum' | 'mean';
  readonly periodUnit: 'hour' | 'day' | 'week' | 'period';
  readonly releases: number;
  readonly cells: readonly string[];
  /** Σ of every raw noisy value. */
  readonly rawTotal: number;
  /** Upper bound on the standard deviation of rawTotal's noise: √(Σ per-value variance bound). */
  readonly rawTotalSd: number;
  /** Σ of the releases' consistent totals (non-negative). */
  readonly total: number;
  /** Per cell: Σ raw and Σ consistent over the releases. */
  readonly rawByCell: readonly number[];
  readonly consistentByCell: readonly number[];
  readonly periods: readonly PeriodTotals[];
}

/** Variance bound of one noisy value: σ² (discrete Gaussian) or 2t² (discrete Laplace). */
function varianceBound(measure: ReleaseMeasure | ReleaseMeasureV2): number {
  const parse = (text: string | undefined): number => {
    if (text === undefined) return 0;
    const [num, den = '1'] = text.split('/');
    return Number(num) / Number(den);
  };
  return measure.mechanism === 'discrete-gaussian' ? parse(measure.sigmaSquared) : 2 * parse(measure.scale) ** 2;
}

export function computeTotals(releases: readonly StoredRelease[]): MetricTotals[] {
  interface Acc {
    store: string;
    kind: string;
    metric: string;
    query: 'count' | 'sum' | 'mean';
    periodUnit: 'hour' | 'day' | 'week' | 'period';
    cells: string[];
    cellIndex: Map<string, number>;
    rawByCell: number[];
    consistentByCell: number[];
    variance: number;
    periods: PeriodTotals[];
  }
  const groups = new Map<string, Acc>();
  for (const stored of releases) {
    const decoded = decodeAnyReleasePayload(stored.body);
    if (!decoded.ok) continue; // stored bodies were validated on receipt
    const payload = decoded.value;
    for (const measure of payload.measures) {
      const key = `${payload.store}\u0000${payload.kind}\u0000${measure.metric}`;
      let acc = groups.get(key);
      if (acc === undefined) {
        acc = {
          store: payload.store,
          kind: payload.kind,
          metric: measure.metric,
          query: measure.query,
          periodUnit: payload.v === 2 ? payload.window.unit : payload.period.unit,
          cells: [],
          cellIndex: new Map(),
          rawByCell: [],
          consistentByCell: [],
          variance: 0,
          periods: [],
        };
        groups.set(key, acc);
      }
      const view = consistentView(measure.values);
      payload.cells.forEach((cell, i) => {
        const a = acc as Acc;
        let index = a.cellIndex.get(cell);
        if (index === undefined) {
          index = a.cells.length;
          a.cellIndex.set(cell, index);
          a.cells.push(cell);
          a.rawByCell.push(0);
          a.consistentByCell.push(0);
        }
        a.rawByCell[index] = (a.rawByCell[index] as number) + (measure.values[i] as number);
        a.consistentByCell[index] = (a.consistentByCell[index] as number) + (view.cells[i] as number);
      });
      acc.variance += varianceBound(measure) * measure.values.length;
      acc.periods.push({
        release: payload.release,
        period: payload.release.slice(payload.kind.length + 1),
        rawTotal: view.rawTotal,
        total: view.total,
        raw: measure.values,
        consistent: view.cells,
      });
    }
  }
  return [...groups.values()].map((a) => ({
    store: a.store,
    kind: a.kind,
    metric: a.metric,
    query: a.query,
    periodUnit: a.periodUnit,
    releases: a.periods.length,
    cells: a.cells,
    rawTotal: a.rawByCell.reduce((x, y) => x + y, 0),
    rawTotalSd: Math.sqrt(a.variance),
    total: a.periods.reduce((x, p) => x + p.total, 0),
    rawByCell: a.rawByCell,
    consistentByCell: a.consistentByCell,
    periods: a.periods,
  }));
}

/** Human-readable lines for `hushpoint collector totals`. */
export function formatTotals(totals: readonly MetricTotals[], options: { periods?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const t of totals) {
    lines.push(
      `${t.store}  ${t.kind}/${t.metric}  (${t.query} per ${t.periodUnit}, ${t.releases} release${t.releases === 1 ? '' : 's'}, ${t.cells.length} cells)`,
    );
    lines.push(`  total  raw ${t.rawTotal} (noise sd ≤ ${t.rawTotalSd.toFixed(1)})  consistent ${t.total}`);
    const width = Math.max(4, ...t.cells.map((c) => c.length));
    t.cells.forEach((cell, i) => {
      lines.push(
        `  ${cell.padEnd(width)}  raw ${String(t.rawByCell[i]).padStart(8)}  consistent ${String(t.consistentByCell[i]).padStart(8)}`,
      );
    });
    if (options.periods === true) {
      for (const p of t.periods)
        lines.push(`    ${p.period}  raw ${p.rawTotal}  consistent ${p.total}  [${p.consistent.join(' ')}]`);
    }
  }
  if (lines.length === 0) lines.push('no releases received yet');
  return lines;
}
