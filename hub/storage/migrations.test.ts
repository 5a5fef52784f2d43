import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, schemaVersion } from './migrations.ts';
import { openHubDatabase } from './sqlite-database.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hp-mig-'));
  dirs.push(dir);
  return dir;
}

describe('hub migrations', () => {
  it('applies every numbered file once, in order, and records it', () => {
    const file = join(tempDir(), 'hub.db');
    const db = openHubDatabase(file);
    const versions = (
      db.prepare('SELECT version FROM schema_version ORDER BY version').all() as Array<{ version: number }>
    ).map((r) => r.version);
    expect(versions).toEqual(loadMigrations().map((m) => m.version));
    expect(versions[0]).toBe(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(migrate(db)).toEqual([]);
    db.close();
    // Reopening applies nothing new.
    const again = openHubDatabase(file);
    expect(schemaVersion(again)).toBe(Math.max(...versions));
    again.close();
  });

  it('rolls a failing migration back whole and applies it later', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '001-a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '002-b.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = new BetterSqlite3(':memory:');
    expect(() => migrate(db, loadMigrations(dir))).toThrow(/no such table: nowhere/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    writeFileSync(join(dir, '002-b.sql'), 'CREATE TABLE b (x INTEGER);');
    expect(migrate(db, loadMigrations(dir))).toEqual([2]);
  });

  it('refuses a database from a newer program, and badly named files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '001-a.sql'), 'CREATE TABLE a (x INTEGER);');
    const db = new BetterSqlite3(':memory:');
    migrate(db, loadMigrations(dir));
    db.prepare("INSERT INTO schema_version (version, name, applied_ms) VALUES (7, 'future', 0)").run();
    expect(() => migrate(db, loadMigrations(dir))).toThrow(/version 7, which this program does not know/);
    writeFileSync(join(dir, '2-Bad Name.sql'), '');
    expect(() => loadMigrations(dir)).toThrow(/bad name, expected NNN-lowercase-name.sql/);
  });
});
