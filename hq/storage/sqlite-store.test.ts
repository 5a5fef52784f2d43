import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { hqStoreContract, v1Footfall } from './hq-store.contract.ts';
import { loadMigrations } from './migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'hp-hq-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

hqStoreContract('sqlite', async () => openSqliteStore(join(dir, `hq-${n++}.db`)));

describe('SQLite HQ store', () => {
  it("moves a reference collector's database (schema 1) into HQ's tables, releases and refusals included", async () => {
    const file = join(dir, 'collector.db');
    const old = new BetterSqlite3(file);
    old.exec(loadMigrations('sqlite')[0]!.sql);
    old.pragma('user_version = 1');
    const body = v1Footfall('store-1', '2026-11-28T10:00:00Z', [12, -3]);
    old
      .prepare(
        `INSERT INTO releases (store, release_id, kind, period_unit, period_start, period_end, period_label, body, body_sha256, received_ms, deliveries)
         VALUES ('store-1', 'footfall:2026-11-28T10:00+00:00', 'footfall', 'hour', 1795860000, 1795863600, '2026-11-28T10:00+00:00', ?, 'x', 1000, 3)`,
      )
      .run(body);
    old
      .prepare(
        "INSERT INTO refusals (received_ms, store, release_id, code, message) VALUES (5, 'store-2', NULL, 'AUTH_FORBIDDEN', 'unknown store')",
      )
      .run();
    old.close();
    const store = openSqliteStore(file);
    const moved = await store.getRelease('store-1', 'footfall:2026-11-28T10:00+00:00');
    expect(moved?.body.equals(body)).toBe(true);
    expect(moved?.deliveries).toBe(3);
    expect(await store.counts()).toEqual({ releases: 1, duplicates: 2, quarantined: 1 });
    expect((await store.quarantined())[0]).toMatchObject({
      code: 'AUTH_FORBIDDEN',
      reason: 'unknown store',
      store: 'store-2',
    });
    await store.close();
    const reopened = openSqliteStore(file);
    expect((await reopened.counts()).releases).toBe(1);
    await reopened.close();
  });

  it('refuses a database newer than this program', async () => {
    const file = join(dir, 'newer.db');
    const db = new BetterSqlite3(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSqliteStore(file)).toThrow(/has schema version 99, newer than this program knows \(2\)/);
  });
});
