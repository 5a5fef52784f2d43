import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { addRational, rational } from '../../privacy/rational.ts';
import { validateReleasePayloadV2, type ReleasePayloadV2 } from '../../upstream/release-payload-v2.ts';
import { buildCatalog, type ShopperHistory } from './histories.ts';
import { alignStatistics, chooseItemList, poolStatistics, type PooledStatistic } from './pooling.ts';
import { fromReleaseMeasure, RECOMMENDER_BOUNDS, RELEASE_KINDS, toReleaseMeasure } from './release-measure.ts';
import { releaseItemCovariance, releaseItemSupports, GRANULARITY, type ItemStatistic } from './statistics.ts';

const catalog = buildCatalog(['10001', '10002', '10003', '10004']);
const shopper = (id: string, items: number[]): ShopperHistory => ({
  shopperId: id,
  items: Int32Array.from(items),
  invoices: Int32Array.from(items, () => 1),
});
const storeA = [shopper('a1', [0, 1]), shopper('a2', [1, 2])];
const storeB = [shopper('b1', [0, 3])];

describe('poolStatistics', () => {
  it('sums the raw noisy integers and the noise variances', () => {
    const rng = new SeededRandomSource('pool-1');
    const a = releaseItemSupports(storeA, catalog, { rho: '0.1' }, rng);
    const b = releaseItemSupports(storeB, catalog, { rho: '0.05' }, rng);
    const pooled = poolStatistics([a, b]);
    expect(Array.from(pooled.values)).toEqual(a.values.map((v, i) => v + (b.values[i] as number)));
    expect(pooled.variance).toEqual(addRational(a.sigmaSquared, b.sigmaSquared));
    expect(pooled.stores).toBe(2);
  });

  it('refuses statistics over different lists or of different kinds, saying which', () => {
    const rng = new SeededRandomSource('pool-2');
    const a = releaseItemCovariance(storeA, catalog, ['10001', '10002'], { rho: '0.1' }, rng);
    const b = releaseItemCovariance(storeB, catalog, ['10001', '10004'], { rho: '0.1' }, rng);
    expect(() => poolStatistics([a, b])).toThrow(/release 1 describes 2 items that differ from release 0's 2/);
    const s = releaseItemSupports(storeA, catalog, { rho: '0.1' }, rng);
    expect(() => poolStatistics([a, s])).toThrow(
      'release 1 is itemSupport/cells, expected itemCovariance/upper-triangle like release 0',
    );
    expect(() => poolStatistics([])).toThrow('no statistics to pool');
  });
});

describe('chooseItemList (minimum support)', () => {
  const pooled = (values: number[], variance: bigint): PooledStatistic => ({
    metric: 'itemSupport',
    layout: 'cells',
    items: ['a', 'b', 'c', 'd', 'e'],
    values: Float64Array.from(values),
    granularity: GRANULARITY,
    variance: rational(variance),
    stores: 1,
    rhoPerStore: [],
  });

  it('keeps the items above z·σ, most supported first, ties in catalog order, at most maxItems', () => {
    const choice = chooseItemList(pooled([50, 10, 50, 41, 39], 100n), { minSupportZ: 4, maxItems: 3, minItems: 2 });
    expect(choice).toEqual({ items: ['a', 'c', 'd'], second: 'itemCovariance', threshold: 40 });
  });

  it('asks for a second supports release when too few items clear the threshold', () => {
    const choice = chooseItemList(pooled([50, 10, 5, 1, 0], 100n), { minSupportZ: 4, maxItems: 3, minItems: 2 });
    expect(choice.second).toBe('itemSupport');
    expect(choice.items).toEqual([]);
  });
});

describe('the statistics as v2 release measures', () => {
  it('wrap into a valid v2 payload and come back unchanged', () => {
    const rng = new SeededRandomSource('measure-1');
    for (const stat of [
      releaseItemSupports(storeA, catalog, { rho: '0.007' }, rng),
      releaseItemCovariance(storeA, catalog, ['10002', '10001', '10003'], { rho: '0.017' }, rng),
    ]) {
      const payload: ReleasePayloadV2 = {
        v: 2,
        store: 'store-1',
        release: `${RELEASE_KINDS[stat.metric]}:2026-Q4`,
        kind: RELEASE_KINDS[stat.metric],
        budgetPeriod: {
          unit: 'quarter',
          label: '2026-Q4',
          startUnix: 1790805600,
          endUnix: 1798758000,
          timeZone: 'Europe/London',
        },
        window: {
          unit: 'period',
          label: '2026-Q4',
          start: '2026-10-01T00:00:00+01:00',
          end: '2027-01-01T00:00:00+00:00',
          startUnix: 1790805600,
          endUnix: 1798758000,
        },
        computedAt: '2027-01-01T01:00:00.000Z',
        privacyUnit: 'shopper-period',
        bounds: { ...RECOMMENDER_BOUNDS },
        cost: { rho: '7/1000', rhoUpper: 0.007, epsilon: 0.6, epsilonBunSteinke: 0.7, delta: 1e-6 },
        cells: [...stat.items],
        measures: [toReleaseMeasure(stat)],
      };
      const checked = validateReleasePayloadV2(JSON.parse(JSON.stringify(payload)));
      expect(checked.ok ? [] : checked.problems).toEqual([]);
      const back = fromReleaseMeasure(payload.measures[0] as ReleasePayloadV2['measures'][0], payload.cells);
      expect(back).toEqual({ ...stat, items: payload.cells });
    }
  });

  it('refuses a measure of another granularity', () => {
    const stat = releaseItemSupports(storeA, catalog, { rho: '0.01' }, new SeededRandomSource(3));
    const measure = { ...toReleaseMeasure(stat), granularity: '1/1024' };
    expect(() => fromReleaseMeasure(measure, stat.items)).toThrow('has granularity 1/1024, expected 1/65536');
  });
});

describe('alignStatistics', () => {
  it('restricts stores with different lists to the items all describe, picking the same values by name', () => {
    const rng = new SeededRandomSource('align-1');
    const a = releaseItemCovariance(storeA, catalog, ['10001', '10002', '10003'], { rho: '0.1' }, rng);
    const b = releaseItemCovariance(storeB, catalog, ['10003', '10004', '10001'], { rho: '0.1' }, rng);
    const [x, y] = alignStatistics([a, b]) as [ItemStatistic, ItemStatistic];
    expect(x.items).toEqual(['10001', '10003']);
    expect(y.items).toEqual(['10001', '10003']);
    // a: (0,0) (0,2) (2,2) of its triangle; b: 10001 is its position 2, 10003 position 0.
    const at = (s: ItemStatistic, i: number, j: number): number =>
      s.values[Math.min(i, j) * 3 - (Math.min(i, j) * (Math.min(i, j) - 1)) / 2 + Math.abs(j - i)] as number;
    expect(x.values).toEqual([at(a, 0, 0), at(a, 0, 2), at(a, 2, 2)]);
    expect(y.values).toEqual([at(b, 2, 2), at(b, 2, 0), at(b, 0, 0)]);
    expect(poolStatistics([x, y]).values.length).toBe(3);
    // `within` narrows further (e.g. to the supports' catalog).
    expect(alignStatistics([a, b], new Set(['10003']))[0]?.items).toEqual(['10003']);
  });

  it('keeps one store, or equal lists, as they are', () => {
    const rng = new SeededRandomSource('align-2');
    const a = releaseItemSupports(storeA, catalog, { rho: '0.1' }, rng);
    const b = releaseItemSupports(storeB, catalog, { rho: '0.1' }, rng);
    const [x, y] = alignStatistics([a, b]);
    expect(x).toBe(a);
    expect(y).toBe(b);
  });
});
