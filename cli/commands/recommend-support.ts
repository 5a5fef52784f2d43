import { existsSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { numberOption, usageError, type CliIo, type OptionValues } from '../../shared/cli/command.ts';
import { AppError, EXIT, isAppError } from '../../shared/errors.ts';
import { readPosFile } from '../../shared/recommend/adapters/pos-file.ts';
import { parsePrivateKey, parsePublicKey } from '../../shared/recommend/adapters/model-signing.ts';
import {
  buildCatalog,
  identityLink,
  parseLocalMinute,
  PRODUCT_CODE_RE,
  splitCsvLine,
  type AcceptedLine,
  type ImportReport,
  type ItemCatalog,
  type RejectedLine,
} from '../../shared/recommend/mod.ts';
import { writeFileAtomic } from '../../shared/recommend/adapters/model-file.ts';

/**
 * What the `hushpoint recommend` commands share: reading purchase files through the importer,
 * the public catalog, dates, keys, and turning data errors into exit code 65.
 */

const DATA_CODES = new Set(['RECO_BAD_INPUT', 'RECO_STATS_MISMATCH', 'RECO_MODEL_INVALID', 'RECO_MODEL_SIGNATURE']);

/** Runs a command body; bad data (a file, a model, a key) is reported on stderr with exit code 65. */
export async function withDataErrors(io: CliIo, path: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (isAppError(error) && DATA_CODES.has(error.code)) {
      io.err(`${path}: ${error.code}: ${error.message}`);
      return EXIT.DATA;
    }
    throw error;
  }
}

export interface LoadedPurchases {
  readonly lines: readonly AcceptedLine[];
  readonly reports: readonly ImportReport[];
  /** Per file, in the order given. */
  readonly perFile: readonly (readonly AcceptedLine[])[];
  readonly rejected: readonly (RejectedLine & { readonly source: string })[];
}

/** Reads every file through the importer (every customer id is its own shopper). */
export async function loadPurchases(paths: readonly string[], keepRejected: boolean): Promise<LoadedPurchases> {
  const perFile: AcceptedLine[][] = [];
  const reports: ImportReport[] = [];
  const rejected: (RejectedLine & { source: string })[] = [];
  for (const path of paths) {
    const result = await readPosFile(path, { link: identityLink, keepRejected });
    perFile.push([...result.accepted]);
    reports.push(result.report);
    for (const r of result.rejected) rejected.push({ ...r, source: path });
    if (result.report.accepted === 0) {
      throw new AppError(
        'RECO_BAD_INPUT',
        `${path} has no usable purchase line (${result.report.rejected} rejected: ${summariseReasons(result.report)})`,
      );
    }
  }
  return { lines: perFile.flat(), reports, perFile, rejected };
}

export function summariseReasons(report: ImportReport): string {
  const parts = Object.entries(report.byReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** The rejected lines as CSV (file,line,reason,message) for --rejects. */
export function writeRejects(path: string, loaded: LoadedPurchases): void {
  const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  const rows = [
    'file,line,reason,message',
    ...loaded.rejected.map((r) => `${quote(r.source)},${r.line},${r.reason},${quote(r.message)}`),
  ];
  writeFileAtomic(path, `${rows.join('\n')}\n`);
}

/**
 * The public catalog: a file given with --catalog (one stock code per line, or a CSV with a
 * stock_code column), or else the product codes of the purchase files — valid only where the
 * product list is public anyway (a store's catalog), which the report states.
 */
export function loadCatalog(
  path: string | undefined,
  lines: readonly AcceptedLine[],
): { catalog: ItemCatalog; source: string } {
  if (path === undefined) {
    return {
      catalog: buildCatalog([...new Set(lines.map((l) => l.stockCode))].sort()),
      source: 'the product codes of the purchase files (assumed public: the store catalog)',
    };
  }
  if (!existsSync(path)) throw new AppError('RECO_BAD_INPUT', `Catalog file "${path}" does not exist`);
  const rows = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = splitCsvLine(rows[0] ?? '') ?? [];
  const column = header.map((h) => h.trim().toLowerCase()).indexOf('stock_code');
  const codes: string[] = [];
  rows.slice(column >= 0 ? 1 : 0).forEach((row, i) => {
    const fields = splitCsvLine(row);
    const code = (column >= 0 ? fields?.[column] : row)?.trim() ?? '';
    if (!PRODUCT_CODE_RE.test(code)) {
      throw new AppError(
        'RECO_BAD_INPUT',
        `Catalog file "${path}" line ${i + (column >= 0 ? 2 : 1)} is ${JSON.stringify(code)}, expected a product code`,
      );
    }
    codes.push(code.toUpperCase());
  });
  if (codes.length === 0) throw new AppError('RECO_BAD_INPUT', `Catalog file "${path}" lists no product codes`);
  return { catalog: buildCatalog(codes), source: path };
}

/** A --from/--until/--split-at date "YYYY-MM-DD" as a local minute (midnight starting that day). */
export function dateOption(values: OptionValues, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const minute = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? parseLocalMinute(`${raw} 00:00`) : null;
  if (minute === null) throw usageError(`--${name} is "${String(raw)}", expected a date YYYY-MM-DD`);
  return minute;
}

export function epsilonDelta(values: OptionValues): { epsilon: number; delta: number } {
  const raw = values.epsilon;
  if (raw === undefined) throw usageError('--epsilon is required: the privacy loss ε > 0 for the whole fit period');
  const epsilon = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(epsilon) || epsilon <= 0 || epsilon > 100) {
    throw usageError(`--epsilon is "${String(raw)}", expected a number > 0 (and at most 100)`);
  }
  const delta = numberOption(values, 'delta', { min: 1e-15, max: 0.01 });
  return { epsilon, delta };
}

export function readPrivateKey(path: string): KeyObject {
  if (!existsSync(path)) throw new AppError('RECO_MODEL_SIGNATURE', `Signing key file "${path}" does not exist`);
  return parsePrivateKey(readFileSync(path, 'utf8'), `Signing key file "${path}"`);
}

export function readPublicKey(path: string): KeyObject {
  if (!existsSync(path)) {
    throw new AppError(
      'RECO_MODEL_SIGNATURE',
      `Public key file "${path}" does not exist, expected the PEM public key of the key that signed the model (--public-key)`,
    );
  }
  return parsePublicKey(readFileSync(path, 'utf8'), `Public key file "${path}"`);
}

export function stringList(values: OptionValues, name: string): string[] {
  const raw = values[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String).filter((s) => s !== '');
}

export function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}
