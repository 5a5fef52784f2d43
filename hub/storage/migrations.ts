import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';

/**
 * Numbered SQL migrations (hub/storage/migrations/NNN-name.sql), applied in order, each in its own
 * transaction together with its row in `schema_version`, so a crash leaves the database at a
 * whole version. A database newer than this program (a version it does not know) is refused.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_RE = /^(\d{3,})-([a-z0-9-]+)\.sql$/;

/** The migrations folder: beside the sources, or (compiled) the source tree's copy. */
export function migrationsDir(): string {
  const candidates = [
    new URL('./migrations/', import.meta.url),
    new URL('../../../hub/storage/migrations/', import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new AppError(
    'STORE_FAILED',
    `Cannot find the hub's SQL migrations: looked in ${candidates.map((u) => fileURLToPath(u)).join(' and ')}`,
  );
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_RE.exec(file);
    if (match === null)
      throw new AppError('STORE_FAILED', `Migration file "${file}" has a bad name, expected NNN-lowercase-name.sql`);
    migrations.push({
      version: Number(match[1]),
      name: match[2] as string,
      sql: readFileSync(`${dir}/${file}`, 'utf8'),
    });
  }
  // Features own version ranges (hub 001–009, privacy 010–019, offers 020+), so gaps are allowed;
  // a version must still be unique.
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1];
    if (previous !== undefined && m.version === previous.version)
      throw new AppError(
        'STORE_FAILED',
        `Migrations "${previous.name}" and "${m.name}" share version ${m.version}, expected unique versions`,
      );
  });
  return migrations;
}

/** Applies every pending migration; returns the versions applied. */
export function migrate(db: Database, migrations: Migration[] = loadMigrations(), nowMs = Date.now()): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)',
  );
  const done = new Set(
    (db.prepare('SELECT version FROM schema_version').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...done].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new AppError(
      'STORE_FAILED',
      `Database schema has version ${Math.max(...unknown)}, which this program does not know; run the newer hushpoint or restore a backup`,
    );
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_ms) VALUES (?, ?, ?)');
  // Every migration not yet recorded, in version order (a range's later file may arrive after
  // a higher range's file was applied).
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, nowMs);
    })();
    applied.push(migration.version);
  }
  return applied;
}

export function schemaVersion(db: Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}
