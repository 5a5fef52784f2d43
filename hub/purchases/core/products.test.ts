import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors.ts';
import { parseProducts, UNCATEGORISED } from './products.ts';

function problem(text: string): string {
  try {
    parseProducts(text, 'products.csv');
  } catch (error) {
    if (isAppError(error, 'CFG_INVALID')) return error.message;
    throw error;
  }
  return 'no error';
}

describe('products file', () => {
  it('maps stock codes (any case) to offer categories; unknown codes are uncategorised', () => {
    const products = parseProducts(
      '\uFEFFStockCode,Description,Category\r\n85123a,"HEART, WHITE",home-decor\n22423,CAKESTAND,kitchen\n\n',
      'products.csv',
    );
    expect(products.products).toBe(2);
    expect(products.categoryOf('85123A')).toBe('home-decor');
    expect(products.categoryOf('22423')).toBe('kitchen');
    expect(products.categoryOf('99999')).toBe(UNCATEGORISED);
  });

  it('names the line, the value and what was expected for every bad line', () => {
    expect(problem('code,cat\n')).toMatch(
      /^products\.csv:1 is the header "code,cat", expected columns stock_code and category/,
    );
    expect(problem('stock_code,category\nPOST,postage\n')).toMatch(
      /^products\.csv:2 stock_code is "POST", expected five digits plus up to two letters/,
    );
    expect(problem('stock_code,category\n22423,Kitchen Ware\n')).toMatch(
      /^products\.csv:2 category is "Kitchen Ware", expected lower case letters/,
    );
    expect(problem('stock_code,category\n22423\n')).toMatch(/^products\.csv:2 has 1 fields, expected 2/);
    expect(problem('stock_code,category\n22423,kitchen\n22423,garden\n')).toMatch(
      /^products\.csv:3 stock_code 22423 is "garden" here and "kitchen" before/,
    );
    expect(problem('stock_code,category\n"22423,kitchen\n')).toMatch(
      /^products\.csv:2 has a quoted field that is not closed/,
    );
    expect(problem('\n\n')).toMatch(/products\.csv is empty/);
  });
});
