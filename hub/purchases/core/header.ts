import { splitCsvLine } from '../../../shared/recommend/mod.ts';

/**
 * The header of a POS export (pure). The recommender's line rules (shared/recommend, docs/recommender.md
 * §1) name the columns invoice, stock_code, description, quantity, invoice_date, unit_price,
 * customer_id, country; a till that exports the UCI Online Retail layout names them InvoiceNo,
 * StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
 * (docs/purchases.md#the-file). Either spelling, in any case and order, is accepted: the UCI names
 * are rewritten to the recommender's before the header is checked.
 */

const UCI_NAMES: Readonly<Record<string, string>> = {
  invoiceno: 'invoice',
  stockcode: 'stock_code',
  description: 'description',
  quantity: 'quantity',
  invoicedate: 'invoice_date',
  unitprice: 'unit_price',
  customerid: 'customer_id',
  country: 'country',
};

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The header line with UCI column names replaced by the recommender's; any other line (a broken
 * one too) is returned as it came, for the recommender's header check to name what is wrong.
 */
export function normaliseHeader(text: string): string {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r$/, '');
  const fields = splitCsvLine(clean);
  if (fields === null) return text;
  let changed = false;
  const names = fields.map((field) => {
    const alias = UCI_NAMES[field.trim().toLowerCase()];
    if (alias === undefined || alias === field.trim().toLowerCase()) return field;
    changed = true;
    return alias;
  });
  return changed ? names.map(csvField).join(',') : text;
}
