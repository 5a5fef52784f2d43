import { existsSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  intOption,
  requireString,
  usageError,
  type Command,
  type CommandContext,
  type OptionValues,
} from '../../shared/cli/command.ts';
import { AppError, EXIT } from '../../shared/errors.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { zcdpToApproxDp } from '../../shared/privacy/conversions.ts';
import { formatRational, rationalToNumberUp } from '../../shared/privacy/rational.ts';
import { readSignedModel, writeFileAtomic, writeSignedModel } from '../../shared/recommend/adapters/model-file.ts';
import { generateModelKeyPair, keyIdOf, parsePrivateKey } from '../../shared/recommend/adapters/model-signing.ts';
import {
  buildHistories,
  DEFAULT_FIT_PARAMETERS,
  evaluateSplit,
  fitStores,
  formatLocalMinute,
  modelDocument,
  prepareScorer,
  recommend,
  rhoForEpsilon,
  ScoringScratch,
  splitByStore,
  type FitResult,
  type ProtocolMetrics,
  type StoreShoppers,
} from '../../shared/recommend/mod.ts';
import { packageVersion } from '../../shared/version.ts';
import {
  dateOption,
  epsilonDelta,
  loadCatalog,
  loadPurchases,
  readPrivateKey,
  readPublicKey,
  round,
  stringList,
  summariseReasons,
  withDataErrors,
  writeRejects,
  type LoadedPurchases,
} from './recommend-support.ts';

/**
 * `hushpoint recommend` — the DP item–item recommender for analysts and evaluation
 * (docs/recommender.md). `fit` runs exactly the hub/HQ path (shared/recommend fitStores: the
 * stores' releases, pooling, cleaning) and writes a signed model; `score` ranks every customer of a
 * file with a verified model; `evaluate` compares the model with its baselines on a temporal split.
 */

const PURCHASES = {
  type: 'string',
  multiple: true,
  value: 'FILE',
  description: 'POS export (CSV or .csv.gz; columns invoice, stock_code, …); repeat for one file per store',
} as const;

function reportImport(io: CommandContext['io'], loaded: LoadedPurchases): void {
  for (const r of loaded.reports) {
    io.out(
      `${r.source}: ${r.lines} lines, ${r.accepted} accepted (${r.customers} customers, ${r.products} products), ${r.rejected} rejected: ${summariseReasons(r)}`,
    );
  }
}

function storesOf(
  values: OptionValues,
  loaded: LoadedPurchases,
  paths: string[],
  build: (lines: LoadedPurchases['lines']) => StoreShoppers['shoppers'],
): StoreShoppers[] {
  const stores = intOption(values, 'stores', { min: 1, max: 1000 }, 1);
  if (paths.length > 1) {
    if (values.stores !== undefined)
      throw usageError(
        '--stores splits one file into stores; with several --purchases files each file is already a store',
      );
    return loaded.perFile.map((lines, i) => ({ store: `store-${i + 1}`, shoppers: build(lines) }));
  }
  const all = build(loaded.lines);
  return splitByStore(all, stores).map((shoppers, i) => ({ store: `store-${i + 1}`, shoppers }));
}

function periodLabel(
  from: number | undefined,
  until: number | undefined,
  loaded: LoadedPurchases,
): { label: string; start: string; end: string } {
  const first = from ?? Math.min(...loaded.reports.map((r) => r.firstMinute ?? Infinity));
  const last = until ?? Math.max(...loaded.reports.map((r) => (r.lastMinute ?? -Infinity) + 1));
  const start = formatLocalMinute(first);
  const end = formatLocalMinute(last);
  return { label: `${start.slice(0, 10)}..${end.slice(0, 10)}`, start, end };
}

function signingKey(values: OptionValues, out: string, say: (text: string) => void): KeyObject {
  const path = values['signing-key'];
  if (typeof path === 'string' && path !== '') return readPrivateKey(path);
  const pair = generateModelKeyPair();
  writeFileAtomic(`${out}.pub.pem`, pair.publicPem);
  say(
    `signed with a new Ed25519 key ${pair.keyId}; its public key is in ${out}.pub.pem (give --signing-key to use your own)`,
  );
  return parsePrivateKey(pair.privatePem, 'generated key');
}

interface FitSummary {
  stores: number;
  shoppers: number;
  rho: string;
  rhoUpper: number;
  epsilon: number;
  delta: number;
  catalogItems: number;
  round2: string;
  listItems: number;
  rank: number;
  blend: number;
  noiseEdge: number;
}

function fitReport(result: FitResult, delta: number, stores: readonly StoreShoppers[]): FitSummary {
  const m = result.model;
  const cost = zcdpToApproxDp(result.rho, delta);
  return {
    stores: stores.length,
    shoppers: stores.reduce((n, s) => n + s.shoppers.length, 0),
    rho: formatRational(result.rho),
    rhoUpper: rationalToNumberUp(result.rho),
    epsilon: round(cost.epsilon, 4),
    delta,
    catalogItems: m.catalog.length,
    round2: result.choice.second,
    listItems: m.items.length,
    rank: m.rank,
    blend: round(m.blend, 4),
    noiseEdge: round(m.diagnostics.noiseEdge, 3),
  };
}

const fitCommand: Command = {
  name: 'fit',
  summary:
    "release one period's DP item statistics (one store, or N stores pooled as HQ does) and write a signed model",
  usage:
    'hushpoint recommend fit --purchases FILE [--purchases FILE …] --epsilon E [--delta D] [--stores N] --out MODEL [--from DATE] [--until DATE] [--catalog FILE] [--signing-key KEY.pem] [--json]',
  description: `The privacy unit is one customer's purchases in the period read (--from/--until, default the
whole file): the model is (E, D)-DP for it. Round 1 releases weighted item supports over the public
catalog, round 2 the weighted item × item covariance over the items that clear the minimum support
(or a second supports release when too few do); with --stores N (or several files) each store
releases its own statistics and they are pooled and cleaned exactly as HQ does.`,
  options: {
    purchases: PURCHASES,
    epsilon: { type: 'string', value: 'E', description: 'privacy loss ε > 0 for the period' },
    delta: { type: 'string', value: 'D', description: 'δ of the (ε, δ) guarantee', default: '1e-6' },
    stores: {
      type: 'string',
      value: 'N',
      description: 'split the customers of one file into N stores (by customer id)',
    },
    from: { type: 'string', value: 'DATE', description: 'use lines on or after this local date (YYYY-MM-DD)' },
    until: { type: 'string', value: 'DATE', description: 'use lines before this local date (YYYY-MM-DD)' },
    catalog: {
      type: 'string',
      value: 'FILE',
      description: 'public catalog: one stock code per line, or a CSV with stock_code',
    },
    'max-items': {
      type: 'string',
      value: 'N',
      description: 'largest item list of the covariance',
      default: String(DEFAULT_FIT_PARAMETERS.maxItems),
    },
    'model-version': {
      type: 'string',
      value: 'N',
      description: 'version number of the model (hubs install only newer ones)',
      default: '1',
    },
    out: { type: 'string', value: 'MODEL', description: 'the signed model file to write' },
    'signing-key': {
      type: 'string',
      value: 'KEY.pem',
      description: 'Ed25519 private key (PEM); default: a new key, public key in MODEL.pub.pem',
    },
    rejects: { type: 'string', value: 'FILE', description: 'write every rejected line with its reason (CSV)' },
    json: { type: 'boolean', description: 'print the report as one JSON object' },
  },
  run({ values }, { io, path }) {
    return withDataErrors(io, path, async () => {
      const paths = stringList(values, 'purchases');
      if (paths.length === 0) throw usageError('--purchases is required: a POS export (CSV or .csv.gz)');
      const { epsilon, delta } = epsilonDelta(values);
      const out = requireString(values, 'out', 'the model file to write');
      const maxItems = intOption(values, 'max-items', { min: 2, max: 2000 });
      const version = intOption(values, 'model-version', { min: 1, max: Number.MAX_SAFE_INTEGER });
      const from = dateOption(values, 'from');
      const until = dateOption(values, 'until');
      const loaded = await loadPurchases(paths, typeof values.rejects === 'string');
      if (typeof values.rejects === 'string') writeRejects(values.rejects, loaded);
      const { catalog, source } = loadCatalog(
        typeof values.catalog === 'string' ? values.catalog : undefined,
        loaded.lines,
      );
      const build = (lines: LoadedPurchases['lines']) =>
        buildHistories(lines, catalog, {
          ...(from !== undefined ? { fromMinute: from } : {}),
          ...(until !== undefined ? { untilMinute: until } : {}),
        }).shoppers;
      const stores = storesOf(values, loaded, paths, build);
      if (stores.every((s) => s.shoppers.length === 0)) {
        throw new AppError(
          'RECO_BAD_INPUT',
          'no purchase of a catalog item in the period read, expected at least one customer',
        );
      }
      const rho = rhoForEpsilon(epsilon, delta);
      const parameters = {
        ...DEFAULT_FIT_PARAMETERS,
        maxItems,
        minItems: Math.min(DEFAULT_FIT_PARAMETERS.minItems, maxItems),
      };
      const began = process.hrtime.bigint();
      const result = fitStores(stores, catalog, { rho, parameters }, new CryptoRandomSource());
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      const key = signingKey(values, out, (text) => (values.json ? io.err(text) : io.out(text)));
      const createdAt = new Date().toISOString();
      const period = periodLabel(from, until, loaded);
      const document = modelDocument(result.model, {
        version,
        modelId: `model-${period.label.replace(/\.\./, '_')}-v${version}`,
        createdAt,
        period,
        privacy: {
          unit: 'shopper-period',
          rho: formatRational(result.rho),
          epsilon: zcdpToApproxDp(result.rho, delta).epsilon,
          delta,
          rounds: [result.releases[0]?.first, result.releases[0]?.second].map((s) => ({
            metric: s?.metric ?? '',
            rho: formatRational(s?.rho ?? result.rho),
            sigmaSquared: formatRational(s?.sigmaSquared ?? result.rho),
            stores: stores.length,
          })),
        },
        parameters: { ...parameters, supportsShare: formatRational(parameters.supportsShare) },
        provenance: {
          stores: stores.length,
          storeIds: stores.map((s) => s.store),
          releaseIds: stores.flatMap((s) => [
            `item-supports:${s.store}:${period.label}`,
            `item-covariance:${s.store}:${period.label}`,
          ]),
          source: `${paths.join(', ')}; catalog: ${source}`,
          tool: `hushpoint ${packageVersion()} recommend fit`,
        },
      });
      writeSignedModel(out, document, key);
      const report = {
        ...fitReport(result, delta, stores),
        fitSeconds: round(seconds, 3),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        out,
        keyId: keyIdOf(createPublicKey(key)),
        catalogSource: source,
        imports: loaded.reports,
      };
      if (values.json) io.out(JSON.stringify(report));
      else {
        reportImport(io, loaded);
        io.out(`catalog: ${catalog.codes.length} items from ${source}`);
        io.out(
          `${report.stores} store(s), ${report.shoppers} customers; ρ = ${report.rho} (ε = ${report.epsilon} at δ = ${delta}); round 2: ${report.round2} over ${report.listItems} items; rank ${report.rank}, blend γ = ${report.blend}`,
        );
        io.out(`wrote ${out} (fit ${report.fitSeconds} s)`);
      }
      return EXIT.OK;
    });
  },
};

const scoreCommand: Command = {
  name: 'score',
  summary: 'rank k items for every customer of a purchase file with a verified model',
  usage:
    'hushpoint recommend score --model MODEL [--public-key PUB.pem] --purchases FILE [--k 10] [--new-only] [--until DATE] --out RECS.csv [--json]',
  description: `Writes customer_id,rank,stock_code for every customer with an accepted line in FILE
(rank 1 is the best). The model is verified first: a model whose signature does not verify with
the public key (default MODEL.pub.pem) is refused. --new-only never recommends an item the
customer already bought. This is the per-shopper step: it spends no privacy budget.`,
  options: {
    model: { type: 'string', value: 'MODEL', description: 'signed model from "recommend fit"' },
    'public-key': {
      type: 'string',
      value: 'PUB.pem',
      description: 'the Ed25519 public key to trust (default MODEL.pub.pem)',
    },
    purchases: PURCHASES,
    k: { type: 'string', value: 'K', description: 'items per customer', default: '10' },
    'new-only': { type: 'boolean', description: 'never an item the customer already bought' },
    until: { type: 'string', value: 'DATE', description: "use only each customer's lines before this local date" },
    out: { type: 'string', value: 'RECS.csv', description: 'the recommendations to write' },
    json: { type: 'boolean', description: 'print the report as one JSON object' },
  },
  run({ values }, { io, path }) {
    return withDataErrors(io, path, async () => {
      const modelPath = requireString(values, 'model', 'a signed model file');
      const paths = stringList(values, 'purchases');
      if (paths.length === 0) throw usageError('--purchases is required: a POS export (CSV or .csv.gz)');
      const out = requireString(values, 'out', 'the CSV file to write');
      const k = intOption(values, 'k', { min: 1, max: 100 });
      const until = dateOption(values, 'until');
      const keyPath = typeof values['public-key'] === 'string' ? values['public-key'] : `${modelPath}.pub.pem`;
      const { model, document } = readSignedModel(modelPath, readPublicKey(keyPath));
      const loaded = await loadPurchases(paths, false);
      const catalogIndex = new Map(model.catalog.map((c, i) => [c, i]));
      const histories = buildHistories(
        loaded.lines,
        { codes: model.catalog, index: catalogIndex },
        until !== undefined ? { untilMinute: until } : {},
      );
      const byId = new Map(histories.shoppers.map((h) => [h.shopperId, h]));
      const customers = [...new Set(loaded.lines.map((l) => l.shopperId))].sort();
      const empty = { items: new Int32Array(0), invoices: new Int32Array(0) };
      const scorer = prepareScorer(model);
      const scratch = new ScoringScratch();
      const mode = values['new-only'] ? 'new' : 'all';
      const rows: string[] = ['customer_id,rank,stock_code'];
      const began = process.hrtime.bigint();
      for (const id of customers) {
        const top = recommend(scorer, byId.get(id) ?? empty, { k, mode }, scratch);
        top.forEach((item, r) => rows.push(`${id},${r + 1},${model.catalog[item]}`));
      }
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      writeFileAtomic(out, `${rows.join('\n')}\n`);
      const report = {
        model: document.modelId,
        version: document.version,
        keyId: keyIdOf(readPublicKey(keyPath)),
        customers: customers.length,
        k,
        mode,
        scoreSeconds: round(seconds, 4),
        customersPerSecond: Math.round(customers.length / Math.max(seconds, 1e-9)),
        out,
      };
      if (values.json) io.out(JSON.stringify(report));
      else
        io.out(
          `model ${report.model} v${report.version} verified with key ${report.keyId}; ${report.customers} customers × ${k} (${mode}) in ${report.scoreSeconds} s (${report.customersPerSecond}/s); wrote ${out}`,
        );
      return EXIT.OK;
    });
  },
};

function metricsRow(name: string, m: ProtocolMetrics): string {
  const f = (x: number | undefined): string => (x === undefined ? '    —' : x.toFixed(3).padStart(5));
  return `${name.padEnd(34)} ${f(m.all.hitRate)}  ${f(m.all.ndcg)}   ${f(m.new?.hitRate)}  ${f(m.new?.ndcg)}`;
}

const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'HR@k and NDCG@k of the DP model against popularity, repeat and the non-private model on a temporal split',
  usage:
    'hushpoint recommend evaluate --purchases FILE --split-at DATE [--until DATE] [--epsilon 1] [--delta 1e-6] [--stores N] [--runs 5] [--k 10] [--json]',
  description: `Fits on the lines before --split-at and evaluates on the lines from it (until --until).
"all": every next-period item counts; "new": only items the customer never bought before, and
owned items are never recommended. DP figures are medians over --runs releases (fresh noise each);
"DP popularity" spends the whole ε on supports. Customers buying in both periods are evaluated.`,
  options: {
    purchases: PURCHASES,
    'split-at': {
      type: 'string',
      value: 'DATE',
      description: 'first local date of the evaluation period (YYYY-MM-DD)',
    },
    until: { type: 'string', value: 'DATE', description: 'end of the evaluation period (exclusive)' },
    epsilon: { type: 'string', value: 'E', description: 'privacy loss ε > 0 for the fit period', default: '1' },
    delta: { type: 'string', value: 'D', description: 'δ', default: '1e-6' },
    stores: { type: 'string', value: 'N', description: 'split the customers into N stores, pooled as HQ does' },
    catalog: { type: 'string', value: 'FILE', description: 'public catalog (default: the product codes of the file)' },
    runs: { type: 'string', value: 'N', description: 'DP releases to take the median over', default: '5' },
    k: { type: 'string', value: 'K', description: 'list length', default: '10' },
    json: { type: 'boolean', description: 'print the figures as one JSON object' },
  },
  run({ values }, { io, path }) {
    return withDataErrors(io, path, async () => {
      const paths = stringList(values, 'purchases');
      if (paths.length === 0) throw usageError('--purchases is required: a POS export (CSV or .csv.gz)');
      const split = dateOption(values, 'split-at');
      if (split === undefined)
        throw usageError('--split-at is required: the first date of the evaluation period (YYYY-MM-DD)');
      const until = dateOption(values, 'until');
      if (until !== undefined && until <= split) throw usageError('--until must be after --split-at');
      const { epsilon, delta } = epsilonDelta(values);
      const runs = intOption(values, 'runs', { min: 1, max: 101 });
      const k = intOption(values, 'k', { min: 1, max: 100 });
      const loaded = await loadPurchases(paths, false);
      const { catalog } = loadCatalog(typeof values.catalog === 'string' ? values.catalog : undefined, loaded.lines);
      const fitOf = (lines: LoadedPurchases['lines']) =>
        buildHistories(lines, catalog, { untilMinute: split }).shoppers;
      const stores = storesOf(values, loaded, paths, fitOf);
      const fit = buildHistories(loaded.lines, catalog, { untilMinute: split });
      const test = buildHistories(loaded.lines, catalog, {
        fromMinute: split,
        ...(until !== undefined ? { untilMinute: until } : {}),
      });
      if (fit.shoppers.length === 0 || test.shoppers.length === 0) {
        throw new AppError(
          'RECO_BAD_INPUT',
          `--split-at leaves ${fit.shoppers.length} customers before it and ${test.shoppers.length} after it, expected both periods to have purchases`,
        );
      }
      const rho = rhoForEpsilon(epsilon, delta);
      const report = evaluateSplit({ stores, fit, test }, { rho, runs, k }, new CryptoRandomSource());
      if (report.customers.all === 0)
        throw new AppError('RECO_BAD_INPUT', 'no customer buys in both periods, so there is nothing to evaluate');
      if (values.json) {
        io.out(
          JSON.stringify({ epsilon, delta, stores: stores.length, k, ...report, rho: formatRational(report.rho) }),
        );
        return EXIT.OK;
      }
      io.out(
        `fit before ${formatLocalMinute(split).slice(0, 10)}: ${fit.shoppers.length} customers; evaluated: ${report.customers.all} (all), ${report.customers.new} (new); ε = ${epsilon}, δ = ${delta}, ${stores.length} store(s), median of ${runs} runs`,
      );
      io.out(`${'ranking'.padEnd(34)} all HR@${k} NDCG   new HR@${k} NDCG`);
      io.out(metricsRow('DP item–item model', report.model));
      io.out(metricsRow('DP popularity (whole ε)', report.dpPopularity));
      io.out(metricsRow('repeat + DP popularity', report.dpRepeat));
      io.out(metricsRow('item–item, no privacy', report.itemItemNonPrivate));
      io.out(metricsRow('popularity (distinct buyers), no privacy', report.popularityNonPrivate));
      io.out(metricsRow('repeat, no privacy', report.repeatNonPrivate));
      io.out(
        `model: ${report.modelShape.items} items, rank ${report.modelShape.rank}, blend γ = ${report.modelShape.blend.toFixed(3)}`,
      );
      return EXIT.OK;
    });
  },
};

const keygenCommand: Command = {
  name: 'keygen',
  summary: 'create an Ed25519 key pair for signing models (PREFIX.key.pem, PREFIX.pub.pem)',
  usage: 'hushpoint recommend keygen --out PREFIX [--force]',
  options: {
    out: {
      type: 'string',
      value: 'PREFIX',
      description: 'writes PREFIX.key.pem (private, mode 600) and PREFIX.pub.pem',
    },
    force: { type: 'boolean', description: 'replace existing key files' },
  },
  run({ values }, { io }) {
    const prefix = requireString(values, 'out', 'a path prefix for the key files');
    const files = [`${prefix}.key.pem`, `${prefix}.pub.pem`];
    const existing = files.filter((f) => existsSync(f));
    if (existing.length > 0 && !values.force)
      throw usageError(`${existing.join(' and ')} already exist; add --force to replace them`);
    const pair = generateModelKeyPair();
    writeFileAtomic(files[0] as string, pair.privatePem, 0o600);
    writeFileAtomic(files[1] as string, pair.publicPem);
    io.out(`key ${pair.keyId}: private ${files[0]}, public ${files[1]}`);
    return EXIT.OK;
  },
};

export const recommendCommand: Command = {
  name: 'recommend',
  summary: 'the DP item–item recommender: fit a signed model, score customers, evaluate against baselines',
  subcommands: () => [fitCommand, scoreCommand, evaluateCommand, keygenCommand],
};
