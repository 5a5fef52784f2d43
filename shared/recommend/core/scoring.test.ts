import { describe, expect, it } from 'vitest';
import { rational } from '../../privacy/rational.ts';
import { evaluateRanking, evaluationCases } from './evaluation.ts';
import type { Histories, ShopperHistory } from './histories.ts';
import { buildCatalog } from './histories.ts';
import { buildItemModel, type ItemModel } from './model.ts';
import { indexOfferItems, offerScores, prepareScorer, recommend, affinity } from './scoring.ts';
import { GRANULARITY } from './statistics.ts';

const codes = ['10001', '10002', '10003', '10004', '10005', '10006'];
const catalog = buildCatalog(codes);

/** A hand-made model: popularity 6 > 5 > … > 1; items 10004–10006 form one similar group over the list 10003–10006. */
function model(blend: number): ItemModel {
  const base = buildItemModel(
    {
      supports: [
        {
          metric: 'itemSupport',
          layout: 'cells',
          items: codes,
          values: Float64Array.from([6, 5, 4, 3, 2, 1]),
          granularity: GRANULARITY,
          variance: rational(0n),
          stores: 1,
          rhoPerStore: [],
        },
      ],
    },
    { shrinkage: 0 },
  );
  const n = 4;
  // One component over list positions 1..3 (items 10004–10006).
  const v = [0, 1, 1, 1].map((x) => x / Math.sqrt(3));
  return {
    ...base,
    items: codes.slice(2),
    itemIndex: Int32Array.from([2, 3, 4, 5]),
    rank: 1,
    factors: Float64Array.from(v),
    weights: Float64Array.from([3]),
    diagonal: Float64Array.from({ length: n }, () => 1),
    shrinkageTerm: 0,
    blend,
  };
}

const bought = (items: number[], invoices?: number[]): Pick<ShopperHistory, 'items' | 'invoices'> => ({
  items: Int32Array.from(items),
  invoices: Int32Array.from(invoices ?? items.map(() => 1)),
});

describe('recommend', () => {
  it('with γ = 0 is the popularity ranking, owned items removed in "new"', () => {
    const scorer = prepareScorer(model(0));
    expect(Array.from(recommend(scorer, bought([0, 4]), { k: 3, mode: 'new' }))).toEqual([1, 2, 3]);
    expect(Array.from(recommend(scorer, bought([0, 4]), { k: 3, mode: 'score' }))).toEqual([0, 1, 2]);
  });

  it('moves items similar to what the shopper bought up, in proportion to γ', () => {
    // The shopper bought 10005 (index 4): 10004 and 10006 are similar to it.
    const strong = prepareScorer(model(0.9));
    expect(Array.from(recommend(strong, bought([4]), { k: 3, mode: 'new' }))).toEqual([3, 5, 0]);
    const weak = prepareScorer(model(0.05));
    expect(Array.from(recommend(weak, bought([4]), { k: 3, mode: 'new' }))).toEqual([0, 1, 2]);
  });

  it('"all" puts own items first by invoices (then popularity), then fills by score', () => {
    const scorer = prepareScorer(model(0.9));
    expect(Array.from(recommend(scorer, bought([1, 4, 5], [1, 3, 1]), { k: 5, mode: 'all' }))).toEqual([4, 1, 5, 3, 0]);
  });

  it('a shopper who bought nothing the model knows gets popularity', () => {
    const scorer = prepareScorer(model(0.9));
    expect(Array.from(recommend(scorer, bought([]), { k: 2, mode: 'new' }))).toEqual([0, 1]);
    expect(Array.from(recommend(scorer, bought([0]), { k: 2, mode: 'new' }))).toEqual([1, 2]);
  });

  it("scores offers by the best item they cover, relative to the shopper's best item", () => {
    const scorer = prepareScorer(model(0.9));
    const offers = indexOfferItems(scorer, [{ items: ['10004', '10001'] }, { items: ['99999'] }, { items: ['10002'] }]);
    const a = affinity(scorer, Int32Array.from([4]), new Float64Array(codes.length));
    const out = offerScores(offers, a, new Float64Array(3));
    expect(out[0]).toBeCloseTo(1, 9);
    expect(out[1]).toBe(0);
    expect(out[2] as number).toBeGreaterThan(0);
    expect(out[2] as number).toBeLessThan(1);
  });
});

describe('evaluateRanking (HR@k, NDCG@k)', () => {
  it('computes both by hand on two customers', () => {
    const h = (id: string, items: number[]): ShopperHistory => ({
      shopperId: id,
      items: Int32Array.from(items),
      invoices: Int32Array.from(items, () => 1),
    });
    const fit: Histories = { catalog, shoppers: [h('a', [0]), h('b', [1])], outsideCatalog: 0 };
    const test: Histories = { catalog, shoppers: [h('a', [0, 2]), h('b', [3, 4])], outsideCatalog: 0 };
    const cases = evaluationCases(fit, test);
    expect(cases.all.length).toBe(2);
    expect(Array.from(cases.new[0]?.targets ?? [])).toEqual([2]);
    // a: ranking [2, 5] hits at rank 1 (new: 1 target → NDCG 1); b: [5, 3] hits at rank 2 of 2 targets.
    const rank = (x: ShopperHistory): Int32Array => Int32Array.from(x.shopperId === 'a' ? [2, 5] : [5, 3]);
    const m = evaluateRanking(cases.new, rank, 2);
    expect(m.hitRate).toBe(1);
    const ndcgB = 1 / Math.log2(3) / (1 + 1 / Math.log2(3));
    expect(m.ndcg).toBeCloseTo((1 + ndcgB) / 2, 12);
  });
});
