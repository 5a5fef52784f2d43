/**
 * HQ's storage (SQLite by default, PostgreSQL for a chain) behind one port. See hq-store.ts.
 */
import { assertPrivateFile } from '../../shared/secrets/secret-file.ts';
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { HqConfig } from '../config.schema.ts';
import type { HqStore } from './hq-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';

export type * from './hq-store.ts';
export { QUARANTINE_BODY_BYTES } from './hq-store.ts';
export { openPostgresStore, redactUrl } from './postgres-store.ts';
export { openSqliteStore } from './sqlite-store.ts';
export { normalizeRelease, cellValueRows, type NormalizedRelease } from './core/normalize.ts';
export { sha256Of } from './mismatch.ts';

/** The PostgreSQL URL from its file (it carries the password, so it is never inline in hq.yaml). */
export function readPostgresUrl(file: string): string {
  let text: string;
  assertPrivateFile(file, 'PostgreSQL URL file');
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The PostgreSQL URL file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
  if (!/^postgres(ql)?:\/\//.test(text))
    throw new AppError(
      'CFG_INVALID',
      `The PostgreSQL URL file "${file}" does not hold a postgres:// URL, expected one line postgres://user:password@host:5432/database`,
    );
  return text;
}

/** The store hq.yaml asks for: PostgreSQL when `postgres` is set, else the SQLite file `database`. */
export async function openConfiguredStore(
  config: HqConfig,
  resolvePath: (path: string) => string,
  options: { logger: Logger; readonly?: boolean },
): Promise<HqStore> {
  if (config.postgres !== undefined) {
    return openPostgresStore(readPostgresUrl(resolvePath(config.postgres.urlFile)), {
      poolSize: config.postgres.poolSize,
      logger: options.logger,
    });
  }
  return openSqliteStore(resolvePath(config.database), {
    readonly: options.readonly === true,
    ...(config.databaseMaxMb !== undefined ? { maxBytes: config.databaseMaxMb * 1024 * 1024 } : {}),
  });
}
