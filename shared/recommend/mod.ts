/**
 * The DP item–item recommender (McSherry–Mironov), pure core: POS import with per-line reasons,
 * purchase histories, the stores' DP item statistics, pooling and cleaning at HQ, the model, the
 * per-shopper scoring and the evaluation (docs/recommender.md). File and key I/O live in
 * ./adapters/ (import them directly; this face stays free of node:fs and node:crypto).
 */
export {
  POS_COLUMNS,
  REJECT_REASONS,
  PRODUCT_CODE_RE,
  splitCsvLine,
  parsePosHeader,
  parsePosLine,
  parseLocalMinute,
  formatLocalMinute,
  daysFromCivil,
  type PosColumn,
  type PosHeader,
  type PosLine,
  type PosLineResult,
  type RejectReason,
} from './core/pos-csv.ts';
export {
  PosImporter,
  importPosLines,
  identityLink,
  type AcceptedLine,
  type CustomerLink,
  type ImportReport,
  type ImportResult,
  type ImporterOptions,
  type RejectedLine,
} from './core/import.ts';
export {
  buildCatalog,
  buildHistories,
  splitByStore,
  storeOf,
  type HistoryOptions,
  type Histories,
  type ItemCatalog,
  type PurchaseLike,
  type ShopperHistory,
} from './core/histories.ts';
export { WEIGHT_SCALE, covarianceWeight, supportWeight } from './core/weights.ts';
export {
  GRANULARITY,
  calibrateNoise,
  exactItemCovariance,
  exactItemSupports,
  individualRho,
  releaseItemCovariance,
  releaseItemSupports,
  triangleIndex,
  type ItemStatistic,
  type StatisticMetric,
} from './core/statistics.ts';
export { RECOMMENDER_BOUNDS, RELEASE_KINDS, fromReleaseMeasure, toReleaseMeasure } from './core/release-measure.ts';
export { rhoForEpsilon, splitBudget } from './core/budget.ts';
export {
  alignStatistics,
  chooseItemList,
  poolStatistics,
  pooledSigma,
  type ItemListChoice,
  type ItemListOptions,
  type PooledStatistic,
} from './core/pooling.ts';
export { buildItemModel, type CleaningOptions, type ItemModel, type ModelDiagnostics } from './core/model.ts';
export {
  DEFAULT_FIT_PARAMETERS,
  fitExact,
  fitStores,
  modelFromRounds,
  poolFirstRound,
  validateParameters,
  type FitParameters,
  type FitResult,
  type StoreShoppers,
} from './core/fit.ts';
export {
  ScoringScratch,
  affinity,
  affinityMax,
  indexOfferItems,
  offerScores,
  prepareScorer,
  recommend,
  type OfferItems,
  type RankingMode,
  type RecommendOptions,
  type Scorer,
} from './core/scoring.ts';
export {
  distinctBuyers,
  evaluateRanking,
  evaluationCases,
  type EvaluationCase,
  type EvaluationCases,
  type Metrics,
  type Protocol,
} from './core/evaluation.ts';
export {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ModelDocumentSchema,
  modelDocument,
  parseModelDocument,
  type ModelDocument,
  type ModelMetadata,
} from './core/model-format.ts';
export { isItemStatisticsKind, itemStatisticsProblem, storeItemList } from './core/store-release.ts';
export { symmetricEigen, type SymmetricEigen } from './core/symmetric-eigen.ts';
export { evaluateSplit, type EvaluationReport, type ProtocolMetrics } from './core/experiment.ts';
