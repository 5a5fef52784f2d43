import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { AppError, isAppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { REJECT_REASONS, formatLocalMinute, type RejectReason } from '../../shared/recommend/mod.ts';
import { readKeyFile, type ResolvePath } from '../http/mod.ts';
import { createPurchaseStore, type ImportCounts } from './adapters/sqlite-purchase-store.ts';
import type { LinkMode, PurchasesConfig } from './config.schema.ts';
import { makeLocalToUtc } from './core/local-minute.ts';
import { NO_PRODUCTS, parseProducts, type ProductCategories } from './core/products.ts';
import { PurchaseImport, type ImportSummary, type ReasonSample, type ResolveCustomer } from './core/purchase-import.ts';

/**
 * The purchases feature's service (docs/purchases.md): imports a POS export into the hub's
 * database — every accepted line a row of offer_purchases with source 'pos', all of a file in one
 * transaction or none of it —, and keeps the customer-id links. The POS customer id is used only
 * to find the shopper (HMAC under the link key, or the shopper id itself) and is never stored,
 * logged or returned.
 */

export interface PurchaseServiceDeps {
  db: Database;
  config: Readonly<PurchasesConfig>;
  /** The store's time zone (privacy.timeZone): the POS prints store-local times. */
  timeZone: string;
  resolvePath: ResolvePath;
  clock: Clock;
  logger: Logger;
}

export interface TimeOfLine {
  /** The POS's own wall-clock time, "YYYY-MM-DD HH:MM". */
  readonly local: string;
  /** The same minute in UTC (ISO 8601). */
  readonly at: string;
}

/** What an import did (the CLI's --json and the admin route answer with this). */
export interface ImportReport {
  readonly source: string;
  /** SHA-256 (hex) of the file's decompressed content. */
  readonly digest: string;
  readonly link: LinkMode;
  /** Data lines read (the header and blank lines not counted). */
  readonly lines: number;
  /** Rows added now. */
  readonly imported: number;
  /** Accepted lines that were already in the database (an earlier import of the same lines). */
  readonly duplicates: number;
  /** Accepted lines whose purchase the shopper deleted from their history: not brought back. */
  readonly deletedByShoppers: number;
  readonly rejected: number;
  readonly byReason: Readonly<Record<RejectReason, number>>;
  /** The first lines rejected for each reason, with what was wrong (never the customer id). */
  readonly rejectedLines: Readonly<Partial<Record<RejectReason, ReasonSample[]>>>;
  /** Distinct shoppers and products among the accepted lines. */
  readonly shoppers: number;
  readonly products: number;
  readonly from: TimeOfLine | null;
  readonly to: TimeOfLine | null;
  /** Imports of the same content committed before this one. */
  readonly earlierImports: number;
}

export interface CustomerLinkView {
  readonly shopper: string;
  readonly linkedAt: string;
}

export type PurchaseService = ReturnType<typeof createPurchaseService>;

const GZIP_MAGIC = [0x1f, 0x8b];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

function badInput(message: string, cause?: unknown): AppError {
  return new AppError('RECO_BAD_INPUT', message, cause === undefined ? {} : { cause });
}

/**
 * SHA-256 in hex of a short string: crypto.hash (Node ≥ 20.12) where there is one — a third of
 * createHash's cost, which counts at hundreds of thousands of lines — else createHash.
 */
const sha256Hex: (text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

/** The customer id as the link sees it: trimmed, and present (the core rejects empty ones before). */
function customerHash(key: Buffer, customerId: string): Buffer {
  return createHmac('sha256', key).update(customerId, 'utf8').digest();
}

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createPurchaseService(deps: PurchaseServiceDeps) {
  const { db, config, logger } = deps;
  const store = createPurchaseStore(db);
  const toUtc = makeLocalToUtc(deps.timeZone);
  let linkKey: Buffer | null = null;
  let products: ProductCategories | null = null;

  const key = (): Buffer => {
    if (linkKey !== null) return linkKey;
    if (config.linkKeyFile === undefined)
      throw new AppError(
        'CFG_INVALID',
        "purchases.linkKeyFile is not set: link mode 'linked' needs a link key file (64 hex digits, mode 0600)",
      );
    linkKey = readKeyFile(config.linkKeyFile, deps.resolvePath, 'purchases link key file');
    return linkKey;
  };

  const productCategories = (): ProductCategories => {
    if (products !== null) return products;
    if (config.productsFile === undefined) return (products = NO_PRODUCTS);
    let text: string;
    try {
      text = readFileSync(deps.resolvePath(config.productsFile), 'utf8');
    } catch (error) {
      throw new AppError(
        'CFG_UNREADABLE',
        `The purchases products file "${config.productsFile}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    return (products = parseProducts(text, config.productsFile));
  };

  const linkedFinder =
    (k: Buffer): ResolveCustomer =>
    (customerId) =>
      store.linkedShopper(customerHash(k, customerId));

  /** The link of this import: a cache per customer id, dropped with the import. */
  const resolver = (): ResolveCustomer => {
    const cache = new Map<string, number | null>();
    const find: ResolveCustomer =
      config.link === 'shopper-id' ? (customerId) => store.shopperPk(customerId) : linkedFinder(key());
    return (customerId) => {
      let pk = cache.get(customerId);
      if (pk === undefined) {
        pk = find(customerId);
        cache.set(customerId, pk);
      }
      return pk;
    };
  };

  const shopperPkOf = (shopperId: string): number => {
    const pk = store.shopperPk(shopperId);
    if (pk === null) throw new AppError('API_NOT_FOUND', `No shopper "${shopperId}"`, { details: { field: 'id' } });
    return pk;
  };

  const linkedModeOnly = (): void => {
    if (config.link !== 'linked')
      throw new AppError(
        'API_CONFLICT',
        `purchases.link is "${config.link}": the POS customer id is the shopper id, so there are no customer links to set`,
      );
  };

  const timeOf = (minute: number | null): TimeOfLine | null =>
    minute === null ? null : { local: formatLocalMinute(minute), at: new Date(toUtc(minute)).toISOString() };

  /** Imports the decompressed text of an export, all of it in one transaction. */
  function importContent(content: Buffer, source: string): ImportReport {
    const started = performance.now();
    const digest = createHash('sha256').update(content).digest();
    const categories = productCategories();
    const resolve = resolver();
    let earlierImports = 0;
    let filled = started;
    let committed: ImportCounts & { result: ImportSummary };
    try {
      committed = store.commitImport((add) => {
        earlierImports = store.importsOf(digest);
        const job = new PurchaseImport({
          resolve,
          onRow: add,
          toUtc,
          categoryOf: categories.categoryOf,
          purchaseId: (contentKey) => `pos-${sha256Hex(contentKey).slice(0, 24)}`,
          source,
        });
        for (let start = 0; start < content.length;) {
          let end = content.indexOf(10, start);
          if (end < 0) end = content.length;
          job.push(content.toString('utf8', start, end));
          start = end + 1;
        }
        const summary = job.finish();
        filled = performance.now();
        const record = {
          digest,
          source,
          linkMode: config.link,
          lines: summary.lines,
          rejected: summary.rejected,
          byReason: summary.byReason,
          atMs: deps.clock.now(),
        };
        return { record, result: summary };
      });
    } catch (error) {
      // A file the checks refuse (RECO_BAD_INPUT) and config errors keep their code; SQLite's
      // errors (a full disk, a failing row) become STORE_FAILED. Either way nothing was written.
      if (isAppError(error)) throw error;
      throw new AppError(
        'STORE_FAILED',
        `The purchases of ${source} could not be written, so none were imported (${(error as Error).message})`,
        { cause: error },
      );
    }
    const s = committed.result;
    const report: ImportReport = {
      source,
      digest: digest.toString('hex'),
      link: config.link,
      lines: s.lines,
      imported: committed.imported,
      duplicates: committed.duplicates,
      deletedByShoppers: committed.deletedByShoppers,
      rejected: s.rejected,
      byReason: s.byReason,
      rejectedLines: s.samples,
      shoppers: s.shoppers,
      products: s.products,
      from: timeOf(s.firstMinute),
      to: timeOf(s.lastMinute),
      earlierImports,
    };
    logger.info(
      {
        source,
        lines: report.lines,
        imported: report.imported,
        duplicates: report.duplicates,
        deletedByShoppers: report.deletedByShoppers,
        rejected: report.rejected,
        byReason: Object.fromEntries(REJECT_REASONS.filter((r) => s.byReason[r] > 0).map((r) => [r, s.byReason[r]])),
        // Reading, checking and inserting the rows; then writing the record and committing.
        rowsMs: Math.round(filled - started),
        commitMs: Math.round(performance.now() - filled),
      },
      'purchases imported',
    );
    return report;
  }

  /** The export's text: gzip (by its magic bytes) is decompressed, within purchases.maxFileBytes. */
  function decompressed(bytes: Buffer, source: string): Buffer {
    if (!isGzip(bytes)) {
      if (bytes.length > config.maxFileBytes)
        throw badInput(
          `${source} is ${bytes.length} bytes, expected at most ${config.maxFileBytes} (purchases.maxFileBytes)`,
        );
      return bytes;
    }
    try {
      return gunzipSync(bytes, { maxOutputLength: config.maxFileBytes });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE')
        throw badInput(
          `${source} decompresses to more than ${config.maxFileBytes} bytes, expected at most that (purchases.maxFileBytes)`,
          error,
        );
      throw badInput(
        `${source} starts like gzip but cannot be decompressed (${(error as Error).message}), expected a gzip file or CSV text`,
        error,
      );
    }
  }

  return {
    linkMode: config.link,

    /**
     * Reads the configured link key and products file now, so that a missing or open key file or
     * a bad products line stops the hub at start with its message, not at the first import.
     */
    start(): void {
      if (config.linkKeyFile !== undefined) key();
      productCategories();
    },

    /** Imports an export given as bytes (CSV text, or gzip-compressed CSV). */
    importBytes(bytes: Buffer, source: string): ImportReport {
      return importContent(decompressed(bytes, source), source);
    },

    /** Imports an export file (CSV, or gzip-compressed CSV whatever its name). */
    importFile(path: string): ImportReport {
      let bytes: Buffer;
      try {
        if (!statSync(path).isFile()) throw badInput(`Purchase file "${path}" is not a file, expected a CSV export`);
        bytes = readFileSync(path);
      } catch (error) {
        if (isAppError(error)) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        throw badInput(
          code === 'ENOENT'
            ? `Purchase file "${path}" does not exist`
            : `Purchase file "${path}" cannot be read (${code ?? (error as Error).message})`,
          error,
        );
      }
      return importContent(decompressed(bytes, path), path);
    },

    /** Links a POS customer id to a shopper (replacing the shopper's earlier link). */
    link(shopperId: string, customerId: string): CustomerLinkView & { replaced: boolean } {
      linkedModeOnly();
      const id = customerId.trim();
      if (id === '' || id.length > 128)
        throw new AppError(
          'API_BAD_REQUEST',
          `customerId has ${id.length} characters, expected 1 to 128 (the POS customer id, as in the export's customer_id column)`,
          { details: { field: '/customerId' } },
        );
      const pk = shopperPkOf(shopperId);
      const nowMs = deps.clock.now();
      const { replaced } = store.setLink(customerHash(key(), id), pk, nowMs);
      logger.info({ replaced }, 'customer link set');
      return { shopper: shopperId, linkedAt: new Date(nowMs).toISOString(), replaced };
    },

    /** Removes a shopper's link; false when they had none. */
    unlink(shopperId: string): boolean {
      linkedModeOnly();
      const removed = store.removeLink(shopperPkOf(shopperId));
      if (removed) logger.info({}, 'customer link removed');
      return removed;
    },

    /** The shopper's link (when it was set; never the customer id), or null. */
    linkOf(shopperId: string): CustomerLinkView | null {
      const link = store.linkOf(shopperPkOf(shopperId));
      return link === null ? null : { shopper: shopperId, linkedAt: new Date(link.linkedMs).toISOString() };
    },

    /** POS purchases in the database. */
    posPurchases: (): number => store.posPurchases(),
  };
}
