import { describe, expect, it } from 'vitest';
import { rational } from '../../../shared/privacy/rational.ts';
import type { NormalizedRelease } from '../../storage/core/normalize.ts';
import { poolRows, poolUpperTriangle } from './pool-layouts.ts';

function release(
  store: string,
  cells: string[],
  layout: 'upper-triangle' | 'rows',
  values: number[],
  extra: { rows?: number; g?: [bigint, bigint] } = {},
): NormalizedRelease {
  const [num, den] = extra.g ?? [1n, 1n];
  return {
    version: 2,
    store,
    release: `x:${store}`,
    kind: layout === 'rows' ? 'synthetic-visits' : 'recommender-stats',
    budgetPeriod: '2026-Q4',
    window: { unit: 'period', label: '2026-Q4', startUnix: 0, endUnix: 1, localStart: '2026-10-01T00:00' },
    cells,
    measures: [
      {
        metric: 'weight',
        query: 'sum',
        layout,
        rows: extra.rows ?? null,
        noise: { mechanism: 'discrete-gaussian', sigmaSquared: rational(4n) },
        granularity: rational(num, den),
        granularityText: den === 1n ? String(num) : `${num}/${den}`,
        variance: (4 * Number(num) ** 2) / Number(den) ** 2,
        halfWidth95: 1,
        values,
      },
    ],
  };
}

describe('pooling item × item matrices and tables', () => {
  it('sums upper triangles by item pair names across stores with different item lists', () => {
    // store a: items [x, y]: (x,x)=4 (x,y)=1 (y,y)=9; store b: items [z, x] with g = 1/2: (z,z)=2 (z,x)=6 (x,x)=8
    const pooled = poolUpperTriangle(
      [
        release('a', ['x', 'y'], 'upper-triangle', [4, 1, 9]),
        release('b', ['z', 'x'], 'upper-triangle', [2, 6, 8], { g: [1n, 2n] }),
      ],
      'weight',
    );
    expect(pooled.items).toEqual(['x', 'y', 'z']);
    expect(pooled.entries.map((e) => [e.a, e.b, e.value, e.stores, e.variance])).toEqual([
      ['x', 'x', 8, 2, 5],
      ['x', 'y', 1, 1, 4],
      ['x', 'z', 3, 1, 1],
      ['y', 'y', 9, 1, 4],
      ['z', 'z', 1, 1, 1],
    ]);
    expect(pooled.entries[0]?.exact).toEqual(rational(8n));
  });

  it("takes the union of the stores' rows, scaled, and names releases with other columns", () => {
    const pooled = poolRows(
      [
        release('a', ['zones', 'dwell'], 'rows', [1, 2, 3, 4], { rows: 2, g: [1n, 4n] }),
        release('b', ['zones', 'dwell'], 'rows', [8, 8], { rows: 1 }),
        release('c', ['hour'], 'rows', [5], { rows: 1 }),
      ],
      'weight',
    );
    expect(pooled.columns).toEqual(['zones', 'dwell']);
    expect(pooled.rows).toEqual([
      { store: 'a', window: '2026-Q4', values: [0.25, 0.5] },
      { store: 'a', window: '2026-Q4', values: [0.75, 1] },
      { store: 'b', window: '2026-Q4', values: [8, 8] },
    ]);
    expect(pooled.variances).toEqual([0.25, 0.25, 4]);
    expect(pooled.skipped).toEqual(['c/x:c']);
  });
});
