import type { RandomSource } from '../../ports/random.ts';
import { rational, type Rational } from '../../privacy/rational.ts';
import { distinctBuyers, evaluateRanking, evaluationCases, type EvaluationCases, type Metrics } from './evaluation.ts';
import { DEFAULT_FIT_PARAMETERS, fitExact, fitStores, type FitParameters, type StoreShoppers } from './fit.ts';
import type { Histories } from './histories.ts';
import { buildItemModel, type ItemModel } from './model.ts';
import { poolStatistics, type PooledStatistic } from './pooling.ts';
import { prepareScorer, recommend, ScoringScratch, type RankingMode } from './scoring.ts';
import { GRANULARITY, releaseItemSupports } from './statistics.ts';

/**
 * One evaluation of the DP recommender against its baselines on a temporal split (pure given the
 * RandomSource; docs/recommender.md §7). Used by `hushpoint recommend evaluate` (crypto noise) and
 * the benchmark (seeded noise, so figures reproduce). Per run, on the same stores:
 *   model         the DP path (fitStores) at ρ
 *   dpPopularity  a supports release at the WHOLE ρ, ranked by popularity (the DP baseline to beat)
 *   dpRepeat      own items by invoices, ties and fill by that DP popularity
 * and once, without noise: the non-private item–item model (fitExact), popularity by distinct
 * buyers, and repeat with that popularity. DP figures are medians over the runs.
 */

export interface ProtocolMetrics {
  readonly all: Metrics;
  readonly new: Metrics | null;
}

export interface EvaluationReport {
  readonly customers: { readonly all: number; readonly new: number };
  readonly runs: number;
  readonly rho: Rational;
  readonly model: ProtocolMetrics;
  readonly dpPopularity: ProtocolMetrics;
  readonly dpRepeat: ProtocolMetrics;
  readonly itemItemNonPrivate: ProtocolMetrics;
  readonly popularityNonPrivate: ProtocolMetrics;
  readonly repeatNonPrivate: ProtocolMetrics;
  /** Per run: "new" HR of the model minus that of dpPopularity (paired by run). */
  readonly newHitRateGain: readonly number[];
  readonly modelShape: { readonly items: number; readonly rank: number; readonly blend: number };
}

function score(
  cases: EvaluationCases,
  model: ItemModel,
  k: number,
  modes: { all: RankingMode; new: RankingMode | null },
): ProtocolMetrics {
  const scorer = prepareScorer(model);
  const scratch = new ScoringScratch();
  const run = (list: EvaluationCases['all'], mode: RankingMode): Metrics =>
    evaluateRanking(list, (h) => recommend(scorer, h, { k, mode }, scratch), k);
  return { all: run(cases.all, modes.all), new: modes.new === null ? null : run(cases.new, modes.new) };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function medianMetrics(list: readonly ProtocolMetrics[]): ProtocolMetrics {
  const pick = (get: (p: ProtocolMetrics) => Metrics | null): Metrics | null => {
    const ms = list.map(get).filter((m): m is Metrics => m !== null);
    if (ms.length === 0) return null;
    return {
      hitRate: median(ms.map((m) => m.hitRate)),
      ndcg: median(ms.map((m) => m.ndcg)),
      customers: (ms[0] as Metrics).customers,
    };
  };
  return { all: pick((p) => p.all) as Metrics, new: pick((p) => p.new) };
}

function popularityModel(supports: PooledStatistic): ItemModel {
  return buildItemModel({ supports: [supports] }, { shrinkage: 0 });
}

export function evaluateSplit(
  input: { readonly stores: readonly StoreShoppers[]; readonly fit: Histories; readonly test: Histories },
  options: { readonly rho: Rational; readonly runs: number; readonly k?: number; readonly parameters?: FitParameters },
  rng: RandomSource,
): EvaluationReport {
  const k = options.k ?? 10;
  const parameters = options.parameters ?? DEFAULT_FIT_PARAMETERS;
  const cases = evaluationCases(input.fit, input.test);
  const catalog = input.fit.catalog;
  const runs: { model: ProtocolMetrics; pop: ProtocolMetrics; repeat: ProtocolMetrics }[] = [];
  let shape = { items: 0, rank: 0, blend: 0 };
  for (let r = 0; r < options.runs; r++) {
    const fitted = fitStores(input.stores, catalog, { rho: options.rho, parameters }, rng);
    shape = { items: fitted.model.items.length, rank: fitted.model.rank, blend: fitted.model.blend };
    const supports = poolStatistics(
      input.stores.map((s) => releaseItemSupports(s.shoppers, catalog, { rho: options.rho }, rng)),
    );
    const pop = popularityModel(supports);
    runs.push({
      model: score(cases, fitted.model, k, { all: 'all', new: 'new' }),
      pop: score(cases, pop, k, { all: 'score', new: 'new' }),
      repeat: score(cases, pop, k, { all: 'all', new: null }),
    });
  }
  const exact = fitExact(input.fit.shoppers, catalog, parameters);
  const buyers: PooledStatistic = {
    metric: 'itemSupport',
    layout: 'cells',
    items: catalog.codes,
    values: distinctBuyers(input.fit),
    granularity: GRANULARITY,
    variance: rational(0n),
    stores: 1,
    rhoPerStore: [],
  };
  const buyersModel = popularityModel(buyers);
  return {
    customers: { all: cases.all.length, new: cases.new.length },
    runs: options.runs,
    rho: options.rho,
    model: medianMetrics(runs.map((x) => x.model)),
    dpPopularity: medianMetrics(runs.map((x) => x.pop)),
    dpRepeat: medianMetrics(runs.map((x) => x.repeat)),
    itemItemNonPrivate: score(cases, exact, k, { all: 'all', new: 'new' }),
    popularityNonPrivate: score(cases, buyersModel, k, { all: 'score', new: 'new' }),
    repeatNonPrivate: score(cases, buyersModel, k, { all: 'all', new: null }),
    newHitRateGain: runs.map((x) => (x.model.new?.hitRate ?? 0) - (x.pop.new?.hitRate ?? 0)),
    modelShape: shape,
  };
}
