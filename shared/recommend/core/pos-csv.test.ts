import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import {
  daysFromCivil,
  formatLocalMinute,
  parseLocalMinute,
  parsePosHeader,
  parsePosLine,
  splitCsvLine,
  type PosLineResult,
} from './pos-csv.ts';

const HEADER = parsePosHeader(
  '"invoice","stock_code","description","quantity","invoice_date","unit_price","customer_id","country"',
);
const line = (fields: Partial<Record<string, string>>): string =>
  [
    fields.invoice ?? '536365',
    fields.code ?? '85123a',
    fields.description ?? '"WHITE HANGING HEART, T-LIGHT"',
    fields.quantity ?? '6',
    fields.date ?? '"2010-12-01 08:26"',
    fields.price ?? '2.55',
    fields.customer ?? '"17850"',
    'United Kingdom',
  ].join(',');

function rejected(result: PosLineResult): { reason: string; message: string } {
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

describe('splitCsvLine', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['"a,b",c', ['a,b', 'c']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
    ['a,,', ['a', '', '']],
    ['""', ['']],
  ])('splits %s', (text, fields) => {
    expect(splitCsvLine(text)).toEqual(fields);
  });

  it.each(['"open', '"a"b,c', 'a"b,c'])('refuses the broken quoting %s', (text) => {
    expect(splitCsvLine(text)).toBeNull();
  });
});

describe('parsePosHeader', () => {
  it('finds the columns in any order and case, ignoring extra ones', () => {
    const h = parsePosHeader(
      '\uFEFFCountry,customer_id,extra,unit_price,invoice_date,quantity,description,stock_code,invoice',
    );
    expect(h.index.invoice).toBe(8);
    expect(h.index.country).toBe(0);
    expect(h.fields).toBe(9);
  });

  it('names every missing column and what it found', () => {
    try {
      parsePosHeader('invoice,stock_code,quantity,price', 'pos.csv');
      throw new Error('no error');
    } catch (error) {
      expect(isAppError(error, 'RECO_BAD_INPUT')).toBe(true);
      expect((error as Error).message).toBe(
        'The header of pos.csv has no columns description, invoice_date, unit_price, customer_id, country: found "invoice", "stock_code", "quantity", "price", expected invoice, stock_code, description, quantity, invoice_date, unit_price, customer_id, country',
      );
    }
  });
});

describe('parsePosLine', () => {
  it('accepts a clean line, upper-casing the product code', () => {
    const result = parsePosLine(HEADER, line({}));
    expect(result).toEqual({
      ok: true,
      value: {
        invoice: '536365',
        stockCode: '85123A',
        description: 'WHITE HANGING HEART, T-LIGHT',
        quantity: 6,
        atMinute: parseLocalMinute('2010-12-01 08:26'),
        unitPrice: 2.55,
        customerId: '17850',
        country: 'United Kingdom',
      },
    });
  });

  it.each([
    [{ invoice: 'C536379' }, 'cancellation', 'invoice "C536379" starts with "C" (a cancelled sale)'],
    [{ quantity: '2.5' }, 'bad-quantity', 'quantity is "2.5", expected an integer'],
    [{ quantity: '-3' }, 'non-positive-quantity', 'quantity is -3, expected at least 1'],
    [{ quantity: '0' }, 'non-positive-quantity', 'quantity is 0, expected at least 1'],
    [{ code: 'POST' }, 'non-product-code', 'stock_code is "POST", expected five digits plus up to two letters'],
    [
      { code: 'gift_0001_20' },
      'non-product-code',
      'stock_code is "gift_0001_20", expected five digits plus up to two letters',
    ],
    [{ code: '8512' }, 'non-product-code', 'stock_code is "8512", expected five digits plus up to two letters'],
    [
      { date: '2011-02-29 10:00' },
      'bad-date',
      'invoice_date is "2011-02-29 10:00", expected a date-time "YYYY-MM-DD HH:MM"',
    ],
    [
      { date: '12/1/2010 8:26' },
      'bad-date',
      'invoice_date is "12/1/2010 8:26", expected a date-time "YYYY-MM-DD HH:MM"',
    ],
    [{ price: '-11062.06' }, 'bad-price', 'unit_price is "-11062.06", expected a number ≥ 0'],
    [{ price: 'abc' }, 'bad-price', 'unit_price is "abc", expected a number ≥ 0'],
    [{ customer: '' }, 'missing-customer', 'customer_id is empty (an anonymous sale)'],
    [{ invoice: '' }, 'malformed-line', 'invoice is empty, expected an invoice number'],
  ])('rejects %j as %s', (fields, reason, message) => {
    expect(rejected(parsePosLine(HEADER, line(fields)))).toEqual({ ok: false, reason, message });
  });

  it('rejects a line with too few fields or a broken quote as malformed', () => {
    expect(rejected(parsePosLine(HEADER, '536365,85123A,6')).message).toBe('has 3 fields, expected 8 as in the header');
    expect(rejected(parsePosLine(HEADER, line({ description: '"OPEN QUOTE' }))).reason).toBe('malformed-line');
  });

  it('gives the first reason in the documented order (a cancelled anonymous return is a cancellation)', () => {
    expect(rejected(parsePosLine(HEADER, line({ invoice: 'C1', quantity: '-1', customer: '' }))).reason).toBe(
      'cancellation',
    );
  });
});

describe('local dates', () => {
  it('counts days exactly, leap years included', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1) - daysFromCivil(2000, 2, 28)).toBe(2);
    expect(daysFromCivil(1900 + 200, 3, 1) - daysFromCivil(2100, 2, 28)).toBe(1);
    expect(daysFromCivil(2011, 9, 30)).toBe(Date.UTC(2011, 8, 30) / 86_400_000);
  });

  it('round-trips minutes through the text form', () => {
    for (const text of ['2010-12-01 08:26', '2012-02-29 23:59', '2011-09-30 00:00']) {
      expect(formatLocalMinute(parseLocalMinute(text) as number)).toBe(text);
    }
    expect(parseLocalMinute('2010-12-01T08:26:59')).toBe(parseLocalMinute('2010-12-01 08:26'));
    expect(parseLocalMinute('2010-13-01 08:26')).toBeNull();
    expect(parseLocalMinute('2010-12-01 24:00')).toBeNull();
  });
});
