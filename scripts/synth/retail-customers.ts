import { createHash } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import { columnIndexes, type CsvTable } from '../../shared/synth/csv.ts';
import type { SynthSchema } from '../../shared/synth/core/schema.ts';

/**
 * The retail customer task (docs/synthetic-data.md §6), pure: invoice lines of the UCI Online
 * Retail data (Chen, Sain, Guo 2012; doi 10.24432/C5BW33, CC BY 4.0) → one row per customer with
 * features from 1 Dec 2010 – 30 Jun 2011 and the label "buys again in 1 Jul – 30 Sep 2011".
 *
 * Cleaning (each rejected line counted by reason): no customer id, a cancellation (invoice
 * starting with C), quantity ≤ 0, unit price ≤ 0, a non-product stock code (not five digits plus
 * up to two letters), an unparseable date, a date outside Dec 2010 – Sep 2011.
 * Features at the cut-off 1 Jul 2011: recency and tenure (days since the last and the first
 * invoice), invoices, lines, distinct items, spend (£, Σ quantity × unit price), mean basket
 * (spend ÷ invoices) and uk (1 if the customer's lines are from the United Kingdom). Customers
 * with no clean line before the cut-off are not rows. Split: a customer is in the holdout when
 * SHA-256(seed:customer) falls in the top 30% (a public, data-independent rule).
 */

export const CUSTOMER_COLUMNS = [
  'recency',
  'tenure',
  'invoices',
  'lines',
  'items',
  'spend',
  'basket',
  'uk',
  'buys_again',
] as const;

/** Public bounds, chosen from the task's definition and the trade (never from the rows). */
export const CUSTOMER_SCHEMA: SynthSchema = {
  label: 'buys_again',
  columns: [
    { name: 'recency', kind: 'numeric', lo: 0, hi: 212, decimals: 0 },
    { name: 'tenure', kind: 'numeric', lo: 0, hi: 212, decimals: 0 },
    { name: 'invoices', kind: 'numeric', lo: 1, hi: 200, transform: 'log1p', decimals: 0 },
    { name: 'lines', kind: 'numeric', lo: 1, hi: 5000, transform: 'log1p', decimals: 0 },
    { name: 'items', kind: 'numeric', lo: 1, hi: 2000, transform: 'log1p', decimals: 0 },
    { name: 'spend', kind: 'numeric', lo: 0, hi: 100000, transform: 'log1p', decimals: 2 },
    { name: 'basket', kind: 'numeric', lo: 0, hi: 10000, transform: 'log1p', decimals: 2 },
    { name: 'uk', kind: 'categorical', categories: ['0', '1'] },
    { name: 'buys_again', kind: 'categorical', categories: ['0', '1'] },
  ],
};

const CUTOFF = Date.UTC(2011, 6, 1);
const START = Date.UTC(2010, 11, 1);
const END = Date.UTC(2011, 9, 1);
const DAY = 86_400_000;
const PRODUCT = /^\d{5}[A-Za-z]{0,2}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;

interface Customer {
  first: number;
  last: number;
  invoices: Set<string>;
  items: Set<string>;
  lines: number;
  spend: number;
  uk: boolean;
  later: boolean;
}

export interface CustomerTask {
  readonly header: readonly string[];
  readonly train: (readonly (string | number)[])[];
  readonly holdout: (readonly (string | number)[])[];
  readonly linesRead: number;
  readonly linesUsed: number;
  readonly rejected: Readonly<Record<string, number>>;
}

function rejectReason(fields: readonly string[], at: readonly number[]): string | number {
  const [invoice, code, quantity, date, price, customer] = at.map((i) => fields[i] ?? '') as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (customer.trim() === '') return 'no customer id';
  if (invoice.startsWith('C')) return 'cancellation';
  if (!(Number(quantity) > 0)) return 'quantity ≤ 0';
  if (!(Number(price) > 0)) return 'unit price ≤ 0';
  if (!PRODUCT.test(code.trim())) return 'not a product code';
  const m = DATE.exec(date.trim());
  if (m === null) return 'unparseable date';
  const time = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (!(time >= START && time < END)) return 'date outside Dec 2010 – Sep 2011';
  return time;
}

export function inHoldout(seed: string, customer: string): boolean {
  const digest = createHash('sha256').update(`${seed}:${customer}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 >= 0.7;
}

export function buildCustomerTask(lines: CsvTable, seed: string): CustomerTask {
  const at = columnIndexes(
    lines.header,
    ['invoice', 'stock_code', 'quantity', 'invoice_date', 'unit_price', 'customer_id', 'country'],
    'the invoice lines',
  );
  const customers = new Map<string, Customer>();
  const rejected: Record<string, number> = {};
  let used = 0;
  for (const fields of lines.rows) {
    const reason = rejectReason(fields, at);
    if (typeof reason === 'string') {
      rejected[reason] = (rejected[reason] ?? 0) + 1;
      continue;
    }
    used++;
    const id = (fields[at[5] as number] as string).trim();
    const c = customers.get(id) ?? {
      first: Number.POSITIVE_INFINITY,
      last: Number.NEGATIVE_INFINITY,
      invoices: new Set<string>(),
      items: new Set<string>(),
      lines: 0,
      spend: 0,
      uk: false,
      later: false,
    };
    customers.set(id, c);
    if (reason >= CUTOFF) {
      c.later = true;
      continue;
    }
    c.first = Math.min(c.first, reason);
    c.last = Math.max(c.last, reason);
    c.invoices.add(fields[at[0] as number] as string);
    c.items.add((fields[at[1] as number] as string).trim().toUpperCase());
    c.lines++;
    c.spend += Number(fields[at[2] as number]) * Number(fields[at[4] as number]);
    c.uk = (fields[at[6] as number] as string).trim() === 'United Kingdom';
  }
  if (used === 0)
    throw new AppError('SYNTH_BAD_VALUE', 'no clean invoice line in the input, expected UCI Online Retail lines');
  const train: (string | number)[][] = [];
  const holdout: (string | number)[][] = [];
  for (const [id, c] of [...customers].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (c.lines === 0) continue;
    const spend = Math.round(c.spend * 100) / 100;
    const row = [
      Math.floor((CUTOFF - c.last) / DAY),
      Math.floor((CUTOFF - c.first) / DAY),
      c.invoices.size,
      c.lines,
      c.items.size,
      spend,
      Math.round((spend / c.invoices.size) * 100) / 100,
      c.uk ? '1' : '0',
      c.later ? '1' : '0',
    ];
    (inHoldout(seed, id) ? holdout : train).push(row);
  }
  return { header: CUSTOMER_COLUMNS, train, holdout, linesRead: lines.rows.length, linesUsed: used, rejected };
}
