import { AppError } from '../../errors.ts';

/**
 * One line of a point-of-sale export (pure): CSV splitting, the header, and the checks that turn a
 * line into a purchase or into a rejection with a reason (docs/recommender.md §1).
 *
 * Columns (any order, names case-insensitive, extra columns ignored):
 *   invoice, stock_code, description, quantity, invoice_date, unit_price, customer_id, country
 * invoice_date is the store's local wall-clock time "YYYY-MM-DD HH:MM" (":SS" and a "T" are allowed).
 *
 * A line gets the FIRST reason that applies, in this order (so the counts by reason add up to the
 * rejected lines):
 *   malformed-line         wrong number of fields, a broken quote, an empty invoice
 *   cancellation           the invoice starts with "C" (a cancelled sale, as the UCI export marks them)
 *   bad-quantity           quantity is not an integer
 *   non-positive-quantity  quantity ≤ 0 (returns, corrections)
 *   non-product-code       stock_code is not five digits plus up to two letters (POST, DOT, M, BANK CHARGES, …)
 *   bad-date               invoice_date is not a real calendar date-time in the format above
 *   bad-price              unit_price is not a number ≥ 0
 *   missing-customer       customer_id is empty (an anonymous sale)
 *   unknown-customer       the customer-id link knows no enrolled shopper for it (see import.ts)
 */

export const POS_COLUMNS = [
  'invoice',
  'stock_code',
  'description',
  'quantity',
  'invoice_date',
  'unit_price',
  'customer_id',
  'country',
] as const;
export type PosColumn = (typeof POS_COLUMNS)[number];

export const REJECT_REASONS = [
  'malformed-line',
  'cancellation',
  'bad-quantity',
  'non-positive-quantity',
  'non-product-code',
  'bad-date',
  'bad-price',
  'missing-customer',
  'unknown-customer',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A product code: five digits plus up to two letters, in any case (normalised to upper case). */
export const PRODUCT_CODE_RE = /^\d{5}[A-Za-z]{0,2}$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const INTEGER_RE = /^[+-]?\d{1,15}$/;
const PRICE_RE = /^[+-]?(?:\d{1,12}(?:\.\d*)?|\.\d+)$/;

export interface PosLine {
  readonly invoice: string;
  /** Upper case. */
  readonly stockCode: string;
  readonly description: string;
  readonly quantity: number;
  /** Local wall-clock minutes since 1970-01-01 00:00 (no time zone applied: the export's own clock). */
  readonly atMinute: number;
  readonly unitPrice: number;
  readonly customerId: string;
  readonly country: string;
}

export type PosLineResult =
  | { readonly ok: true; readonly value: PosLine }
  | { readonly ok: false; readonly reason: RejectReason; readonly message: string };

/** Where each column sits in a line. */
export interface PosHeader {
  readonly fields: number;
  readonly index: Readonly<Record<PosColumn, number>>;
}

/**
 * Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote). Returns null for a broken
 * quote (an unterminated field, or text after a closing quote). Lines never span line breaks here:
 * a field with an embedded newline arrives as two broken lines and both are rejected.
 */
export function splitCsvLine(text: string): string[] | null {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34) {
      let value = '';
      let start = i + 1;
      i = start;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        if (q + 1 < n && text.charCodeAt(q + 1) === 34) {
          value += text.slice(start, q + 1);
          i = q + 2;
          start = i;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text.charCodeAt(i) !== 44) return null;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      const raw = text.slice(i, end);
      if (raw.includes('"')) return null;
      fields.push(raw);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

/** The header line: every POS column must be present once (a clear error names the missing ones). */
export function parsePosHeader(text: string, source = 'the file'): PosHeader {
  const fields = splitCsvLine(text.replace(/^\uFEFF/, '').replace(/\r$/, ''));
  if (fields === null) {
    throw new AppError(
      'RECO_BAD_INPUT',
      `The header of ${source} is not a CSV line: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  const names = fields.map((f) => f.trim().toLowerCase());
  const index: Partial<Record<PosColumn, number>> = {};
  for (const column of POS_COLUMNS) {
    const at = names.indexOf(column);
    if (at >= 0 && names.indexOf(column, at + 1) >= 0) {
      throw new AppError('RECO_BAD_INPUT', `The header of ${source} names column "${column}" twice, expected it once`);
    }
    if (at >= 0) index[column] = at;
  }
  const missing = POS_COLUMNS.filter((c) => index[c] === undefined);
  if (missing.length > 0) {
    throw new AppError(
      'RECO_BAD_INPUT',
      `The header of ${source} has no column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: found ${names.map((n) => JSON.stringify(n)).join(', ')}, expected ${POS_COLUMNS.join(', ')}`,
      { details: { missing } },
    );
  }
  return { fields: fields.length, index: index as Record<PosColumn, number> };
}

const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days from 1970-01-01 to year-month-day (proleptic Gregorian), exact integer arithmetic. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = year - 1;
  const leapDays = Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) - 477; // 477 leap days before 1970
  const yearDays = (year - 1970) * 365 + leapDays;
  return yearDays + (CUMULATIVE_DAYS[month - 1] as number) + (month > 2 && isLeap(year) ? 1 : 0) + day - 1;
}

/** "YYYY-MM-DD HH:MM[:SS]" → local minutes since 1970-01-01 00:00, or null if it is not a real date-time. */
export function parseLocalMinute(text: string): number | null {
  const m = DATE_RE.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const monthDays = month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > monthDays) return null;
  return daysFromCivil(year, month, day) * 1440 + hour * 60 + minute;
}

/** Local minutes → "YYYY-MM-DD HH:MM" (the inverse of parseLocalMinute, seconds dropped). */
export function formatLocalMinute(atMinute: number): string {
  const days = Math.floor(atMinute / 1440);
  const rest = atMinute - days * 1440;
  const date = new Date(days * 86_400_000);
  const pad = (v: number): string => String(v).padStart(2, '0');
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(Math.floor(rest / 60))}:${pad(rest % 60)}`;
}

function reject(reason: RejectReason, message: string): PosLineResult {
  return { ok: false, reason, message };
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** Checks one data line against the header; the message names the field, its value and what was expected. */
export function parsePosLine(header: PosHeader, text: string): PosLineResult {
  const fields = splitCsvLine(text.endsWith('\r') ? text.slice(0, -1) : text);
  if (fields === null) return reject('malformed-line', 'a quoted field is not closed or is followed by text');
  if (fields.length !== header.fields) {
    return reject('malformed-line', `has ${fields.length} fields, expected ${header.fields} as in the header`);
  }
  const at = header.index;
  const invoice = (fields[at.invoice] as string).trim();
  if (invoice === '') return reject('malformed-line', 'invoice is empty, expected an invoice number');
  if (invoice.charCodeAt(0) === 67 || invoice.charCodeAt(0) === 99) {
    return reject('cancellation', `invoice ${quoted(invoice)} starts with "C" (a cancelled sale)`);
  }
  const quantityText = (fields[at.quantity] as string).trim();
  if (!INTEGER_RE.test(quantityText)) {
    return reject('bad-quantity', `quantity is ${quoted(quantityText)}, expected an integer`);
  }
  const quantity = Number(quantityText);
  if (quantity <= 0) return reject('non-positive-quantity', `quantity is ${quantity}, expected at least 1`);
  const code = (fields[at.stock_code] as string).trim();
  if (!PRODUCT_CODE_RE.test(code)) {
    return reject('non-product-code', `stock_code is ${quoted(code)}, expected five digits plus up to two letters`);
  }
  const dateText = (fields[at.invoice_date] as string).trim();
  const atMinute = parseLocalMinute(dateText);
  if (atMinute === null) {
    return reject('bad-date', `invoice_date is ${quoted(dateText)}, expected a date-time "YYYY-MM-DD HH:MM"`);
  }
  const priceText = (fields[at.unit_price] as string).trim();
  const unitPrice = PRICE_RE.test(priceText) ? Number(priceText) : Number.NaN;
  if (!(unitPrice >= 0)) return reject('bad-price', `unit_price is ${quoted(priceText)}, expected a number ≥ 0`);
  const customerId = (fields[at.customer_id] as string).trim();
  if (customerId === '') return reject('missing-customer', 'customer_id is empty (an anonymous sale)');
  return {
    ok: true,
    value: {
      invoice,
      stockCode: code.toUpperCase(),
      description: (fields[at.description] as string).trim(),
      quantity,
      atMinute,
      unitPrice,
      customerId,
      country: (fields[at.country] as string).trim(),
    },
  };
}
