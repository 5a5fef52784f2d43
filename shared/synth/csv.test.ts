import { describe, expect, it } from 'vitest';
import { columnIndexes, formatCsv, parseCsv } from './csv.ts';

describe('CSV', () => {
  it('parses quotes, commas, doubled quotes, CRLF, a BOM and a missing final newline', () => {
    const text = '\ufeffa,"b, c",d\r\n1,"say ""hi""",3\r\n"x\ny",,z';
    expect(parseCsv(text)).toEqual({
      header: ['a', 'b, c', 'd'],
      rows: [
        ['1', 'say "hi"', '3'],
        ['x\ny', '', 'z'],
      ],
    });
  });

  it('round-trips what it formats', () => {
    const header = ['name', 'value'];
    const rows = [
      ['plain', 1.5],
      ['with, comma', 'quote "q"'],
    ];
    expect(parseCsv(formatCsv(header, rows)).rows).toEqual([
      ['plain', '1.5'],
      ['with, comma', 'quote "q"'],
    ]);
  });

  it('names the line of a ragged row, an open quote and a missing column', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'f.csv')).toThrow('f.csv row 2 has 1 fields, expected 2 (as the header)');
    expect(() => parseCsv('a,b\n"1,2\n', 'f.csv')).toThrow('f.csv line 3: a quoted field is not closed');
    expect(() => columnIndexes(['a', 'b'], ['c'], 'f.csv')).toThrow('f.csv has no column "c", expected one of: a, b');
  });
});
