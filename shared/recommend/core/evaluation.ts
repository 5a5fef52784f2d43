import type { Histories, ShopperHistory } from './histories.ts';

/**
 * Next-period evaluation (pure; docs/recommender.md §7): fit on one period, recommend k items to
 * every customer who buys in both periods, and count a hit when one of the k is bought in the next
 * period. HR@k = share of customers with a hit; NDCG@k with binary relevance and the ideal DCG over
 * min(k, |targets|). Two protocols:
 *   all  every next-period item is a target (repeat buying dominates);
 *   new  only items the customer never bought before are targets, and rankings exclude owned items.
 * Customers with no target under a protocol are left out of it.
 */

export type Protocol = 'all' | 'new';

export interface EvaluationCase {
  /** The fit-period history (what a ranking may use). */
  readonly history: ShopperHistory;
  /** Catalog indices bought in the evaluation period (targets), ascending. */
  readonly targets: Int32Array;
  /** Number of targets including items outside the catalog (they count for the ideal DCG). */
  readonly targetCount: number;
}

export interface EvaluationCases {
  readonly all: readonly EvaluationCase[];
  readonly new: readonly EvaluationCase[];
}

export function evaluationCases(fit: Histories, test: Histories): EvaluationCases {
  const fitById = new Map(fit.shoppers.map((h) => [h.shopperId, h]));
  const all: EvaluationCase[] = [];
  const fresh: EvaluationCase[] = [];
  for (const next of test.shoppers) {
    const history = fitById.get(next.shopperId);
    if (history === undefined || next.items.length === 0) continue;
    all.push({ history, targets: next.items, targetCount: next.items.length });
    const owned = new Set(history.items);
    const targets = next.items.filter((i) => !owned.has(i));
    if (targets.length > 0) fresh.push({ history, targets, targetCount: targets.length });
  }
  return { all, new: fresh };
}

export interface Metrics {
  readonly hitRate: number;
  readonly ndcg: number;
  readonly customers: number;
}

const LOG2 = Array.from({ length: 101 }, (_, r) => 1 / Math.log2(r + 2));

/** HR@k and NDCG@k of a ranking function over the cases. */
export function evaluateRanking(
  cases: readonly EvaluationCase[],
  rank: (history: ShopperHistory) => Int32Array,
  k = 10,
): Metrics {
  if (k < 1 || k > 100) throw new RangeError(`k is ${k}, expected 1..100`);
  let hits = 0;
  let ndcg = 0;
  for (const c of cases) {
    const top = rank(c.history);
    const targets = new Set(c.targets);
    let dcg = 0;
    let hit = false;
    for (let r = 0; r < Math.min(k, top.length); r++) {
      if (targets.has(top[r] as number)) {
        hit = true;
        dcg += LOG2[r] as number;
      }
    }
    let ideal = 0;
    for (let r = 0; r < Math.min(k, c.targetCount); r++) ideal += LOG2[r] as number;
    if (hit) hits++;
    ndcg += dcg / ideal;
  }
  const n = cases.length;
  return { hitRate: n === 0 ? 0 : hits / n, ndcg: n === 0 ? 0 : ndcg / n, customers: n };
}

/** Distinct buyers per catalog item (the non-private popularity reference). */
export function distinctBuyers(histories: Histories): Float64Array {
  const counts = new Float64Array(histories.catalog.codes.length);
  for (const h of histories.shoppers) for (const i of h.items) counts[i] = (counts[i] as number) + 1;
  return counts;
}
