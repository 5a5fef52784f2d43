import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../shared/synth/csv.ts';
import { buildCustomerTask, inHoldout } from './retail-customers.ts';

const HEADER = 'invoice,stock_code,description,quantity,invoice_date,unit_price,customer_id,country';

describe('the retail customer task', () => {
  it('computes recency, tenure, invoices, lines, items, spend, basket, uk and the label exactly', () => {
    const lines = parseCsv(
      [
        HEADER,
        '1,85123A,A,2,2011-01-10 10:00,2.50,100,United Kingdom',
        '1,85123a,A,1,2011-01-10 10:00,2.50,100,United Kingdom',
        '2,22000,B,10,2011-06-20 09:30,1.00,100,United Kingdom',
        '3,22000,B,1,2011-08-01 12:00,1.00,100,United Kingdom',
        'C4,22000,B,-1,2011-06-21 12:00,1.00,100,United Kingdom',
        '5,POST,postage,1,2011-06-21 12:00,18.00,100,United Kingdom',
        '6,22000,B,3,2011-03-01 08:00,2.00,200,France',
        '7,22000,B,3,2011-03-02 08:00,2.00,,France',
        '8,22000,B,0,2011-03-02 08:00,2.00,200,France',
        '9,22000,B,1,2011-08-02 08:00,2.00,300,France',
      ].join('\n'),
    );
    const task = buildCustomerTask(lines, 'any');
    const rows = [...task.train, ...task.holdout].sort((a, b) => (a[1] as number) - (b[1] as number));
    // Whole days to 1 July 00:00, rounded down; 85123a and 85123A are one item. Customer 300 buys
    // only after the cut-off: no row. 200: one invoice on 1 March.
    expect(rows).toEqual([
      [121, 121, 1, 1, 1, 6, 6, '0', '0'],
      [10, 171, 2, 3, 2, 17.5, 8.75, '1', '1'],
    ]);
    expect(task.rejected).toEqual({ cancellation: 1, 'not a product code': 1, 'no customer id': 1, 'quantity ≤ 0': 1 });
    expect(task.linesUsed).toBe(6);
  });

  it('splits by a public hash of the customer id, about 70/30', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `c${i}`);
    const share = ids.filter((id) => inHoldout('hushpoint', id)).length / ids.length;
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect(inHoldout('hushpoint', 'c1')).toBe(inHoldout('hushpoint', 'c1'));
  });
});
