import { AppError } from '../../../shared/errors.ts';
import {
  REJECT_REASONS,
  parsePosHeader,
  parsePosLine,
  splitCsvLine,
  type PosHeader,
  type RejectReason,
} from '../../../shared/recommend/mod.ts';
import { normaliseHeader } from './header.ts';
import type { LocalToUtc } from './local-minute.ts';
import type { CategoryOf } from './products.ts';

/**
 * One POS export through the hub's import (pure, streaming; docs/purchases.md): the header, then
 * one call per physical line. Each line is checked by the recommender's rules (shared/recommend:
 * the first reason that applies), then mapped to an enrolled shopper through the customer-id
 * link; it becomes a purchase row, handed to `onRow` at once, or a rejection counted under its
 * reason. Nothing is written here: the caller runs the whole file inside one transaction and
 * writes each row as it comes, so memory does not grow with the file, and a file that turns out
 * to be unusable (no header, no lines) throws from `push` or `finish` and the caller rolls back.
 *
 * A row's id comes from the line's content — invoice, stock code, quantity, local minute, unit
 * price — plus how many identical lines came before it in the file (an export may repeat a line),
 * the same content key as the recommender's importer. The same export imported again gives the
 * same ids, so inserting by id changes nothing.
 *
 * The POS customer id stays inside this object: rows carry the shopper's pk, and the samples of
 * rejected lines (the first few per reason, for the report) never quote it.
 */

/** The enrolled shopper (pk) a POS customer id is linked to, or null. */
export type ResolveCustomer = (customerId: string) => number | null;

export interface PurchaseRow {
  readonly id: string;
  readonly shopperPk: number;
  /** Unix ms (the local minute in UTC). */
  readonly atMs: number;
  /** The store's wall-clock minute, since 1970-01-01 00:00. */
  readonly localMinute: number;
  readonly invoice: string;
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
  readonly category: string;
}

export interface ReasonSample {
  /** 1-based line number in the file (the header is line 1 unless blank lines precede it). */
  readonly line: number;
  readonly message: string;
}

export interface ImportSummary {
  /** Data lines read (the header and blank lines not counted). */
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly byReason: Readonly<Record<RejectReason, number>>;
  /** The first lines rejected for each reason (at most `samplesPerReason` each). */
  readonly samples: Readonly<Partial<Record<RejectReason, ReasonSample[]>>>;
  readonly shoppers: number;
  readonly products: number;
  readonly firstMinute: number | null;
  readonly lastMinute: number | null;
}

export interface PurchaseImportOptions {
  readonly resolve: ResolveCustomer;
  /** Receives each accepted line's row, in file order. */
  readonly onRow: (row: PurchaseRow) => void;
  readonly toUtc: LocalToUtc;
  readonly categoryOf: CategoryOf;
  /** The row id of a content key (a digest: the key itself holds the invoice and prices). */
  readonly purchaseId: (contentKey: string) => string;
  /** Names the file in errors. */
  readonly source?: string;
  readonly samplesPerReason?: number;
}

const UNLINKED_MESSAGE = 'customer_id is not linked to an enrolled shopper';

export class PurchaseImport {
  readonly #options: PurchaseImportOptions;
  readonly #samplesPerReason: number;
  #header: PosHeader | null = null;
  #lineNo = 0;
  #lines = 0;
  #accepted = 0;
  readonly #counts = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  readonly #samples: Partial<Record<RejectReason, ReasonSample[]>> = {};
  #rejected = 0;
  readonly #seen = new Map<string, number>();
  readonly #shoppers = new Set<number>();
  readonly #products = new Set<string>();
  #first: number | null = null;
  #last: number | null = null;
  #finished = false;

  constructor(options: PurchaseImportOptions) {
    this.#options = options;
    this.#samplesPerReason = options.samplesPerReason ?? 5;
  }

  /** Feeds the next physical line (without its line break). The first non-blank line is the header. */
  push(text: string): void {
    if (this.#finished) throw new RangeError('PurchaseImport.push after finish');
    this.#lineNo++;
    if (text.trim() === '') return;
    if (this.#header === null) {
      this.#header = parsePosHeader(normaliseHeader(text), this.#options.source ?? 'the file');
      return;
    }
    this.#lines++;
    const parsed = parsePosLine(this.#header, text);
    if (!parsed.ok) {
      this.#reject(parsed.reason, parsed.message, text);
      return;
    }
    const line = parsed.value;
    const shopperPk = this.#options.resolve(line.customerId);
    if (shopperPk === null) {
      this.#reject('unknown-customer', UNLINKED_MESSAGE, text);
      return;
    }
    const content = `${line.invoice}|${line.stockCode}|${line.quantity}|${line.atMinute}|${line.unitPrice}`;
    const seen = this.#seen.get(content) ?? 0;
    this.#seen.set(content, seen + 1);
    this.#accepted++;
    this.#options.onRow({
      id: this.#options.purchaseId(`${content}|${seen}`),
      shopperPk,
      atMs: this.#options.toUtc(line.atMinute),
      localMinute: line.atMinute,
      invoice: line.invoice,
      sku: line.stockCode,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      category: this.#options.categoryOf(line.stockCode),
    });
    this.#shoppers.add(shopperPk);
    this.#products.add(line.stockCode);
    if (this.#first === null || line.atMinute < this.#first) this.#first = line.atMinute;
    if (this.#last === null || line.atMinute > this.#last) this.#last = line.atMinute;
  }

  #reject(reason: RejectReason, message: string, text: string): void {
    this.#counts[reason]++;
    this.#rejected++;
    const samples = (this.#samples[reason] ??= []);
    if (samples.length < this.#samplesPerReason)
      samples.push({ line: this.#lineNo, message: this.#withoutCustomer(message, text) });
  }

  /**
   * The recommender's messages quote the field that failed (an invoice, a quantity, a code, a date,
   * a price), never the customer id's column; a line whose fields are shifted could still put the
   * customer id there, so a sample never shows that line's customer_id value.
   */
  #withoutCustomer(message: string, text: string): string {
    const header = this.#header as PosHeader;
    const fields = splitCsvLine(text.endsWith('\r') ? text.slice(0, -1) : text);
    const customer = fields?.[header.index.customer_id]?.trim() ?? '';
    return customer === '' || !message.includes(customer) ? message : message.split(customer).join('…');
  }

  /** The whole file's summary. A file without a header, or without data lines, is an error. */
  finish(): ImportSummary {
    this.#finished = true;
    const source = this.#options.source ?? 'the file';
    if (this.#header === null)
      throw new AppError('RECO_BAD_INPUT', `${source} is empty, expected a CSV header and purchase lines`);
    if (this.#lines === 0) throw new AppError('RECO_BAD_INPUT', `${source} has a header but no purchase lines`);
    this.#seen.clear();
    return {
      lines: this.#lines,
      accepted: this.#accepted,
      rejected: this.#rejected,
      byReason: { ...this.#counts },
      samples: this.#samples,
      shoppers: this.#shoppers.size,
      products: this.#products.size,
      firstMinute: this.#first,
      lastMinute: this.#last,
    };
  }
}
