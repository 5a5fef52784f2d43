import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../errors.ts';
import { PosImporter, type ImporterOptions, type ImportResult } from '../core/import.ts';

/**
 * Reads a POS export (CSV, or gzip-compressed CSV when the name ends in .gz) line by line through
 * the pure importer. Nothing is returned until the whole file has been read and checked, so a
 * caller that commits the result commits all of the file or none of it.
 */
export async function readPosFile(path: string, options: Omit<ImporterOptions, 'source'>): Promise<ImportResult> {
  if (!existsSync(path)) throw new AppError('RECO_BAD_INPUT', `Purchase file "${path}" does not exist`);
  if (!statSync(path).isFile()) throw new AppError('RECO_BAD_INPUT', `Purchase file "${path}" is not a file`);
  const importer = new PosImporter({ ...options, source: path });
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const failure = new Promise<never>((_, reject) => {
    const fail = (error: Error): void =>
      reject(new AppError('RECO_BAD_INPUT', `Cannot read "${path}": ${error.message}`, { cause: error }));
    raw.once('error', fail);
    if (input !== raw) input.once('error', fail);
  });
  failure.catch(() => undefined);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const reading = (async () => {
    for await (const line of lines) importer.push(line);
  })();
  try {
    await Promise.race([reading, failure]);
  } finally {
    lines.close();
    raw.destroy();
  }
  return importer.finish();
}
