import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { usageError, type OptionValues } from '../../shared/cli/command.ts';
import { AppError } from '../../shared/errors.ts';
import { parseCsv, type CsvTable } from '../../shared/synth/csv.ts';
import { validateSchema, type ColumnSpec, type SynthSchema } from '../../shared/synth/core/schema.ts';

/**
 * File and option handling of `hushpoint synth` (the edges): reading CSV and schema files,
 * building the public schema from --schema / --bounds / --categorical / --classes, writing
 * outputs atomically (temporary file, then rename).
 */

export function readCsvFile(file: string, what: string): CsvTable {
  if (!existsSync(file)) throw new AppError('SYNTH_MISSING_FILE', `${what} ${file} does not exist`);
  return parseCsv(readFileSync(file, 'utf8'), file);
}

export function writeFileAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function list(values: OptionValues, name: string): string[] {
  const raw = values[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(';')).filter((v) => v.trim() !== '');
}

/** "name=lo:hi" or "name=lo:hi:log". */
function parseBound(text: string): [string, Omit<Extract<ColumnSpec, { kind: 'numeric' }>, 'name'>] {
  const match = /^([^=]+)=(-?[\d.eE+-]+):(-?[\d.eE+-]+)(?::(log|linear))?$/.exec(text.trim());
  const lo = Number(match?.[2]);
  const hi = Number(match?.[3]);
  if (match === null || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw usageError(`--bounds "${text}" is not NAME=LO:HI or NAME=LO:HI:log, e.g. spend=0:50000:log`);
  }
  return [
    (match[1] as string).trim(),
    { kind: 'numeric', lo, hi, ...(match[4] === 'log' ? { transform: 'log1p' as const } : {}) },
  ];
}

/** "name=a|b|c". */
function parseCategories(text: string, option: string): [string, string[]] {
  const [name, rest] = text.split('=', 2);
  const categories = (rest ?? '').split('|').map((c) => c.trim());
  if (name === undefined || name.trim() === '' || categories.length < 2 || categories.some((c) => c === '')) {
    throw usageError(`--${option} "${text}" is not NAME=A|B[|C…], e.g. country=uk|other`);
  }
  return [name.trim(), categories];
}

function readSchemaFile(file: string): SynthSchema {
  if (!existsSync(file)) throw new AppError('CFG_UNREADABLE', `schema file ${file} does not exist`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SynthSchema;
  } catch (error) {
    throw new AppError('CFG_UNREADABLE', `schema file ${file} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * The public schema for a header: from --schema FILE (its columns reordered to the header), or
 * built from options: every column numeric with --bounds, except --categorical ones and the
 * label (classes from --classes, default 0|1). Columns without stated bounds are an error: bounds
 * read from the data would not be private.
 */
export function schemaFor(header: readonly string[], label: string, values: OptionValues): SynthSchema {
  if (!header.includes(label)) {
    throw new AppError(
      'SYNTH_MISSING_COLUMN',
      `the label column "${label}" is not in the input, expected one of: ${header.join(', ')}`,
    );
  }
  const schemaFile = values.schema;
  let byName: Map<string, ColumnSpec>;
  if (typeof schemaFile === 'string') {
    const file = readSchemaFile(schemaFile);
    if (!Array.isArray(file.columns))
      throw new AppError('SYNTH_BAD_SCHEMA', `schema file ${schemaFile} has no "columns" list`);
    byName = new Map(file.columns.map((c) => [c.name, c]));
    if (file.label !== undefined && file.label !== label) {
      throw new AppError(
        'SYNTH_BAD_SCHEMA',
        `schema file ${schemaFile} names the label "${file.label}", but --label is "${label}"`,
      );
    }
  } else {
    byName = new Map();
    for (const text of list(values, 'bounds')) {
      const [name, spec] = parseBound(text);
      byName.set(name, { name, ...spec });
    }
    for (const text of list(values, 'categorical')) {
      const [name, categories] = parseCategories(text, 'categorical');
      byName.set(name, { name, kind: 'categorical', categories });
    }
    const classes = typeof values.classes === 'string' ? values.classes : '0|1';
    byName.set(label, {
      name: label,
      kind: 'categorical',
      categories: parseCategories(`${label}=${classes}`, 'classes')[1],
    });
  }
  const unknown = [...byName.keys()].filter((name) => !header.includes(name));
  if (unknown.length > 0) {
    throw new AppError(
      'SYNTH_MISSING_COLUMN',
      `the input has no column "${unknown[0]}", expected one of: ${header.join(', ')}`,
    );
  }
  const missing = header.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw usageError(
      `column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} need${missing.length > 1 ? '' : 's'} public bounds: give --bounds NAME=LO:HI[:log] (or --categorical NAME=A|B, or a --schema file); bounds read from the data would not be private`,
    );
  }
  return validateSchema({ label, columns: header.map((name) => byName.get(name) as ColumnSpec) });
}

/** Rows of a CSV table in schema column order (the schema follows the header, so this is the identity check). */
export function rowsInSchemaOrder(table: CsvTable, schema: SynthSchema, what: string): string[][] {
  const at = schema.columns.map((c) => table.header.indexOf(c.name));
  const missing = at.findIndex((i) => i < 0);
  if (missing >= 0) {
    throw new AppError(
      'SYNTH_MISSING_COLUMN',
      `${what} has no column "${schema.columns[missing]?.name}", expected the columns ${schema.columns.map((c) => c.name).join(', ')}`,
    );
  }
  return table.rows.map((row) => at.map((i) => row[i] as string));
}

export function epsilonOption(values: OptionValues, name = 'epsilon', fallback?: number): number {
  const raw = values[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  const x = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (raw === undefined) throw usageError(`--${name} is required: a number > 0, e.g. 1`);
  if (!(Number.isFinite(x) && x > 0)) throw usageError(`--${name} is "${String(raw)}", expected a number > 0`);
  return x;
}

export function deltaOption(values: OptionValues, fallback?: number): number {
  const raw = values.delta;
  if (raw === undefined && fallback !== undefined) return fallback;
  if (raw === undefined) throw usageError('--delta is required: a number in (0, 1), e.g. 1e-6');
  const x = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!(x > 0 && x < 1)) throw usageError(`--delta is "${String(raw)}", expected a number in (0, 1)`);
  return x;
}
