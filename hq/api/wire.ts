import { formatRational } from '../../shared/privacy/rational.ts';
import type { Estimate } from '../pooling/core/intervals.ts';
import type { PooledCell } from '../pooling/core/pool-cells.ts';
import type { View } from '../pooling/core/views.ts';
import type { Scope } from './scope.ts';

/** Views and pooled cells as the API sends them (non-finite numbers become null). */

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

function estimateOut(e: Estimate) {
  return {
    value: finite(e.value),
    variance: finite(e.variance),
    halfWidth95: finite(e.halfWidth95),
    low: finite(e.low),
    high: finite(e.high),
    reliable: e.reliable,
  };
}

export function scopeOut(scope: Scope) {
  return { from: scope.from, to: scope.to, store: scope.store, group: scope.group, stores: scope.storeCount };
}

export function viewOut(view: View, scope: Scope) {
  return {
    view: view.view,
    title: view.title,
    kind: view.kind,
    xAxis: view.xAxis,
    scope: scopeOut(scope),
    series: view.series.map((s) => ({
      name: s.name,
      unit: s.unit,
      points: s.points.map((p) => ({ x: p.x, ...estimateOut(p), values: p.values })),
    })),
    summary: view.summary.map((s) => ({ name: s.name, unit: s.unit, ...estimateOut(s) })),
    notes: [...view.notes],
  };
}

export function pooledOut(kind: string, cells: readonly PooledCell[], scope: Scope) {
  return {
    kind,
    scope: scopeOut(scope),
    cells: cells.map((c) => ({
      window: c.windowLabel,
      windowUnit: c.windowUnit,
      localStart: c.localStart,
      metric: c.metric,
      cell: c.cell,
      exact: formatRational(c.exact),
      ...estimateOut(c),
      values: c.values,
    })),
  };
}

export function pooledCsv(kind: string, cells: readonly PooledCell[]): string {
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['kind,window,window_unit,local_start,metric,cell,value,exact,low,high,half_width_95,variance,values'];
  for (const c of cells)
    lines.push(
      [
        kind,
        c.windowLabel,
        c.windowUnit,
        c.localStart,
        c.metric,
        c.cell,
        c.value,
        formatRational(c.exact),
        c.low,
        c.high,
        c.halfWidth95,
        c.variance,
        c.values,
      ]
        .map((v) => quote(String(v)))
        .join(','),
    );
  return `${lines.join('\n')}\n`;
}
