import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors.ts';
import { makeLocalToUtc } from './local-minute.ts';
import { parseProducts } from './products.ts';
import { PurchaseImport, type PurchaseRow, type ResolveCustomer } from './purchase-import.ts';

const FIXTURE = readFileSync(new URL('../../../test/fixtures/pos-import/export.csv', import.meta.url), 'utf8');
const LINES = FIXTURE.split('\n');

/** Customer ids → pks 1, 2, … in order of first appearance; `unlinked` ids have no shopper. */
function linkAll(unlinked: readonly string[] = []): ResolveCustomer & { seen: string[] } {
  const pks = new Map<string, number>();
  const seen: string[] = [];
  const resolve = (id: string): number | null => {
    seen.push(id);
    if (unlinked.includes(id)) return null;
    if (!pks.has(id)) pks.set(id, pks.size + 1);
    return pks.get(id) as number;
  };
  return Object.assign(resolve, { seen });
}

function run(lines: readonly string[], resolve: ResolveCustomer = linkAll()) {
  const rows: PurchaseRow[] = [];
  const job = new PurchaseImport({
    resolve,
    onRow: (row) => rows.push(row),
    toUtc: makeLocalToUtc('Europe/London'),
    categoryOf: parseProducts('stock_code,category\n85123A,home-decor\n', 'p.csv').categoryOf,
    purchaseId: (key) => `id:${key}`,
    source: 'export.csv',
  });
  for (const line of lines) job.push(line);
  return { summary: job.finish(), rows };
}

describe('POS import core', () => {
  it('counts every reason on the fixture as the independent count says (its README)', () => {
    const { summary, rows } = run(LINES);
    expect(summary).toMatchObject({
      lines: 261,
      accepted: 241,
      rejected: 20,
      shoppers: 17,
      byReason: {
        'malformed-line': 1,
        cancellation: 9,
        'bad-quantity': 1,
        'non-positive-quantity': 2,
        'non-product-code': 3,
        'bad-date': 1,
        'bad-price': 1,
        'missing-customer': 2,
        'unknown-customer': 0,
      },
    });
    expect(summary.samples.cancellation?.map((s) => s.line)).toEqual([143, 156, 237, 238, 239]);
    expect(summary.samples['non-product-code']?.map((s) => s.line)).toEqual([47, 252, 253]);
    expect(summary.samples['bad-date']).toEqual([
      { line: 258, message: 'invoice_date is "2011-02-30 08:26", expected a date-time "YYYY-MM-DD HH:MM"' },
    ]);
    expect(rows).toHaveLength(241);
    const first = rows[0];
    expect(first).toEqual({
      id: 'id:536365|85123A|6|' + String((Date.UTC(2010, 11, 1, 8, 26) / 60_000) | 0) + '|2.55|0',
      shopperPk: 1,
      atMs: Date.UTC(2010, 11, 1, 8, 26),
      localMinute: Date.UTC(2010, 11, 1, 8, 26) / 60_000,
      invoice: '536365',
      sku: '85123A',
      quantity: 6,
      unitPrice: 2.55,
      category: 'home-decor',
    });
    expect(rows[1]?.category).toBe('uncategorised');
  });

  it('gives a repeated line its own id, and the same ids on every run (idempotent re-import)', () => {
    const a = run(LINES).rows.map((r) => r.id);
    const b = run(LINES).rows.map((r) => r.id);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    const repeated = a.filter((id) => id.startsWith('id:536365|84029E|'));
    expect(repeated.map((id) => id.slice(-2))).toEqual(['|0', '|1']);
  });

  it('rejects lines of a customer without a shopper as unknown-customer, never naming the customer', () => {
    const resolve = linkAll(['12583']);
    const { summary, rows } = run(LINES, resolve);
    expect(summary.byReason['unknown-customer']).toBe(19);
    expect(summary.accepted).toBe(241 - 19);
    // 12583's lines are 28–46 (and 47, the POSTAGE line: non-product-code comes first).
    expect(summary.samples['unknown-customer']).toEqual(
      [28, 29, 30, 31, 32].map((line) => ({ line, message: 'customer_id is not linked to an enrolled shopper' })),
    );
    expect(JSON.stringify(summary)).not.toContain('12583');
    expect(rows.every((r) => r.shopperPk > 0)).toBe(true);
  });

  it('never quotes the customer id in a sample, even when a shifted field holds it', () => {
    const header = LINES[0] as string;
    const { summary } = run([
      header,
      '"536365","85123A","HEART",K9Z,"2010-12-01 08:26",2.55,"K9Z","United Kingdom"',
      '"536365","85123A","HEART",6,"2010-12-01 08:26",2.55,"17850","United Kingdom"',
    ]);
    expect(summary.samples['bad-quantity']).toEqual([{ line: 2, message: 'quantity is "…", expected an integer' }]);
  });

  it('refuses a file without header or without lines, and names the missing columns', () => {
    const refused = (lines: string[]): string => {
      try {
        run(lines);
      } catch (error) {
        if (isAppError(error, 'RECO_BAD_INPUT')) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(refused(['', ' '])).toBe('export.csv is empty, expected a CSV header and purchase lines');
    expect(refused([LINES[0] as string, ''])).toBe('export.csv has a header but no purchase lines');
    expect(refused(['InvoiceNo,StockCode', 'x,y'])).toMatch(/The header of export\.csv has no columns description/);
  });
});
