import { describe, expect, it } from 'vitest';
import {
  buildCatalog,
  RECOMMENDER_BOUNDS,
  releaseItemCovariance,
  releaseItemSupports,
  toReleaseMeasure,
  type ItemStatistic,
  type ShopperHistory,
} from '../../../shared/recommend/mod.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import type { ReleasePayloadV2 } from '../../../shared/upstream/release-payload-v2.ts';
import { poolItemModel, type ReceivedItemRelease } from './item-model.ts';

/** HQ's pooling of item statistics by item name (docs/hq.md §4a), on releases built by the hub's functions. */

const CODES = Array.from({ length: 30 }, (_, i) => `I${i}`);
const catalog = buildCatalog(CODES);
const rng = new SeededRandomSource('item-model');

function shoppers(n: number): ShopperHistory[] {
  return Array.from({ length: n }, (_, u) => {
    const items = Int32Array.from(new Set([(u % 2) * 15 + (u % 15), (u % 2) * 15 + ((u + 3) % 15)])).sort();
    return { shopperId: `u${u}`, items, invoices: new Int32Array(items.length).fill(1) };
  });
}

function received(store: string, kind: string, stat: ItemStatistic, period = '2026-Q2'): ReceivedItemRelease {
  const payload = {
    v: 2,
    store,
    release: `${kind}:${period}`,
    kind,
    budgetPeriod: { unit: 'quarter', label: period, startUnix: 1_775_001_600, endUnix: 1_782_864_000, timeZone: 'UTC' },
    window: { unit: 'period', label: period, start: '', end: '', startUnix: 1_775_001_600, endUnix: 1_782_864_000 },
    computedAt: '2026-07-01T02:00:00Z',
    privacyUnit: 'shopper-period',
    bounds: { ...RECOMMENDER_BOUNDS },
    cost: { rho: '1', rhoUpper: 1, epsilon: 1, epsilonBunSteinke: 1, delta: 1e-6 },
    cells: [...stat.items],
    measures: [toReleaseMeasure(stat)],
  } as unknown as ReleasePayloadV2;
  return { store, releaseId: payload.release, payload };
}

const supports = (n: number) => releaseItemSupports(shoppers(n), catalog, { rho: 3 }, rng);
const covariance = (n: number, items: readonly string[]) =>
  releaseItemCovariance(shoppers(n), catalog, items, { rho: 7 }, rng);

describe('poolItemModel (seed "item-model")', () => {
  it('pools the stores that sent both releases over the items every covariance describes', () => {
    const a = covariance(400, CODES.slice(0, 25));
    const b = covariance(400, [...CODES.slice(5, 30)].reverse());
    const pooled = poolItemModel(
      [
        received('a', 'item-supports', supports(400)),
        received('a', 'item-covariance', a),
        received('b', 'item-supports', supports(400)),
        received('b', 'item-covariance', b),
        // Store c has only its supports so far: not pooled in this version.
        received('c', 'item-supports', supports(400)),
      ],
      { tool: 'test' },
    );
    expect(pooled.model.items).toEqual(CODES.slice(5, 25));
    expect(pooled.metadata.provenance.storeIds).toEqual(['a', 'b']);
    expect(pooled.metadata.provenance.releaseIds).toEqual([
      'a/item-supports:2026-Q2',
      'a/item-covariance:2026-Q2',
      'b/item-supports:2026-Q2',
      'b/item-covariance:2026-Q2',
    ]);
    expect(pooled.metadata.privacy.rounds.map((r) => [r.metric, r.stores])).toEqual([
      ['itemSupport', 2],
      ['itemCovariance', 2],
    ]);
    expect(pooled.model.rank).toBeGreaterThan(0);
  });

  it('falls back to the supports-only model (γ = 0) before any covariance, and pools second supports releases', () => {
    const onlyFirst = poolItemModel([received('a', 'item-supports', supports(50))], { tool: 'test' });
    expect(onlyFirst.model.items).toEqual([]);
    expect(onlyFirst.model.blend).toBe(0);
    const twice = poolItemModel(
      [
        received('a', 'item-supports', supports(50)),
        received('a', 'item-covariance', supports(50)),
        received('b', 'item-supports', supports(50)),
        received('b', 'item-covariance', supports(50)),
      ],
      { tool: 'test' },
    );
    expect(twice.metadata.privacy.rounds.map((r) => [r.metric, r.stores])).toEqual([
      ['itemSupport', 2],
      ['itemSupport', 2],
    ]);
    expect(twice.model.blend).toBe(0);
  });

  it('refuses releases of different periods, naming them', () => {
    expect(() =>
      poolItemModel(
        [received('a', 'item-supports', supports(10)), received('b', 'item-supports', supports(10), '2026-Q3')],
        { tool: 'test' },
      ),
    ).toThrow(/release item-supports:2026-Q3 of store b is of period 2026-Q3, expected 2026-Q2/);
    expect(() => poolItemModel([], { tool: 'test' })).toThrow(/no item-supports release to pool/);
  });
});
