import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { rationalFromDecimal, type Rational } from '../../shared/privacy/rational.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import {
  buildCatalog,
  buildHistories,
  DEFAULT_FIT_PARAMETERS,
  fromReleaseMeasure,
  RECOMMENDER_BOUNDS,
  RELEASE_KINDS,
  releaseItemCovariance,
  releaseItemSupports,
  splitBudget,
  storeItemList,
  toReleaseMeasure,
  type ItemCatalog,
  type ItemStatistic,
  type PurchaseLike,
} from '../../shared/recommend/mod.ts';
import type { ReleaseWindow } from '../../shared/time/local-calendar.ts';
import { createSqliteReleases } from './adapters/sqlite-releases.ts';
import { releaseId } from './core/build-payload.ts';
import type { PrivacyConfig } from './config.schema.ts';
import type { CustomReleaseDefinition, ReleaseContext } from './release-definition.ts';

/**
 * The recommender's store statistics (docs/recommender.md §2–§3, docs/privacy.md §4): per budget
 * period, two custom releases over the public item catalog (privacy.releases.itemStatistics):
 *
 *   item-supports    weighted item supports over the catalog                 ρ₁ = 0.3·ρ
 *   item-covariance  weighted item × item covariance over a public item list   ρ₂ = 0.7·ρ
 *                    (the installed model's items, else the items this period's own supports
 *                    release clears the minimum support with; too few: a second supports release)
 *
 * A shopper's weight (⌊G/√c⌋ per item, ⌊G·√(2/(c(c+1)))⌋ per pair, c their distinct items)
 * bounds each release's L2 sensitivity by 1 (Theorems S and C); exact discrete Gaussian noise,
 * drawn once here, makes each release ρ-zCDP, and the service charges every shopper whose
 * purchases it reads ρ₁ (resp. ρ₂) in the period's one ledger. Purchases are the hub's
 * offer_purchases rows of the window (any source), item = the stock code, else the category;
 * purchases and items the shopper excluded are never read. No shopper id enters the payload: its
 * cells are item codes and its values noisy sums.
 */

export interface ItemStatisticsDeps {
  /** The public catalog (privacy.releases.itemStatistics.catalogFile). */
  readonly catalog: ItemCatalog;
  /** The installed model's item list, or null before a model is installed. */
  readonly installedItems: () => readonly string[] | null;
}

interface PurchaseRow {
  readonly shopper: number;
  readonly id: string;
  readonly item: string;
}

function purchasesOf(db: Database, window: ReleaseWindow, included: ReadonlySet<number>): PurchaseLike[] {
  const rows = db
    .prepare(
      `SELECT p.shopper_pk AS shopper, p.id AS id, COALESCE(p.sku, p.category) AS item FROM offer_purchases p
       WHERE p.at_ms >= ? AND p.at_ms < ?
         AND NOT EXISTS (SELECT 1 FROM offer_exclusions e WHERE e.shopper_pk = p.shopper_pk
           AND (e.purchase_id = p.id OR (p.sku IS NOT NULL AND e.sku = p.sku)))`,
    )
    .all(window.startMs, window.endMs) as PurchaseRow[];
  return rows
    .filter((r) => included.has(r.shopper))
    .map((r) => ({ shopperId: String(r.shopper), stockCode: r.item, invoice: r.id, atMinute: 0 }));
}

function unitsOf(db: Database, context: ReleaseContext): number[] {
  return db
    .prepare('SELECT DISTINCT shopper_pk FROM offer_purchases WHERE at_ms >= ? AND at_ms < ?')
    .pluck()
    .all(context.window.startMs, context.window.endMs) as number[];
}

function released(stat: ItemStatistic): ReturnType<CustomReleaseDefinition['compute']> {
  return {
    cells: stat.items,
    bounds: { ...RECOMMENDER_BOUNDS },
    measures: [toReleaseMeasure(stat)],
    rho: stat.rho,
  };
}

/** This period's own supports release (round 1), as stored: the fallback list of round 2. */
function ownSupports(db: Database, window: ReleaseWindow): ItemStatistic | null {
  const row = createSqliteReleases(db).get(releaseId(RELEASE_KINDS.itemSupport, window));
  if (row === null) return null;
  const decoded = decodeAnyReleasePayload(Buffer.from(row.body));
  if (!decoded.ok || decoded.value.v !== 2 || decoded.value.measures[0] === undefined) return null;
  return fromReleaseMeasure(decoded.value.measures[0], decoded.value.cells);
}

export function itemStatisticsReleases(
  config: PrivacyConfig['releases']['itemStatistics'],
  deps: ItemStatisticsDeps,
): CustomReleaseDefinition[] {
  const rho: Rational = rationalFromDecimal(String(config.rho), 'privacy.releases.itemStatistics.rho');
  const budget = splitBudget(rho, DEFAULT_FIT_PARAMETERS.supportsShare);
  const parameters = { ...DEFAULT_FIT_PARAMETERS, maxItems: config.maxItems };
  const { catalog } = deps;
  if (catalog.codes.length === 0)
    throw new AppError('CFG_INVALID', 'privacy.releases.itemStatistics: the catalog is empty, expected item codes');
  const histories = (db: Database, context: ReleaseContext, included: ReadonlySet<number>) =>
    buildHistories(purchasesOf(db, context.window, included), catalog).shoppers;
  return [
    {
      custom: true,
      kind: RELEASE_KINDS.itemSupport,
      window: 'period',
      rho: budget.first,
      units: unitsOf,
      compute: (db, context, included) =>
        released(releaseItemSupports(histories(db, context, included), catalog, { rho: budget.first }, context.rng)),
    },
    {
      custom: true,
      kind: RELEASE_KINDS.itemCovariance,
      window: 'period',
      rho: budget.second,
      units: unitsOf,
      compute(db, context, included) {
        const installed = deps.installedItems();
        const supports = ownSupports(db, context.window);
        if (installed === null && supports === null)
          throw new AppError(
            'DP_INVALID_PARAMETER',
            `item-covariance of ${context.window.label} needs this period's item-supports release first (or an installed model); it is retried on the next run`,
          );
        const choice = storeItemList({ installed, supports, catalog }, parameters);
        const shoppers = histories(db, context, included);
        return released(
          choice.second === 'itemCovariance'
            ? releaseItemCovariance(shoppers, catalog, choice.items, { rho: budget.second }, context.rng)
            : releaseItemSupports(shoppers, catalog, { rho: budget.second }, context.rng),
        );
      },
    },
  ];
}

/** The catalog file's item codes: one per line; blank lines and lines starting with "#" are skipped. */
export function parseItemCatalog(text: string, source: string): string[] {
  const codes: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.length > 64 || !/^[\x21-\x7e]+$/.test(line))
      throw new AppError(
        'CFG_INVALID',
        `${source}:${i + 1}: ${JSON.stringify(line.slice(0, 40))} is not an item code, expected 1–64 printable characters without spaces`,
      );
    if (!seen.has(line)) {
      seen.add(line);
      codes.push(line);
    }
  });
  if (codes.length === 0) throw new AppError('CFG_INVALID', `${source} lists no item codes, expected one per line`);
  return codes;
}

/** The release kinds' deps from privacy.releases.itemStatistics (the catalog file read now), or undefined when off. */
export function itemStatisticsFromConfig(
  privacy: PrivacyConfig,
  deps: { resolvePath: (path: string) => string; installedItems: () => readonly string[] | null },
): ItemStatisticsDeps | undefined {
  const section = privacy.releases.itemStatistics;
  if (!section.enabled) return undefined;
  if (section.catalogFile === undefined)
    throw new AppError('CFG_INVALID', 'privacy.releases.itemStatistics.catalogFile is required when enabled');
  const path = deps.resolvePath(section.catalogFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The item catalog file "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return { catalog: buildCatalog(parseItemCatalog(text, path)), installedItems: deps.installedItems };
}
