import { createHash } from 'node:crypto';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { AnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';

/**
 * The collector's SQLite database: every release received (its exact bytes and SHA-256), its raw
 * noisy values by metric and cell, and the refused attempts (for the operator). One row per
 * (store, release id): a resend with identical bytes is acknowledged, different bytes refused.
 */

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS releases (
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  period_unit TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  period_label TEXT NOT NULL,
  body BLOB NOT NULL,
  body_sha256 TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (store, release_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS releases_kind ON releases (store, kind, period_start);
CREATE TABLE IF NOT EXISTS release_values (
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  cell TEXT NOT NULL,
  position INTEGER NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (store, release_id, metric, cell)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refusals (
  pk INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  store TEXT,
  release_id TEXT,
  code TEXT NOT NULL,
  message TEXT NOT NULL
);
`;

export type StoreOutcome = 'stored' | 'duplicate' | 'mismatch';

export interface StoredRelease {
  readonly store: string;
  readonly releaseId: string;
  readonly kind: string;
  readonly periodUnit: string;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly periodLabel: string;
  readonly body: Buffer;
  readonly bodySha256: string;
  readonly receivedMs: number;
  readonly deliveries: number;
}

export interface HqStore {
  readonly db: Database;
  /** Stores a verified release; identical bytes again → 'duplicate', different bytes → 'mismatch' (nothing changes). */
  put(payload: AnyReleasePayload, body: Buffer, nowMs: number): StoreOutcome;
  refuse(entry: { store: string | null; releaseId: string | null; code: string; message: string }, nowMs: number): void;
  get(store: string, releaseId: string): StoredRelease | null;
  list(filter?: { store?: string; kind?: string; fromUnix?: number; toUnix?: number }): StoredRelease[];
  refusals(): Array<{ store: string | null; releaseId: string | null; code: string; message: string }>;
  close(): void;
}

interface Row {
  store: string;
  release_id: string;
  kind: string;
  period_unit: string;
  period_start: number;
  period_end: number;
  period_label: string;
  body: Buffer;
  body_sha256: string;
  received_ms: number;
  deliveries: number;
}

function toStored(r: Row): StoredRelease {
  return {
    store: r.store,
    releaseId: r.release_id,
    kind: r.kind,
    periodUnit: r.period_unit,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    periodLabel: r.period_label,
    body: r.body,
    bodySha256: r.body_sha256,
    receivedMs: r.received_ms,
    deliveries: r.deliveries,
  };
}

export function openHqStore(file: string, options: { readonly?: boolean } = {}): HqStore {
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  } catch (error) {
    throw new AppError('STORE_FAILED', `Cannot open the collector database "${file}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  db.pragma('busy_timeout = 5000');
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new AppError(
        'STORE_FAILED',
        `Hq database "${file}" has schema ${version}, newer than this program knows (${SCHEMA_VERSION})`,
      );
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }
  const select = db.prepare('SELECT * FROM releases WHERE store = ? AND release_id = ?');
  const insert =
    db.prepare(`INSERT INTO releases (store, release_id, kind, period_unit, period_start, period_end, period_label, body, body_sha256, received_ms)
    VALUES (@store, @releaseId, @kind, @periodUnit, @periodStart, @periodEnd, @periodLabel, @body, @sha, @now)`);
  const insertValue = db.prepare(
    'INSERT INTO release_values (store, release_id, metric, cell, position, value) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const again = db.prepare('UPDATE releases SET deliveries = deliveries + 1 WHERE store = ? AND release_id = ?');
  const refuse = db.prepare(
    'INSERT INTO refusals (received_ms, store, release_id, code, message) VALUES (?, ?, ?, ?, ?)',
  );
  // Refusals come from unauthenticated requests too: keep only the latest ones.
  const pruneRefusals = db.prepare('DELETE FROM refusals WHERE pk <= (SELECT MAX(pk) FROM refusals) - 10000');

  const put = db.transaction((payload: AnyReleasePayload, body: Buffer, nowMs: number): StoreOutcome => {
    // v2 releases describe a window inside a budget period; v1 ones an hour or a day.
    const window = payload.v === 2 ? payload.window : payload.period;
    const sha = createHash('sha256').update(body).digest('hex');
    const existing = select.get(payload.store, payload.release) as Row | undefined;
    if (existing !== undefined) {
      if (existing.body_sha256 !== sha || !existing.body.equals(body)) return 'mismatch';
      again.run(payload.store, payload.release);
      return 'duplicate';
    }
    insert.run({
      store: payload.store,
      releaseId: payload.release,
      kind: payload.kind,
      periodUnit: window.unit,
      periodStart: window.startUnix,
      periodEnd: window.endUnix,
      periodLabel: payload.release.slice(payload.kind.length + 1),
      body,
      sha,
      now: nowMs,
    });
    for (const measure of payload.measures) {
      measure.values.forEach((value, i) =>
        insertValue.run(payload.store, payload.release, measure.metric, payload.cells[i], i, value),
      );
    }
    return 'stored';
  });

  return {
    db,
    put: (payload, body, nowMs) => put.immediate(payload, body, nowMs),
    refuse(entry, nowMs) {
      const { lastInsertRowid } = refuse.run(nowMs, entry.store, entry.releaseId, entry.code, entry.message);
      if (Number(lastInsertRowid) % 1000 === 0) pruneRefusals.run();
    },
    get(store, releaseId) {
      const row = select.get(store, releaseId) as Row | undefined;
      return row === undefined ? null : toStored(row);
    },
    list(filter = {}) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (filter.store !== undefined) {
        where.push('store = ?');
        params.push(filter.store);
      }
      if (filter.kind !== undefined) {
        where.push('kind = ?');
        params.push(filter.kind);
      }
      if (filter.fromUnix !== undefined) {
        where.push('period_start >= ?');
        params.push(filter.fromUnix);
      }
      if (filter.toUnix !== undefined) {
        where.push('period_start < ?');
        params.push(filter.toUnix);
      }
      const sql = `SELECT * FROM releases ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY store, kind, period_start`;
      return (db.prepare(sql).all(...params) as Row[]).map(toStored);
    },
    refusals: () =>
      db.prepare('SELECT store, release_id AS releaseId, code, message FROM refusals ORDER BY pk').all() as Array<{
        store: string | null;
        releaseId: string | null;
        code: string;
        message: string;
      }>,
    close() {
      if (db.open) db.close();
    },
  };
}
