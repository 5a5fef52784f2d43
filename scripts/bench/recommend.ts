import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError } from '../../shared/errors.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { readPosFile } from '../../shared/recommend/adapters/pos-file.ts';
import {
  affinity,
  affinityMax,
  buildCatalog,
  DEFAULT_FIT_PARAMETERS,
  buildHistories,
  evaluateSplit,
  fitExact,
  fitStores,
  identityLink,
  indexOfferItems,
  offerScores,
  parseLocalMinute,
  prepareScorer,
  recommend,
  rhoForEpsilon,
  ScoringScratch,
  evaluateRanking,
  evaluationCases,
  type AcceptedLine,
  type EvaluationReport,
  type Histories,
  type ItemModel,
} from '../../shared/recommend/mod.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { decideOffer } from '../../hub/offers/core/decide.ts';
import { chainHistories } from '../sim/purchases.ts';
import { decisionFixture } from './offers.ts';
import { median } from './stats.ts';

/**
 * Recommender benchmark (targets and figures: docs/recommender.md §9):
 *   importSeconds / importLinesPerSec  the whole training file through the POS importer (parse, checks, link)
 *   fitCliSeconds, fitSeconds, fitPeakRssMb  `hushpoint recommend fit` on the whole file at ε = 1 in a
 *                                      child process (dev launcher with tsx: its RSS is included)
 *   scoreCustomersPerSec               recommend() for every customer of the file, "new" mode
 *   affinityMicros                     one shopper's blended scores over the catalog (the per-shopper step)
 *   decisionsPerSec*                   offers decisions (1,000 eligible offers) without the model, and with the
 *                                      model's offer scores added per decision (affinity cached per shopper, or
 *                                      recomputed every decision)
 *   uci*                               fit Dec–Jun, evaluate Jul–Sep, one store, ε = 1, δ = 10^-6: the DP
 *                                      model against DP popularity (whole ε), repeat with DP popularity and
 *                                      the non-private models, medians of `runs` seeded releases; and "new"
 *                                      HR at ε ∈ {0.25 … 8} against DP popularity at the same ε
 *   chain*                             the simulated chain, 50 stores × 5,000 shoppers, ε = 1 per store: pooled
 *                                      "new" HR against the non-private model on the pooled data (same item
 *                                      list size, and 1,000 items), and 1 / 10 stores pooled for contrast (one
 *                                      chain draw, medians over noise seeds)
 * Reads the Online Retail training file (where it lives: docs/recommender.md §9).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRAIN = join(ROOT, '..', 'shared', 'data', 'online-retail', 'train.csv.gz');
const LAUNCHER = join(ROOT, 'cli/hushpoint.mjs');
const run = promisify(execFile);

type Figures = Record<string, number | string | boolean>;

function requireTrainingFile(): void {
  if (!existsSync(TRAIN)) {
    throw new AppError(
      'RECO_BAD_INPUT',
      `The recommender benchmark reads the Online Retail training file at ${TRAIN}, which is missing: place train.csv.gz there (see test/fixtures/online-retail/README.md for the data set)`,
    );
  }
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function benchImportAndFit(
  runs: number,
  progress: (line: string) => void,
  figures: Figures,
): Promise<AcceptedLine[]> {
  const importTimes: number[] = [];
  let lines: readonly AcceptedLine[] = [];
  let total = 0;
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-reco-'));
  const cli: number[] = [];
  const fit: number[] = [];
  const rss: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const began = process.hrtime.bigint();
      const result = await readPosFile(TRAIN, { link: identityLink, keepRejected: true });
      importTimes.push(seconds(began));
      lines = result.accepted;
      total = result.report.lines;
      const cliStart = process.hrtime.bigint();
      const child = await run(
        process.execPath,
        [
          LAUNCHER,
          'recommend',
          'fit',
          '--purchases',
          TRAIN,
          '--epsilon',
          '1',
          '--delta',
          '1e-6',
          '--out',
          join(dir, 'model.json'),
          '--json',
        ],
        { env: { ...process.env, HUSHPOINT_CLI_ENTRY: '' }, maxBuffer: 64 * 1024 * 1024 },
      );
      cli.push(seconds(cliStart));
      const report = JSON.parse(child.stdout) as { fitSeconds: number; peakRssMb: number };
      fit.push(report.fitSeconds);
      rss.push(report.peakRssMb);
      progress(
        `run ${r + 1}/${runs}: import ${importTimes.at(-1)?.toFixed(2)} s (${total} lines); recommend fit: ${cli.at(-1)?.toFixed(2)} s end to end, ${report.fitSeconds} s DP fit, peak RSS ${report.peakRssMb} MB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const importSeconds = median(importTimes);
  Object.assign(figures, {
    importLines: total,
    importSeconds: Number(importSeconds.toFixed(3)),
    importLinesPerSec: Math.round(total / importSeconds),
    fitCliSeconds: Number(median(cli).toFixed(3)),
    fitSeconds: Number(median(fit).toFixed(3)),
    fitPeakRssMb: median(rss),
  });
  return [...lines];
}

function benchScoring(
  model: ItemModel,
  histories: Histories,
  runs: number,
  progress: (line: string) => void,
  figures: Figures,
): void {
  const scorer = prepareScorer(model);
  const scratch = new ScoringScratch();
  const rates: number[] = [];
  const affinityMicros: number[] = [];
  const out = new Float64Array(model.catalog.length);
  let sink = 0;
  for (let r = 0; r < runs; r++) {
    let customers = 0;
    const began = process.hrtime.bigint();
    while (seconds(began) < 0.5) {
      for (const h of histories.shoppers) sink += recommend(scorer, h, { k: 10, mode: 'new' }, scratch)[0] ?? 0;
      customers += histories.shoppers.length;
    }
    rates.push(customers / seconds(began));
    const a = process.hrtime.bigint();
    for (const h of histories.shoppers) sink += affinity(scorer, h.items, out, scratch)[0] ?? 0;
    affinityMicros.push((seconds(a) * 1e6) / histories.shoppers.length);
    progress(
      `run ${r + 1}/${runs}: score ${Math.round(rates.at(-1) ?? 0)} customers/s, affinity ${affinityMicros.at(-1)?.toFixed(1)} µs/shopper`,
    );
  }
  if (sink < 0) progress('unreachable');
  figures.scoreCustomersPerSec = Math.round(median(rates));
  figures.affinityMicros = Number(median(affinityMicros).toFixed(2));
}

/** Offers decisions with and without the model's offer scores (the lead wires them into the ranking). */
function benchDecisions(
  model: ItemModel,
  histories: Histories,
  runs: number,
  progress: (line: string) => void,
  figures: Figures,
): void {
  const rng = new CryptoRandomSource();
  const { input, config } = decisionFixture();
  const scorer = prepareScorer(model);
  const scratch = new ScoringScratch();
  const pick = new SeededRandomSource('offer-items');
  const offers = Array.from({ length: input.catalog.offers.length }, () => ({
    items: Array.from({ length: 3 }, () => model.catalog[pick.nextUint32() % model.catalog.length] as string),
  }));
  const offerItems = indexOfferItems(scorer, offers);
  // A typical shopper (the median number of items) and the heaviest one (the worst case for affinity).
  const bySize = [...histories.shoppers].sort((a, b) => a.items.length - b.items.length);
  const shopper = bySize[Math.floor(bySize.length / 2)] ?? (bySize[0] as (typeof bySize)[0]);
  const heaviest = bySize[bySize.length - 1] ?? shopper;
  const cached = affinity(scorer, shopper.items, new Float64Array(model.catalog.length), scratch);
  const cachedTop = affinityMax(cached);
  const perOffer = new Float64Array(offers.length);
  const fresh = new Float64Array(model.catalog.length);
  const variants: Record<string, () => void> = {
    baseline: () => void decideOffer(input, rng, config),
    cachedAffinity: () => {
      offerScores(offerItems, cached, perOffer, cachedTop);
      decideOffer(input, rng, config);
    },
    freshAffinity: () => {
      offerScores(offerItems, affinity(scorer, shopper.items, fresh, scratch), perOffer);
      decideOffer(input, rng, config);
    },
    freshAffinityHeaviest: () => {
      offerScores(offerItems, affinity(scorer, heaviest.items, fresh, scratch), perOffer);
      decideOffer(input, rng, config);
    },
  };
  const rates: Record<string, number[]> = {
    baseline: [],
    cachedAffinity: [],
    freshAffinity: [],
    freshAffinityHeaviest: [],
  };
  for (let r = 0; r < runs; r++) {
    for (const [name, step] of Object.entries(variants)) {
      let n = 0;
      const began = process.hrtime.bigint();
      while (seconds(began) < 0.4) {
        for (let i = 0; i < 500; i++) step();
        n += 500;
      }
      rates[name]?.push(n / seconds(began));
    }
    progress(
      `run ${r + 1}/${runs}: decisions/s ${Object.entries(rates)
        .map(([k, v]) => `${k} ${Math.round(v.at(-1) ?? 0)}`)
        .join(', ')} (typical shopper ${shopper.items.length} items, heaviest ${heaviest.items.length})`,
    );
  }
  figures.decisionsPerSecBaseline = Math.round(median(rates.baseline ?? []));
  figures.decisionsPerSecWithModelCached = Math.round(median(rates.cachedAffinity ?? []));
  figures.decisionsPerSecWithModelFresh = Math.round(median(rates.freshAffinity ?? []));
  figures.decisionsPerSecWithModelFreshHeaviest = Math.round(median(rates.freshAffinityHeaviest ?? []));
  figures.offerScoresMicros = Number(
    (
      1e6 / (figures.decisionsPerSecWithModelCached as number) -
      1e6 / (figures.decisionsPerSecBaseline as number)
    ).toFixed(2),
  );
}

function put(figures: Figures, prefix: string, report: EvaluationReport): void {
  const f = (x: number | undefined): number => Number((x ?? Number.NaN).toFixed(4));
  Object.assign(figures, {
    [`${prefix}CustomersAll`]: report.customers.all,
    [`${prefix}CustomersNew`]: report.customers.new,
    [`${prefix}ModelNewHR`]: f(report.model.new?.hitRate),
    [`${prefix}ModelNewNDCG`]: f(report.model.new?.ndcg),
    [`${prefix}ModelAllHR`]: f(report.model.all.hitRate),
    [`${prefix}ModelAllNDCG`]: f(report.model.all.ndcg),
    [`${prefix}DpPopularityNewHR`]: f(report.dpPopularity.new?.hitRate),
    [`${prefix}DpPopularityAllHR`]: f(report.dpPopularity.all.hitRate),
    [`${prefix}DpRepeatAllHR`]: f(report.dpRepeat.all.hitRate),
    [`${prefix}RepeatAllHR`]: f(report.repeatNonPrivate.all.hitRate),
    [`${prefix}PopularityNewHR`]: f(report.popularityNonPrivate.new?.hitRate),
    [`${prefix}ItemItemNewHR`]: f(report.itemItemNonPrivate.new?.hitRate),
    [`${prefix}ItemItemAllHR`]: f(report.itemItemNonPrivate.all.hitRate),
    [`${prefix}NewGainMedian`]: f(median(report.newHitRateGain)),
    [`${prefix}ModelItems`]: report.modelShape.items,
    [`${prefix}ModelRank`]: report.modelShape.rank,
  });
}

function benchUci(
  lines: readonly AcceptedLine[],
  runs: number,
  progress: (line: string) => void,
  figures: Figures,
): void {
  const catalog = buildCatalog([...new Set(lines.map((l) => l.stockCode))].sort());
  const split = parseLocalMinute('2011-07-01 00:00') as number;
  const fit = buildHistories(lines, catalog, { untilMinute: split });
  const test = buildHistories(lines, catalog, { fromMinute: split });
  const stores = [{ store: 'store-1', shoppers: fit.shoppers }];
  const report = evaluateSplit(
    { stores, fit, test },
    { rho: rhoForEpsilon(1, 1e-6), runs },
    new SeededRandomSource('uci-eps-1'),
  );
  put(figures, 'uci', report);
  progress(
    `UCI ε=1: new HR model ${report.model.new?.hitRate.toFixed(3)} vs DP popularity ${report.dpPopularity.new?.hitRate.toFixed(3)}; all HR model ${report.model.all.hitRate.toFixed(3)} vs repeat (DP popularity) ${report.dpRepeat.all.hitRate.toFixed(3)}, repeat (exact) ${report.repeatNonPrivate.all.hitRate.toFixed(3)}`,
  );
  let worst = Infinity;
  for (const epsilon of [0.25, 0.5, 1, 2, 4, 8]) {
    const r = evaluateSplit(
      { stores, fit, test },
      { rho: rhoForEpsilon(epsilon, 1e-6), runs: runs > 5 ? runs : 3 },
      new SeededRandomSource(`uci-eps-${epsilon}`),
    );
    const gain = (r.model.new?.hitRate ?? 0) - (r.dpPopularity.new?.hitRate ?? 0);
    worst = Math.min(worst, gain);
    figures[`uciNewHrMinusDpPopularityEps${String(epsilon).replace('.', '_')}`] = Number(gain.toFixed(4));
    progress(
      `UCI ε=${epsilon}: new HR model ${r.model.new?.hitRate.toFixed(3)} vs DP popularity ${r.dpPopularity.new?.hitRate.toFixed(3)} (rank ${r.modelShape.rank}, ${r.modelShape.items} items)`,
    );
  }
  figures.uciNewHrMinusDpPopularityWorst = Number(worst.toFixed(4));
}

function benchChain(runs: number, progress: (line: string) => void, figures: Figures): void {
  const began = process.hrtime.bigint();
  const chain = chainHistories(
    { stores: 50, shoppers: 5000, days: 270, seed: 'chain-bench-1', start: '2025-01-01' },
    180,
  );
  const fitAll = chain.stores.flatMap((s) => s.fit);
  const testAll = chain.stores.flatMap((s) => s.test);
  // Evaluate on every 60th test shopper (≈ 3,500): enough for ±0.008 (1 SE) on HR.
  const sample = testAll.filter((_, i) => i % 60 === 0);
  const cases = evaluationCases(
    { catalog: chain.catalog, shoppers: fitAll, outsideCatalog: 0 },
    { catalog: chain.catalog, shoppers: sample, outsideCatalog: 0 },
  );
  progress(
    `chain: ${fitAll.length} shoppers with fit-period purchases in 50 stores, simulated in ${seconds(began).toFixed(1)} s; ${cases.new.length} evaluated`,
  );
  const scratch = new ScoringScratch();
  const newHr = (model: ItemModel): number => {
    const scorer = prepareScorer(model);
    return evaluateRanking(cases.new, (h) => recommend(scorer, h, { k: 10, mode: 'new' }, scratch)).hitRate;
  };
  const exact = newHr(fitExact(fitAll, chain.catalog));
  const exact1000 = newHr(fitExact(fitAll, chain.catalog, { ...DEFAULT_FIT_PARAMETERS, maxItems: 1000 }));
  const rho = rhoForEpsilon(1, 1e-6);
  const results: Record<string, number[]> = { pooled50: [], pooled10: [], one: [], fitSeconds50: [] };
  for (let r = 0; r < runs; r++) {
    const rng = new SeededRandomSource(`chain-noise-${r}`);
    const t = process.hrtime.bigint();
    const pooled = fitStores(
      chain.stores.map((s, i) => ({ store: `store-${i + 1}`, shoppers: s.fit })),
      chain.catalog,
      { rho },
      rng,
    );
    results.fitSeconds50?.push(seconds(t));
    results.pooled50?.push(newHr(pooled.model));
    results.pooled10?.push(
      newHr(
        fitStores(
          chain.stores.slice(0, 10).map((s, i) => ({ store: `store-${i + 1}`, shoppers: s.fit })),
          chain.catalog,
          { rho },
          rng,
        ).model,
      ),
    );
    results.one?.push(
      newHr(fitStores([{ store: 'store-1', shoppers: chain.stores[0]?.fit ?? [] }], chain.catalog, { rho }, rng).model),
    );
    progress(
      `chain run ${r + 1}/${runs}: new HR pooled 50 ${results.pooled50?.at(-1)?.toFixed(3)}, pooled 10 ${results.pooled10?.at(-1)?.toFixed(3)}, one store ${results.one?.at(-1)?.toFixed(3)}, non-private ${exact.toFixed(3)} (fit 50 stores ${results.fitSeconds50?.at(-1)?.toFixed(1)} s)`,
    );
  }
  const supports = fitStores(
    [{ store: 'all', shoppers: fitAll }],
    chain.catalog,
    { rho: rhoForEpsilon(1, 1e-6) },
    new SeededRandomSource('chain-pop'),
  );
  const popModel = { ...supports.model, blend: 0 };
  const pooled50 = median(results.pooled50 ?? []);
  Object.assign(figures, {
    chainShoppers: fitAll.length,
    chainEvaluated: cases.new.length,
    chainItemItemNewHR: Number(exact.toFixed(4)),
    chainItemItem1000NewHR: Number(exact1000.toFixed(4)),
    chainPooled50NewHR: Number(pooled50.toFixed(4)),
    chainPooled10NewHR: Number(median(results.pooled10 ?? []).toFixed(4)),
    chainOneStoreNewHR: Number(median(results.one ?? []).toFixed(4)),
    chainPopularityNewHR: Number(newHr(popModel).toFixed(4)),
    chainPooled50OverNonPrivate: Number((pooled50 / exact).toFixed(4)),
    chainFitSeconds50: Number(median(results.fitSeconds50 ?? []).toFixed(2)),
  });
}

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Figures> {
  requireTrainingFile();
  const figures: Figures = {};
  const timingRuns = Math.min(runs, 3);
  const lines = await benchImportAndFit(timingRuns, progress, figures);
  benchUci(lines, runs, progress, figures);
  const catalog = buildCatalog([...new Set(lines.map((l) => l.stockCode))].sort());
  const all = buildHistories(lines, catalog);
  const model = fitStores(
    [{ store: 'store-1', shoppers: all.shoppers }],
    catalog,
    { rho: rhoForEpsilon(1, 1e-6) },
    new SeededRandomSource('score-model'),
  ).model;
  benchScoring(model, all, timingRuns, progress, figures);
  benchDecisions(model, all, timingRuns, progress, figures);
  benchChain(runs > 5 ? runs : 3, progress, figures);
  return figures;
}
