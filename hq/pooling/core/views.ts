import { differenceEstimate, rateEstimate, ratioEstimate, scaleEstimate, type Estimate } from './intervals.ts';
import { sumBy, type PooledCell } from './pool-cells.ts';

/**
 * The figures an analyst reads, derived from pooled cells (pure post-processing of DP releases:
 * no privacy cost, no randomness). Each view names the release kind it reads and the cell
 * conventions of that kind (docs/hq.md, "Release kinds"); every point carries its 95% interval.
 *
 * | view           | kind           | window | point                                                 |
 * |----------------|----------------|--------|-------------------------------------------------------|
 * | footfall       | footfall       | day    | visitors per zone per day                             |
 * | visits-by-hour | visits         | hour   | visitors per day at each hour (mean over the days)    |
 * | dwell          | dwell          | week   | shoppers per dwell bucket ("zone|bucket"), per zone and all zones |
 * | repeat-share   | repeat         | week   | repeatVisitors ÷ visitors (delta method)              |
 * | transitions    | transitions    | any    | shoppers per move "from>to" over the period           |
 * | offer-lift     | offer-response | week   | redeemed ÷ shown, personalised − holdout (delta method + sampling) |
 * | conversion     | conversion     | day    | buyers ÷ visitors                                     |
 */

export const VIEW_NAMES = [
  'footfall',
  'visits-by-hour',
  'dwell',
  'repeat-share',
  'transitions',
  'offer-lift',
  'conversion',
] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

export interface ViewPoint extends Estimate {
  readonly x: string;
  /** Released values summed into this point. */
  readonly values: number;
}

export interface ViewSeries {
  readonly name: string;
  readonly unit: string;
  readonly points: readonly ViewPoint[];
}

export interface View {
  readonly view: ViewName;
  readonly title: string;
  readonly kind: string;
  readonly xAxis: 'date' | 'hour' | 'week' | 'category';
  readonly series: readonly ViewSeries[];
  /** Headline figures over the whole selection. */
  readonly summary: ReadonlyArray<{ readonly name: string; readonly unit: string } & Estimate>;
  readonly notes: readonly string[];
}

export interface ViewDefinition {
  readonly name: ViewName;
  readonly title: string;
  readonly kind: string;
  /** Only windows of this unit (undefined: any). */
  readonly windowUnit?: 'hour' | 'day' | 'week';
  build(cells: readonly PooledCell[]): View;
}

export const DWELL_BUCKET_ORDER = ['<5', '5-15', '15-30', '30-60', '>=60'];

function byX(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function point(x: string, e: Estimate & { values?: number }): ViewPoint {
  return { ...e, x, values: e.values ?? 0 };
}

function seriesFrom(
  name: string,
  unit: string,
  map: Map<string, Estimate & { values: number }>,
  order = byX,
): ViewSeries {
  return {
    name,
    unit,
    points: [...map.keys()].sort(order).map((x) => point(x, map.get(x) as Estimate & { values: number })),
  };
}

const date = (c: PooledCell): string => c.localStart.slice(0, 10);

function footfall(cells: readonly PooledCell[]): View {
  const zones = [...new Set(cells.filter((c) => c.metric === 'shoppers').map((c) => c.cell))].sort();
  const series = zones.map((zone) =>
    seriesFrom(
      zone,
      'visitors',
      sumBy(cells, (c) => (c.metric === 'shoppers' && c.cell === zone ? date(c) : null)),
    ),
  );
  const total = sumBy(cells, (c) => (c.metric === 'shoppers' ? 'all' : null)).get('all');
  return {
    view: 'footfall',
    title: 'Footfall per zone and day',
    kind: 'footfall',
    xAxis: 'date',
    series,
    summary: total === undefined ? [] : [{ name: 'zone visits in the selection', unit: 'visitors', ...total }],
    notes: ['A shopper counts once per zone and day; zones of one day overlap (a shopper visits several).'],
  };
}

function visitsByHour(cells: readonly PooledCell[]): View {
  const visitors = cells.filter((c) => c.metric === 'visitors');
  const days = new Set(visitors.map(date)).size;
  const totals = sumBy(visitors, (c) => c.localStart.slice(11, 16));
  const perDay = new Map(
    [...totals].map(([x, e]) => [x, { ...scaleEstimate(e, 1 / Math.max(1, days)), values: e.values }]),
  );
  const all = sumBy(visitors, () => 'all').get('all');
  return {
    view: 'visits-by-hour',
    title: 'Store visits by hour of day (mean per day)',
    kind: 'visits',
    xAxis: 'hour',
    series: [seriesFrom('visitors per day', 'visitors', perDay)],
    summary:
      all === undefined
        ? []
        : [{ name: 'visits per day', unit: 'visitors', ...scaleEstimate(all, 1 / Math.max(1, days)) }],
    notes: [`Mean over the ${days} days in the selection (local hours of each store).`],
  };
}

function bucketOrder(a: string, b: string): number {
  const i = DWELL_BUCKET_ORDER.indexOf(a);
  const j = DWELL_BUCKET_ORDER.indexOf(b);
  return i >= 0 && j >= 0 ? i - j : i >= 0 ? -1 : j >= 0 ? 1 : byX(a, b);
}

function dwell(cells: readonly PooledCell[]): View {
  const valid = cells.filter((c) => c.metric === 'shoppers' && c.cell.includes('|'));
  const zones = [...new Set(valid.map((c) => c.cell.split('|')[0] as string))].sort();
  const bucket = (c: PooledCell): string => c.cell.slice(c.cell.indexOf('|') + 1);
  return {
    view: 'dwell',
    title: 'Dwell time per visit and zone (minutes)',
    kind: 'dwell',
    xAxis: 'category',
    series: [
      seriesFrom('all zones', 'shoppers', sumBy(valid, bucket), bucketOrder),
      ...zones.map((zone) =>
        seriesFrom(
          zone,
          'shoppers',
          sumBy(valid, (c) => (c.cell.startsWith(`${zone}|`) ? bucket(c) : null)),
          bucketOrder,
        ),
      ),
    ],
    summary: [],
    notes: ["Per week, each shopper's first visit to a zone gives that zone's bucket; weeks are summed."],
  };
}

function ratioSeries(
  cells: readonly PooledCell[],
  x: (c: PooledCell) => string,
  numerator: { metric: string; cell: string },
  denominator: { metric: string; cell: string },
): {
  ratio: Map<string, Estimate & { values: number }>;
  num: Map<string, Estimate & { values: number }>;
  den: Map<string, Estimate & { values: number }>;
} {
  const num = sumBy(cells, (c) => (c.metric === numerator.metric && c.cell === numerator.cell ? x(c) : null));
  const den = sumBy(cells, (c) => (c.metric === denominator.metric && c.cell === denominator.cell ? x(c) : null));
  const ratio = new Map<string, Estimate & { values: number }>();
  for (const [k, d] of den) {
    const n = num.get(k);
    if (n !== undefined) ratio.set(k, { ...ratioEstimate(n, d), values: n.values + d.values });
  }
  return { ratio, num, den };
}

function repeatShare(cells: readonly PooledCell[]): View {
  const week = (c: PooledCell): string => c.windowLabel;
  const shoppers = { metric: 'shoppers' };
  const weekly = ratioSeries(cells, week, { ...shoppers, cell: 'repeatVisitors' }, { ...shoppers, cell: 'visitors' });
  const all = ratioSeries(
    cells,
    () => 'all',
    { ...shoppers, cell: 'repeatVisitors' },
    { ...shoppers, cell: 'visitors' },
  );
  const overall = all.ratio.get('all');
  return {
    view: 'repeat-share',
    title: 'Repeat share: visitors seen on two or more days of the week',
    kind: 'repeat',
    xAxis: 'week',
    series: [
      seriesFrom('repeat share', 'share', weekly.ratio),
      seriesFrom('visitors', 'shoppers', weekly.den),
      seriesFrom('repeat visitors', 'shoppers', weekly.num),
    ],
    summary: overall === undefined ? [] : [{ name: 'repeat share over the selection', unit: 'share', ...overall }],
    notes: ['Delta-method interval of repeatVisitors ÷ visitors (independent noise of both).'],
  };
}

function transitions(cells: readonly PooledCell[]): View {
  const moves = sumBy(cells, (c) => (c.metric === 'shoppers' && c.cell.includes('>') ? c.cell : null));
  const order = (a: string, b: string): number => (moves.get(b)?.value ?? 0) - (moves.get(a)?.value ?? 0) || byX(a, b);
  return {
    view: 'transitions',
    title: 'Zone-to-zone moves over the selection',
    kind: 'transitions',
    xAxis: 'category',
    series: [seriesFrom('shoppers', 'shoppers', moves, order)],
    summary: [],
    notes: ['Each shopper counts a move at most once per week; weeks are summed. Sorted by the noisy value.'],
  };
}

function offerLift(cells: readonly PooledCell[]): View {
  const per = (x: (c: PooledCell) => string) => {
    const out: Record<string, Map<string, Estimate & { values: number }>> = {};
    for (const arm of ['personalised', 'holdout']) {
      const shown = sumBy(cells, (c) => (c.metric === 'shown' && c.cell === arm ? x(c) : null));
      const redeemed = sumBy(cells, (c) => (c.metric === 'redeemed' && c.cell === arm ? x(c) : null));
      const rates = new Map<string, Estimate & { values: number }>();
      for (const [k, s] of shown) {
        const r = redeemed.get(k);
        if (r !== undefined) rates.set(k, { ...rateEstimate(r, s), values: r.values + s.values });
      }
      out[arm] = rates;
    }
    const lift = new Map<string, Estimate & { values: number }>();
    const p = out.personalised as Map<string, Estimate & { values: number }>;
    const h = out.holdout as Map<string, Estimate & { values: number }>;
    for (const [k, a] of p) {
      const b = h.get(k);
      if (b !== undefined) lift.set(k, { ...differenceEstimate(a, b), values: a.values + b.values });
    }
    return { p, h, lift };
  };
  const weekly = per((c) => c.windowLabel);
  const all = per(() => 'all');
  const headline = all.lift.get('all');
  return {
    view: 'offer-lift',
    title: 'Offer lift: redemption rate personalised − holdout',
    kind: 'offer-response',
    xAxis: 'week',
    series: [
      seriesFrom('lift', 'rate difference', weekly.lift),
      seriesFrom('personalised', 'redemption rate', weekly.p),
      seriesFrom('holdout', 'redemption rate', weekly.h),
    ],
    summary:
      headline === undefined
        ? []
        : [
            { name: 'lift over the selection', unit: 'rate difference', ...headline },
            { name: 'personalised redemption rate', unit: 'redemption rate', ...(all.p.get('all') as Estimate) },
            { name: 'holdout redemption rate', unit: 'redemption rate', ...(all.h.get('all') as Estimate) },
          ],
    notes: [
      'Rates are redeemed ÷ shown per arm; the interval adds the DP noise (delta method) and the binomial sampling variance.',
    ],
  };
}

function conversion(cells: readonly PooledCell[]): View {
  const daily = ratioSeries(
    cells,
    date,
    { metric: 'shoppers', cell: 'buyers' },
    { metric: 'shoppers', cell: 'visitors' },
  );
  const all = ratioSeries(
    cells,
    () => 'all',
    { metric: 'shoppers', cell: 'buyers' },
    { metric: 'shoppers', cell: 'visitors' },
  );
  const overall = all.ratio.get('all');
  return {
    view: 'conversion',
    title: 'Conversion: buyers ÷ visitors per day',
    kind: 'conversion',
    xAxis: 'date',
    series: [
      seriesFrom('conversion', 'share', daily.ratio),
      seriesFrom('visitors', 'shoppers', daily.den),
      seriesFrom('buyers', 'shoppers', daily.num),
    ],
    summary: overall === undefined ? [] : [{ name: 'conversion over the selection', unit: 'share', ...overall }],
    notes: ['Delta-method interval of buyers ÷ visitors.'],
  };
}

export const VIEWS: Readonly<Record<ViewName, ViewDefinition>> = {
  footfall: {
    name: 'footfall',
    title: 'Footfall per zone and day',
    kind: 'footfall',
    windowUnit: 'day',
    build: footfall,
  },
  'visits-by-hour': {
    name: 'visits-by-hour',
    title: 'Store visits by hour',
    kind: 'visits',
    windowUnit: 'hour',
    build: visitsByHour,
  },
  dwell: { name: 'dwell', title: 'Dwell buckets', kind: 'dwell', windowUnit: 'week', build: dwell },
  'repeat-share': {
    name: 'repeat-share',
    title: 'Repeat share',
    kind: 'repeat',
    windowUnit: 'week',
    build: repeatShare,
  },
  transitions: { name: 'transitions', title: 'Transitions', kind: 'transitions', build: transitions },
  'offer-lift': {
    name: 'offer-lift',
    title: 'Offer lift',
    kind: 'offer-response',
    windowUnit: 'week',
    build: offerLift,
  },
  conversion: { name: 'conversion', title: 'Conversion', kind: 'conversion', windowUnit: 'day', build: conversion },
};

/** A view as CSV rows (one per point), with a header. */
export function viewCsv(view: View): string {
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['view,series,unit,x,value,low,high,half_width_95,variance,reliable,values'];
  for (const s of view.series)
    for (const p of s.points)
      lines.push(
        [view.view, s.name, s.unit, p.x, p.value, p.low, p.high, p.halfWidth95, p.variance, p.reliable, p.values]
          .map((v) => quote(String(v)))
          .join(','),
      );
  return `${lines.join('\n')}\n`;
}
