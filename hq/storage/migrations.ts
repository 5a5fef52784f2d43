import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/errors.ts';

/**
 * HQ's numbered SQL migrations, one folder per engine (migrations/sqlite, migrations/postgres):
 * NNN-name.sql, applied in order, each in a transaction with its version, so a crash leaves the
 * database at a whole version; a database newer than this program is refused.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export type Engine = 'sqlite' | 'postgres';

const FILE_RE = /^(\d{3})-([a-z0-9-]+)\.sql$/;

/** The engine's folder: beside the sources, or (compiled into dist/) the source tree's copy. */
function migrationsDir(engine: Engine): string {
  const candidates = [
    new URL(`./migrations/${engine}/`, import.meta.url),
    new URL(`../../../hq/storage/migrations/${engine}/`, import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new AppError(
    'STORE_FAILED',
    `Cannot find HQ's ${engine} migrations: looked in ${candidates.map((u) => fileURLToPath(u)).join(' and ')}`,
  );
}

export function loadMigrations(engine: Engine): Migration[] {
  const dir = migrationsDir(engine);
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file): Migration => {
      const match = FILE_RE.exec(file);
      if (match === null)
        throw new AppError('STORE_FAILED', `Migration file "${file}" has a bad name, expected NNN-lowercase-name.sql`);
      return { version: Number(match[1]), name: match[2] as string, sql: readFileSync(`${dir}/${file}`, 'utf8') };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new AppError(
        'STORE_FAILED',
        `Migration "${m.name}" has version ${m.version}, expected ${i + 1} (${engine} migrations are numbered without gaps)`,
      );
  });
  return migrations;
}

export function checkNotNewer(current: number, migrations: readonly Migration[], where: string): void {
  const known = migrations.length;
  if (current > known)
    throw new AppError(
      'STORE_FAILED',
      `HQ database ${where} has schema version ${current}, newer than this program knows (${known}); upgrade hushpoint`,
    );
}
