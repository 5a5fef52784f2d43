import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityLink } from '../core/import.ts';
import { REJECT_REASONS } from '../core/pos-csv.ts';
import { readPosFile } from './pos-file.ts';

const FIXTURE = join(import.meta.dirname, '../../../test/fixtures/online-retail/purchases.csv.gz');

describe('readPosFile on the Online Retail fixture', () => {
  it('reads the gzip file and counts the reasons (test/fixtures/online-retail/README.md)', async () => {
    const { report, accepted } = await readPosFile(FIXTURE, { link: identityLink });
    expect(report.lines).toBe(3461);
    expect(report.accepted).toBe(3306);
    expect(report.byReason).toEqual({
      ...Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])),
      cancellation: 72,
      'non-product-code': 43,
      'missing-customer': 40,
    });
    expect(report.customers).toBe(55);
    expect(accepted.every((l) => /^\d{5}[A-Z]{0,2}$/.test(l.stockCode) && l.quantity > 0)).toBe(true);
  });

  it('refuses a missing file with its path', async () => {
    await expect(readPosFile('/nonexistent/pos.csv', { link: identityLink })).rejects.toThrow(
      'Purchase file "/nonexistent/pos.csv" does not exist',
    );
  });
});
