import { decodeAnyReleasePayload } from '../shared/upstream/release-payload-v2.ts';
import { consistentView } from './core/consistency.ts';
import { normalizeRelease } from './storage/core/normalize.ts';
import type { StoredRelease } from './storage/hq-store.ts';

/**
 * Store-level totals of the received releases, per store, release kind and metric (`hushpoint hq
 * totals`): the raw noisy sums (unbiased; the primary figures, value·granularity) with the
 * standard deviation of their noise (docs/hq-pooling.md §1), and consistent non-negative integer
 * views (per release, cells ≥ 0 summing to the release's rounded non-negative total; then added
 * up). Post-processing only. Releases of either payload version; "cells" measures only.
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
  readonly periodUnit: string;
  readonly releases: number;
  readonly cells: readonly string[];
  /** Σ of every raw noisy value. */
  readonly rawTotal: number;
  /** Standard deviation of rawTotal's noise (an upper bound for the discrete Gaussian): √(Σ per-value variance). */
  readonly rawTotalSd: number;
  /** Σ of the releases' consistent totals (non-negative). */
  readonly total: number;
  /** Per cell: Σ raw and Σ consistent over the releases. */
  readonly rawByCell: readonly number[];
  readonly consistentByCell: readonly number[];
  readonly periods: readonly PeriodTotals[];
}

interface Acc {
  store: string;
  kind: string;
  metric: string;
  query: 'count' | 'sum' | 'mean';
  periodUnit: string;
  cells: string[];
  cellIndex: Map<string, number>;
  rawByCell: number[];
  consistentByCell: number[];
  variance: number;
  periods: PeriodTotals[];
}

export function computeTotals(releases: readonly StoredRelease[]): MetricTotals[] {
  const groups = new Map<string, Acc>();
  for (const stored of releases) {
    const decoded = decodeAnyReleasePayload(stored.body);
    if (!decoded.ok) continue; // stored bodies were validated on receipt
    const release = normalizeRelease(decoded.value);
    for (const measure of release.measures) {
      if (measure.layout !== 'cells') continue;
      const key = `${release.store}\u0000${release.kind}\u0000${measure.metric}`;
      let acc = groups.get(key);
      if (acc === undefined) {
        acc = {
          store: release.store,
          kind: release.kind,
          metric: measure.metric,
          query: measure.query,
          periodUnit: release.window.unit,
          cells: [],
          cellIndex: new Map(),
          rawByCell: [],
          consistentByCell: [],
          variance: 0,
          periods: [],
        };
        groups.set(key, acc);
      }
      const g = Number(measure.granularity.num) / Number(measure.granularity.den);
      const raw = measure.values.map((v) => v * g);
      const view = consistentView(raw);
      const a = acc;
      release.cells.forEach((cell, i) => {
        let index = a.cellIndex.get(cell);
        if (index === undefined) {
          index = a.cells.length;
          a.cellIndex.set(cell, index);
          a.cells.push(cell);
          a.rawByCell.push(0);
          a.consistentByCell.push(0);
        }
        a.rawByCell[index] = (a.rawByCell[index] as number) + (raw[i] as number);
        a.consistentByCell[index] = (a.consistentByCell[index] as number) + (view.cells[i] as number);
      });
      a.variance += measure.variance * measure.values.length;
      a.periods.push({
        release: release.release,
        period: release.window.label,
        rawTotal: view.rawTotal,
        total: view.total,
        raw,
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

/** Human-readable lines for `hushpoint hq totals`. */
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
