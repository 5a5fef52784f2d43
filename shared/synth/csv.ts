import { AppError } from '../errors.ts';

/**
 * RFC 4180 CSV, pure: text ↔ header + rows of strings. Quoted fields may hold commas, quotes ("")
 * and line breaks. Errors name the line.
 */

export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function parseCsv(text: string, source = 'CSV'): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') {
      if (field.length > 0) {
        throw new AppError(
          'SYNTH_BAD_VALUE',
          `${source} line ${line}: a quote inside an unquoted field, expected "…" around the whole field`,
        );
      }
      quoted = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      line++;
    } else field += ch;
  }
  if (quoted) throw new AppError('SYNTH_BAD_VALUE', `${source} line ${line}: a quoted field is not closed`);
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...rows] = records;
  if (header === undefined) throw new AppError('SYNTH_BAD_VALUE', `${source} is empty, expected a header line`);
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      throw new AppError(
        'SYNTH_BAD_VALUE',
        `${source} row ${r + 1} has ${row.length} fields, expected ${header.length} (as the header)`,
      );
    }
  });
  return { header, rows };
}

function quote(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((row) => row.map(quote).join(',')).join('\n') + '\n';
}

/** The index of each named column; AppError('SYNTH_MISSING_COLUMN') names a missing one and the header. */
export function columnIndexes(header: readonly string[], names: readonly string[], source = 'CSV'): number[] {
  return names.map((name) => {
    const index = header.indexOf(name);
    if (index < 0) {
      throw new AppError(
        'SYNTH_MISSING_COLUMN',
        `${source} has no column "${name}", expected one of: ${header.join(', ')}`,
      );
    }
    return index;
  });
}
