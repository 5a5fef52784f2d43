import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../shared/errors.ts';
import { formatCsv, parseCsv } from '../../shared/synth/csv.ts';
import { buildCustomerTask, CUSTOMER_SCHEMA, type CustomerTask } from './retail-customers.ts';

/**
 * Builds the retail customer task from the invoice lines (docs/synthetic-data.md §6) and writes
 * DIR/train.csv, DIR/holdout.csv and DIR/schema.json (the public bounds), each written to a
 * temporary name and renamed, so a failure leaves no half-written file.
 * Usable as `hushpoint synth retail-task --out DIR` or `npx tsx scripts/synth/retail-task.ts DIR`.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_RETAIL_FILE = join(REPO_ROOT, '..', 'shared', 'data', 'online-retail', 'train.csv.gz');

export function readInvoiceLines(file: string): ReturnType<typeof parseCsv> {
  if (!existsSync(file)) {
    throw new AppError(
      'SYNTH_MISSING_FILE',
      `the invoice file ${file} does not exist, expected the UCI Online Retail lines (train.csv.gz, see docs/synthetic-data.md §6)`,
    );
  }
  const bytes = readFileSync(file);
  const text = file.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return parseCsv(text, file);
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export function writeRetailTask(input: string, outDir: string, seed: string): CustomerTask {
  const task = buildCustomerTask(readInvoiceLines(input), seed);
  mkdirSync(outDir, { recursive: true });
  writeAtomically(join(outDir, 'train.csv'), formatCsv(task.header, task.train));
  writeAtomically(join(outDir, 'holdout.csv'), formatCsv(task.header, task.holdout));
  writeAtomically(join(outDir, 'schema.json'), `${JSON.stringify(CUSTOMER_SCHEMA, null, 2)}\n`);
  return task;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const out = process.argv[2] ?? 'retail-task';
  const task = writeRetailTask(process.argv[3] ?? DEFAULT_RETAIL_FILE, out, 'hushpoint');
  process.stdout.write(`${task.train.length} train and ${task.holdout.length} holdout customers in ${out}\n`);
}
