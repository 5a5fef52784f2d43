import { describe, expect, it } from 'vitest';
import { parsePosHeader } from '../../../shared/recommend/mod.ts';
import { normaliseHeader } from './header.ts';

describe('POS header names', () => {
  it('accepts the UCI layout names in any case and order, as the recommender columns', () => {
    const header = parsePosHeader(
      normaliseHeader(
        '\uFEFF"InvoiceNo","StockCode","Description","Quantity","InvoiceDate","UnitPrice","CustomerID","Country"\r',
      ),
    );
    expect(header.index).toEqual({
      invoice: 0,
      stock_code: 1,
      description: 2,
      quantity: 3,
      invoice_date: 4,
      unit_price: 5,
      customer_id: 6,
      country: 7,
    });
    expect(
      parsePosHeader(
        normaliseHeader('country,CUSTOMERID,unitprice,invoicedate,quantity,description,stockcode,invoiceno,extra'),
      ).index.invoice,
    ).toBe(7);
  });

  it('leaves the recommender names and broken lines as they are, for its check to name the problem', () => {
    const own = 'invoice,stock_code,description,quantity,invoice_date,unit_price,customer_id,country';
    expect(normaliseHeader(own)).toBe(own);
    expect(normaliseHeader('"InvoiceNo,StockCode')).toBe('"InvoiceNo,StockCode');
    expect(() => parsePosHeader(normaliseHeader('InvoiceNo,StockCode,Quantity'), 'x.csv')).toThrow(
      /The header of x\.csv has no columns description, invoice_date, unit_price, customer_id, country/,
    );
  });
});
