import { describe, expect, it } from 'vitest';
import type { CellAggregateRow } from '../../storage/hq-store.ts';
import { Z95 } from './intervals.ts';
import { poolCells } from './pool-cells.ts';
import { VIEWS, viewCsv } from './views.ts';

function rows(entries: Array<[string, string, string, number, number]>): CellAggregateRow[] {
  // [localStart, label, metric:cell, total, variance]
  return entries.map(([localStart, windowLabel, key, total, variance]) => {
    const [metric, cell] = key.split(':') as [string, string];
    return {
      localStart,
      windowLabel,
      windowUnit: 'week',
      store: null,
      metric,
      cell,
      granularity: '1',
      total: BigInt(total),
      variance,
      values: 2,
    };
  });
}

describe('views derived from pooled cells', () => {
  it('repeat share per week is repeatVisitors ÷ visitors with the delta-method interval', () => {
    const view = VIEWS['repeat-share'].build(
      poolCells(
        rows([
          ['2026-11-02T00:00', '2026-W45', 'shoppers:visitors', 1000, 200],
          ['2026-11-02T00:00', '2026-W45', 'shoppers:repeatVisitors', 400, 200],
          ['2026-11-09T00:00', '2026-W46', 'shoppers:visitors', 800, 200],
          ['2026-11-09T00:00', '2026-W46', 'shoppers:repeatVisitors', 200, 200],
        ]),
      ),
    );
    const share = view.series.find((s) => s.name === 'repeat share');
    expect(share?.points.map((p) => [p.x, p.value])).toEqual([
      ['2026-W45', 0.4],
      ['2026-W46', 0.25],
    ]);
    const w45 = share?.points[0];
    const variance = 200 / 1000 ** 2 + (400 ** 2 * 200) / 1000 ** 4;
    expect(w45?.variance).toBeCloseTo(variance, 15);
    expect(w45?.halfWidth95).toBeCloseTo(Z95 * Math.sqrt(variance), 12);
    expect(view.summary[0]?.value).toBeCloseTo(600 / 1800, 12);
  });

  it("offer lift is the difference of the arms' redemption rates; its variance adds DP noise and sampling", () => {
    const view = VIEWS['offer-lift'].build(
      poolCells(
        rows([
          ['2026-11-02T00:00', '2026-W45', 'shown:personalised', 2000, 100],
          ['2026-11-02T00:00', '2026-W45', 'redeemed:personalised', 300, 100],
          ['2026-11-02T00:00', '2026-W45', 'shown:holdout', 500, 100],
          ['2026-11-02T00:00', '2026-W45', 'redeemed:holdout', 50, 100],
        ]),
      ),
    );
    const lift = view.series.find((s) => s.name === 'lift')?.points[0];
    expect(lift?.value).toBeCloseTo(0.15 - 0.1, 12);
    const arm = (k: number, n: number) => 100 / n ** 2 + (k ** 2 * 100) / n ** 4 + ((k / n) * (1 - k / n)) / n;
    expect(lift?.variance).toBeCloseTo(arm(300, 2000) + arm(50, 500), 15);
    expect(view.summary.map((s) => s.name)).toEqual([
      'lift over the selection',
      'personalised redemption rate',
      'holdout redemption rate',
    ]);
  });

  it('visits by hour are means per day over the days seen; dwell buckets keep their natural order', () => {
    const visits = VIEWS['visits-by-hour'].build(
      poolCells(
        [
          ['2026-11-02T10:00', 30, 100],
          ['2026-11-03T10:00', 50, 100],
          ['2026-11-02T11:00', 10, 100],
        ].map(([localStart, total, variance]) => ({
          localStart: localStart as string,
          windowLabel: `${localStart as string}+01:00`,
          windowUnit: 'hour',
          store: null,
          metric: 'visitors',
          cell: 'store',
          granularity: '1',
          total: BigInt(total as number),
          variance: variance as number,
          values: 1,
        })),
      ),
    );
    expect(visits.series[0]?.points.map((p) => [p.x, p.value, p.variance])).toEqual([
      ['10:00', 40, 50],
      ['11:00', 5, 25],
    ]);
    const dwell = VIEWS.dwell.build(
      poolCells(
        rows([
          ['2026-11-02T00:00', '2026-W45', 'shoppers:bakery|>=60', 5, 10],
          ['2026-11-02T00:00', '2026-W45', 'shoppers:bakery|<5', 50, 10],
          ['2026-11-02T00:00', '2026-W45', 'shoppers:dairy|5-15', 20, 10],
          ['2026-11-02T00:00', '2026-W45', 'shoppers:bakery|5-15', 30, 10],
        ]),
      ),
    );
    expect(dwell.series.map((s) => s.name)).toEqual(['all zones', 'bakery', 'dairy']);
    expect(dwell.series[0]?.points.map((p) => [p.x, p.value])).toEqual([
      ['<5', 50],
      ['5-15', 50],
      ['>=60', 5],
    ]);
    const csv = viewCsv(dwell).split('\n');
    expect(csv[0]).toBe('view,series,unit,x,value,low,high,half_width_95,variance,reliable,values');
    expect(csv[1]).toMatch(/^dwell,all zones,shoppers,<5,50,/);
  });
});
