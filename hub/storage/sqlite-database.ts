import { chmodSync, closeSync, openSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { migrate } from './migrations.ts';

export type { Database };

export interface OpenOptions {
  /** Open an existing database without migrating or writing (e.g. `hushpoint hub stats`). */
  readonly?: boolean;
}

/**
 * Opens the hub database: WAL, synchronous=NORMAL (a committed transaction survives a process
 * crash; the last ones may be lost on power failure), a busy timeout so the CLI and the hub can
 * share the file, then the numbered migrations.
 */
export function openHubDatabase(file: string, options: OpenOptions = {}): Database {
  let db: Database;
  if (options.readonly !== true && file !== ':memory:') ownerOnly(file);
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  } catch (error) {
    throw new AppError('STORE_FAILED', `Cannot open the hub database "${file}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  db.pragma('busy_timeout = 5000');
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Erasure means erasure: deleted rows are overwritten with zeros, not left in free pages.
    db.pragma('secure_delete = ON');
    migrate(db);
  }
  return db;
}

/**
 * The database holds identity keys and shoppers' histories: it is created readable by the hub's
 * user only (SQLite gives its -wal and -shm files the same mode), and an older file that others
 * could read is made owner-only (docs/security.md, "Secrets at rest").
 */
function ownerOnly(file: string): void {
  try {
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  } catch (error) {
    throw new AppError(
      'STORE_FAILED',
      `Cannot create the hub database "${file}" owner-only: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
