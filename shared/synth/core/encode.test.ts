import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { encodeRows, makeLayout, numericFromUnit, rowNormSquared, unitValue } from './encode.ts';
import type { NumericColumn } from './schema.ts';
import { TOY_SCHEMA, toyRows } from '../../testing/synth-tables.ts';

describe('encoding records with a stated bound', () => {
  it('lays out centred, one-hot, label and count coordinates, with R² exact', () => {
    const layout = makeLayout(TOY_SCHEMA, 1024);
    // a, b, c, flag: centred (4 × 512²); colour: one-hot (1024²); y: label; count: 1024².
    expect(layout.dim).toBe(4 + 3 + 1 + 1);
    expect(layout.featureIndexes).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(layout.labelIndexes).toEqual([7]);
    expect(layout.featureNormSquared).toBe(4n * 512n ** 2n + 1024n ** 2n + 1024n ** 2n);
    expect(layout.normSquared).toBe(layout.featureNormSquared + 512n ** 2n);
  });

  it('keeps every record, clipped or not, within R² (feature part within the feature bound)', () => {
    const seed = 11;
    const rows = toyRows(new SeededRandomSource(seed), 500);
    rows.push([1e9, -5, 99, 'yes', 'blue', '1'], [-1e9, 1e9, -99, 'no', 'red', '0']);
    const layout = makeLayout(TOY_SCHEMA);
    const table = encodeRows(layout, rows);
    for (let r = 0; r < table.rows; r++) {
      expect(rowNormSquared(table, r) <= layout.normSquared, `seed ${seed} row ${r}`).toBe(true);
      let features = 0n;
      for (const j of [...layout.featureIndexes, layout.countIndex]) {
        const v = BigInt(table.values[r * layout.dim + j] as number);
        features += v * v;
      }
      expect(features <= layout.featureNormSquared).toBe(true);
    }
    expect(Array.from(table.values.subarray(500 * layout.dim, 501 * layout.dim))).toEqual([
      512, -512, 512, 512, 0, 0, 1024, 512, 1024,
    ]);
  });

  it('maps numbers to [0, 1] and back (log1p columns through ln(1 + x)), rounding to the stated decimals', () => {
    const log: NumericColumn = { name: 'b', kind: 'numeric', lo: 0, hi: 1000, transform: 'log1p', decimals: 2 };
    expect(unitValue(log, 0)).toBe(0);
    expect(unitValue(log, 1000)).toBe(1);
    expect(unitValue(log, 5000)).toBe(1);
    expect(numericFromUnit(log, unitValue(log, 31.62))).toBeCloseTo(31.62, 2);
    const linear: NumericColumn = { name: 'a', kind: 'numeric', lo: -10, hi: 10, decimals: 0 };
    expect(unitValue(linear, 0)).toBe(0.5);
    expect(numericFromUnit(linear, 0.76)).toBe(5);
    expect(numericFromUnit(linear, 7)).toBe(10);
  });

  it('rejects a non-numeric value, an unknown category and a short row, naming row, column and value', () => {
    const layout = makeLayout(TOY_SCHEMA);
    const bad = (row: (string | number)[]): string => {
      try {
        encodeRows(layout, [[1, 2, 0, 'no', 'red', '0'], row]);
      } catch (error) {
        expect(isAppError(error, 'SYNTH_BAD_VALUE')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(bad(['abc', 2, 0, 'no', 'red', '0'])).toBe(
      'row 2, column "a" is "abc", expected a number such as 12 or 3.5',
    );
    expect(bad([1, 2, 0, 'no', 'purple', '0'])).toBe(
      'row 2, column "colour" is "purple", expected one of: red, green, blue',
    );
    expect(bad([1, 2, 0])).toMatch(/^row 2 has 3 values, expected 6 \(a, b, c, flag, colour, y\)$/);
  });

  it('rejects an inconsistent schema', () => {
    expect(() => makeLayout({ columns: [{ name: 'a', kind: 'numeric', lo: 1, hi: 1 }] })).toThrow(
      'column "a" has bounds [1, 1], expected finite lo < hi',
    );
    expect(() => makeLayout({ label: 'z', columns: [{ name: 'a', kind: 'numeric', lo: 0, hi: 1 }] })).toThrow(
      'label column "z" is not in the schema, expected one of: a',
    );
    expect(() => makeLayout(TOY_SCHEMA, 1000)).toThrow('scale is 1000, expected a power of two 2..2^20');
  });
});
