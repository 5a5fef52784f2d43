import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { importPosLines } from './import.ts';

const HEADER = 'invoice,stock_code,description,quantity,invoice_date,unit_price,customer_id,country';

describe('importPosLines', () => {
  const lines = [
    HEADER,
    '1,10001,A,1,2011-01-01 10:00,1.5,42,UK',
    '1,10001,A,1,2011-01-01 10:00,1.5,42,UK',
    '2,10002,B,2,2011-01-02 10:00,2,43,UK',
    'C3,10001,A,-1,2011-01-03 10:00,1.5,42,UK',
    '4,POST,Postage,1,2011-01-03 10:00,18,42,UK',
    '5,10003,C,1,2011-01-04 10:00,1,,UK',
    '',
    '6,10004,D,1,2011-01-05 10:00,1,99,UK',
  ];
  const link = (id: string): string | null => (id === '99' ? null : `shopper-${id}`);

  it('accepts or rejects every line, with counts that add up and a reason per rejected line', () => {
    const { report, accepted, rejected } = importPosLines(lines, { link, source: 'pos.csv' });
    expect(report.lines).toBe(7);
    expect(report.accepted + report.rejected).toBe(report.lines);
    expect(Object.values(report.byReason).reduce((a, b) => a + b, 0)).toBe(report.rejected);
    expect(accepted.map((l) => [l.line, l.shopperId])).toEqual([
      [2, 'shopper-42'],
      [3, 'shopper-42'],
      [4, 'shopper-43'],
    ]);
    expect(rejected).toEqual([
      { line: 5, reason: 'cancellation', message: 'invoice "C3" starts with "C" (a cancelled sale)' },
      {
        line: 6,
        reason: 'non-product-code',
        message: 'stock_code is "POST", expected five digits plus up to two letters',
      },
      { line: 7, reason: 'missing-customer', message: 'customer_id is empty (an anonymous sale)' },
      { line: 9, reason: 'unknown-customer', message: 'customer_id "99" is not linked to an enrolled shopper' },
    ]);
    expect(report.customers).toBe(2);
    expect(report.products).toBe(2);
  });

  it('gives re-imported lines the same keys, and repeated identical lines distinct ones', () => {
    const first = importPosLines(lines, { link }).accepted.map((l) => l.key);
    const again = importPosLines(lines, { link }).accepted.map((l) => l.key);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    expect(first[0]).not.toBe(first[1]);
  });

  it('refuses an empty file and a header without lines, naming the source', () => {
    expect(() => importPosLines([], { link, source: 'empty.csv' })).toThrow(
      'empty.csv is empty, expected a CSV header and purchase lines',
    );
    try {
      importPosLines([HEADER, ''], { link, source: 'h.csv' });
      throw new Error('no error');
    } catch (error) {
      expect(isAppError(error, 'RECO_BAD_INPUT')).toBe(true);
      expect((error as Error).message).toBe('h.csv has a header but no purchase lines');
    }
  });
});
