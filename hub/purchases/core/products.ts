import { AppError } from '../../../shared/errors.ts';
import { PRODUCT_CODE_RE, splitCsvLine } from '../../../shared/recommend/mod.ts';

/**
 * The products file (pure): which offer category each stock code belongs to, so that offers can
 * use a shopper's POS purchases by category (docs/purchases.md#categories). A CSV with a header
 * naming `stock_code` (or `StockCode`) and `category`, one product a line; other columns are
 * ignored. A category is an offer category name (docs/shopper-api.md: lower case letters, digits
 * and hyphens, at most 64). A code that is not in the file, or a hub without a file, gets
 * UNCATEGORISED, which no offer category matches unless the catalog names it.
 */

export const UNCATEGORISED = 'uncategorised';
/** The offers' category names (docs/shopper-api.md#catalog). */
export const CATEGORY_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

export type CategoryOf = (stockCode: string) => string;

export interface ProductCategories {
  readonly categoryOf: CategoryOf;
  readonly products: number;
}

function problem(source: string, line: number, message: string): AppError {
  return new AppError('CFG_INVALID', `${source}:${line} ${message}`, { details: { line } });
}

/** Parses the products file's text; every bad line is an error naming the line, the value and what was expected. */
export function parseProducts(text: string, source: string): ProductCategories {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const categories = new Map<string, string>();
  let codeAt = -1;
  let categoryAt = -1;
  let width = 0;
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (fields === null) throw problem(source, i + 1, 'has a quoted field that is not closed, expected a CSV line');
    if (codeAt < 0) {
      const names = fields.map((f) => f.trim().toLowerCase().replace(/_/g, ''));
      codeAt = names.indexOf('stockcode');
      categoryAt = names.indexOf('category');
      width = fields.length;
      if (codeAt < 0 || categoryAt < 0)
        throw problem(
          source,
          i + 1,
          `is the header ${JSON.stringify(line.slice(0, 80))}, expected columns stock_code and category`,
        );
      continue;
    }
    if (fields.length !== width)
      throw problem(source, i + 1, `has ${fields.length} fields, expected ${width} as in the header`);
    const code = (fields[codeAt] as string).trim();
    const category = (fields[categoryAt] as string).trim();
    if (!PRODUCT_CODE_RE.test(code))
      throw problem(
        source,
        i + 1,
        `stock_code is ${JSON.stringify(code)}, expected five digits plus up to two letters`,
      );
    if (!CATEGORY_RE.test(category))
      throw problem(
        source,
        i + 1,
        `category is ${JSON.stringify(category)}, expected lower case letters, digits and hyphens (at most 64)`,
      );
    const key = code.toUpperCase();
    const earlier = categories.get(key);
    if (earlier !== undefined && earlier !== category)
      throw problem(
        source,
        i + 1,
        `stock_code ${key} is "${category}" here and "${earlier}" before, expected one category`,
      );
    categories.set(key, category);
  }
  if (codeAt < 0) throw new AppError('CFG_INVALID', `${source} is empty, expected a header stock_code,category`);
  return { categoryOf: (code) => categories.get(code) ?? UNCATEGORISED, products: categories.size };
}

/** No products file: every purchase is UNCATEGORISED. */
export const NO_PRODUCTS: ProductCategories = { categoryOf: () => UNCATEGORISED, products: 0 };
