import { AppError } from '../../errors.ts';
import {
  parsePosHeader,
  parsePosLine,
  REJECT_REASONS,
  type PosHeader,
  type PosLine,
  type RejectReason,
} from './pos-csv.ts';

/**
 * The POS importer (pure, streaming): header first, then one call per line. Every line is either
 * accepted — mapped to an enrolled shopper through the customer-id link — or rejected with its
 * reason and a message; the counts by reason add up to the rejected lines. The caller commits the
 * accepted lines in one transaction (the hub) or uses them in memory (the CLI): nothing is
 * half-imported, because nothing is written until `finish()` returns the whole file's result.
 *
 * Idempotent re-import: each accepted line has a key built from its content — invoice, stock
 * code, quantity, time, price — plus the number of identical lines before it in the same file (a
 * POS export may repeat a line). Importing the same export again yields the same keys, so an
 * upsert by key changes nothing.
 */

/** Maps a POS customer id to the enrolled shopper's id, or null when no enrolled shopper has it. */
export type CustomerLink = (customerId: string) => string | null;

/** Every customer id is its own shopper (evaluation and analysts' files, where there is no directory). */
export const identityLink: CustomerLink = (customerId) => customerId;

export interface AcceptedLine extends PosLine {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  readonly shopperId: string;
  readonly key: string;
}

export interface RejectedLine {
  readonly line: number;
  readonly reason: RejectReason;
  readonly message: string;
}

export interface ImportReport {
  readonly source: string;
  /** Data lines read (the header and empty lines not counted). */
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly byReason: Readonly<Record<RejectReason, number>>;
  readonly customers: number;
  readonly products: number;
  readonly firstMinute: number | null;
  readonly lastMinute: number | null;
}

export interface ImportResult {
  readonly report: ImportReport;
  readonly accepted: readonly AcceptedLine[];
  /** Every rejected line with its reason, in file order (unless keepRejected is false: then empty). */
  readonly rejected: readonly RejectedLine[];
}

export interface ImporterOptions {
  readonly link: CustomerLink;
  /** Shown in messages (a file name). */
  readonly source?: string;
  /** Keep the rejected lines themselves (default true); the counts are always kept. */
  readonly keepRejected?: boolean;
}

export class PosImporter {
  readonly #link: CustomerLink;
  readonly #source: string;
  readonly #keepRejected: boolean;
  #header: PosHeader | null = null;
  #lineNo = 0;
  #lines = 0;
  readonly #accepted: AcceptedLine[] = [];
  readonly #rejected: RejectedLine[] = [];
  readonly #counts = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  #rejectedCount = 0;
  readonly #duplicates = new Map<string, number>();
  readonly #customers = new Set<string>();
  readonly #products = new Set<string>();
  #first: number | null = null;
  #last: number | null = null;
  #finished = false;

  constructor(options: ImporterOptions) {
    this.#link = options.link;
    this.#source = options.source ?? 'the file';
    this.#keepRejected = options.keepRejected ?? true;
  }

  /** Feeds the next physical line (without its line break). The first non-empty line is the header. */
  push(text: string): void {
    if (this.#finished) throw new RangeError('PosImporter.push after finish');
    this.#lineNo++;
    if (this.#header === null) {
      if (text.trim() === '') return;
      this.#header = parsePosHeader(text, this.#source);
      return;
    }
    if (text.trim() === '') return;
    this.#lines++;
    const parsed = parsePosLine(this.#header, text);
    if (!parsed.ok) {
      this.#reject(parsed.reason, parsed.message);
      return;
    }
    const row = parsed.value;
    const shopperId = this.#link(row.customerId);
    if (shopperId === null) {
      this.#reject(
        'unknown-customer',
        `customer_id ${JSON.stringify(row.customerId)} is not linked to an enrolled shopper`,
      );
      return;
    }
    const content = `${row.invoice}|${row.stockCode}|${row.quantity}|${row.atMinute}|${row.unitPrice}`;
    const seen = this.#duplicates.get(content) ?? 0;
    this.#duplicates.set(content, seen + 1);
    this.#accepted.push({ ...row, line: this.#lineNo, shopperId, key: `${content}|${seen}` });
    this.#customers.add(shopperId);
    this.#products.add(row.stockCode);
    if (this.#first === null || row.atMinute < this.#first) this.#first = row.atMinute;
    if (this.#last === null || row.atMinute > this.#last) this.#last = row.atMinute;
  }

  #reject(reason: RejectReason, message: string): void {
    this.#counts[reason]++;
    this.#rejectedCount++;
    if (this.#keepRejected) this.#rejected.push({ line: this.#lineNo, reason, message });
  }

  /** The whole file's result. A file without a header, or without data lines, is an error. */
  finish(): ImportResult {
    this.#finished = true;
    if (this.#header === null) {
      throw new AppError('RECO_BAD_INPUT', `${this.#source} is empty, expected a CSV header and purchase lines`);
    }
    if (this.#lines === 0) {
      throw new AppError('RECO_BAD_INPUT', `${this.#source} has a header but no purchase lines`);
    }
    this.#duplicates.clear();
    return {
      report: {
        source: this.#source,
        lines: this.#lines,
        accepted: this.#accepted.length,
        rejected: this.#rejectedCount,
        byReason: { ...this.#counts },
        customers: this.#customers.size,
        products: this.#products.size,
        firstMinute: this.#first,
        lastMinute: this.#last,
      },
      accepted: this.#accepted,
      rejected: this.#rejected,
    };
  }
}

/** The importer over an in-memory list of lines (header first). */
export function importPosLines(lines: Iterable<string>, options: ImporterOptions): ImportResult {
  const importer = new PosImporter(options);
  for (const line of lines) importer.push(line);
  return importer.finish();
}
