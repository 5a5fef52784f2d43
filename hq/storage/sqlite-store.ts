import BetterSqlite3, { type Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { groupBatch, resolveGroup } from './core/dedupe-batch.ts';
import { cellValueRows, normalizeRelease } from './core/normalize.ts';
import {
  QUARANTINE_BODY_BYTES,
  type CellAggregateQuery,
  type CellAggregateRow,
  type HqStore,
  type IncomingRelease,
  type IngestOutcome,
  type QuarantineEntry,
  type QuarantinedRelease,
  type ReleaseFilter,
  type StoredRelease,
} from './hq-store.ts';
import { checkNotNewer, loadMigrations } from './migrations.ts';
import { mismatchEntry, sha256Of } from './mismatch.ts';

/**
 * HQ on embedded SQLite (better-sqlite3, WAL, synchronous=NORMAL): the default when no
 * PostgreSQL URL is configured. The same tables as PostgreSQL without partitions.
 */

interface ReleaseRow {
  store: string;
  release_id: string;
  kind: string;
  version: number;
  window_unit: string;
  window_label: string;
  window_start: number;
  window_end: number;
  local_start: string;
  budget_period: string;
  source: string;
  body: Buffer;
  received_ms: number;
  deliveries: number;
}

export function toStoredRelease(r: ReleaseRow): StoredRelease {
  return {
    store: r.store,
    releaseId: r.release_id,
    kind: r.kind,
    version: Number(r.version) === 2 ? 2 : 1,
    windowUnit: r.window_unit,
    windowLabel: r.window_label,
    windowStart: Number(r.window_start),
    windowEnd: Number(r.window_end),
    localStart: r.local_start,
    budgetPeriod: r.budget_period,
    source: r.source as StoredRelease['source'],
    body: r.body,
    receivedMs: Number(r.received_ms),
    deliveries: Number(r.deliveries),
  };
}

function migrate(db: Database, file: string): void {
  const migrations = loadMigrations('sqlite');
  const current = db.pragma('user_version', { simple: true }) as number;
  checkNotNewer(current, migrations, `"${file}"`);
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

const SELECT_RELEASE = `SELECT r.*, k.deliveries FROM releases r JOIN release_keys k ON k.store = r.store AND k.release_id = r.release_id`;

// Longer than a screen: the store's prepared statements and its methods, each a few lines (splitting would pass the statements around).
export function openSqliteStore(file: string, options: { readonly?: boolean; maxBytes?: number } = {}): HqStore {
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  } catch (error) {
    throw new AppError('STORE_FAILED', `Cannot open the HQ database "${file}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  db.pragma('busy_timeout = 5000');
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
    if (options.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
    }
  }
  /** A full disk (or the databaseMaxMb cap) or an I/O error is the database failing: the writer retries, nothing is acknowledged. */
  const storageFailure = <T>(what: string, write: () => T): T => {
    try {
      return write();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY)/.test(code))
        throw new AppError(
          'STORE_FAILED',
          code === 'SQLITE_FULL'
            ? `The HQ database "${file}" is full (the disk, or databaseMaxMb): ${what} waits until there is room`
            : `The HQ database "${file}" failed (${code}): ${what} waits`,
          { cause: error },
        );
      throw error;
    }
  };
  const selectKey = db.prepare('SELECT sha256 FROM release_keys WHERE store = ? AND release_id = ?');
  const insertKey = db.prepare(
    'INSERT INTO release_keys (store, release_id, sha256, kind, window_start, received_ms, deliveries) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const bump = db.prepare('UPDATE release_keys SET deliveries = deliveries + ? WHERE store = ? AND release_id = ?');
  const insertRelease = db.prepare(
    `INSERT INTO releases (window_start, window_end, store, release_id, kind, version, window_unit, window_label, local_start,
       budget_period, source, received_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertCell = db.prepare(
    `INSERT INTO cell_values (window_start, store, release_id, kind, metric, cell, window_unit, window_label, local_start,
       value, granularity, variance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertQuarantine = db.prepare(
    'INSERT INTO quarantine (received_ms, source, topic, store, release_id, code, reason, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );

  function quarantineOne(entry: QuarantineEntry, nowMs: number): void {
    insertQuarantine.run(
      nowMs,
      entry.source,
      entry.topic,
      entry.store,
      entry.releaseId,
      entry.code,
      entry.reason,
      entry.body === null ? null : entry.body.subarray(0, QUARANTINE_BODY_BYTES),
    );
  }

  function storeNew(item: IncomingRelease, copies: number, nowMs: number): void {
    const r = item.normalized;
    insertKey.run(r.store, r.release, item.sha256, r.kind, r.window.startUnix, nowMs, copies);
    insertRelease.run(
      r.window.startUnix,
      r.window.endUnix,
      r.store,
      r.release,
      r.kind,
      r.version,
      r.window.unit,
      r.window.label,
      r.window.localStart,
      r.budgetPeriod,
      item.source,
      nowMs,
      item.body,
    );
    for (const c of cellValueRows(r)) {
      insertCell.run(
        c.windowStart,
        c.store,
        c.releaseId,
        c.kind,
        c.metric,
        c.cell,
        c.windowUnit,
        c.windowLabel,
        c.localStart,
        c.value,
        c.granularity,
        c.variance,
      );
    }
  }

  const ingestTx = db.transaction((batch: readonly IncomingRelease[], nowMs: number): IngestOutcome[] => {
    const groups = groupBatch(
      batch.map((b) => ({ store: b.normalized.store, releaseId: b.normalized.release, sha256: b.sha256 })),
    );
    const outcomes: IngestOutcome[] = batch.map(() => 'duplicate');
    for (const group of groups) {
      const existing = selectKey.get(group.store, group.releaseId) as { sha256: Buffer } | undefined;
      const resolution = resolveGroup(group, existing?.sha256 ?? null);
      if (resolution.store !== null) {
        const version = group.versions[resolution.store]!;
        storeNew(batch[version.indices[0]!]!, version.indices.length, nowMs);
      }
      if (resolution.duplicate !== null)
        bump.run(group.versions[resolution.duplicate]!.indices.length, group.store, group.releaseId);
      for (const [index, outcome] of resolution.outcomes) outcomes[index] = outcome;
    }
    batch.forEach((item, i) => {
      if (outcomes[i] === 'mismatch') quarantineOne(mismatchEntry(item), nowMs);
    });
    return outcomes;
  });

  function backfillLegacy(): void {
    const legacy = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'legacy_releases'")
      .get() as { name: string } | undefined;
    if (legacy === undefined) return;
    db.transaction(() => {
      const rows = db.prepare('SELECT body, received_ms, deliveries FROM legacy_releases').all() as Array<{
        body: Buffer;
        received_ms: number;
        deliveries: number;
      }>;
      for (const row of rows) {
        const decoded = decodeAnyReleasePayload(row.body);
        if (!decoded.ok) continue; // the collector validated every body it stored
        const item: IncomingRelease = {
          normalized: normalizeRelease(decoded.value),
          body: row.body,
          sha256: sha256Of(row.body),
          source: 'https',
        };
        if (selectKey.get(item.normalized.store, item.normalized.release) === undefined)
          storeNew(item, row.deliveries, row.received_ms);
      }
      db.exec(`INSERT INTO quarantine (received_ms, source, store, release_id, code, reason)
               SELECT received_ms, 'https', store, release_id, code, message FROM legacy_refusals;
               DROP TABLE legacy_releases; DROP TABLE legacy_refusals;`);
    }).immediate();
  }
  if (options.readonly !== true) backfillLegacy();

  const aggregateStatements = new Map<string, BetterSqlite3.Statement>();

  return {
    engine: 'sqlite',
    async ingest(batch, nowMs) {
      if (batch.length === 0) return [];
      return storageFailure('the batch', () => ingestTx.immediate(batch, nowMs));
    },
    async quarantine(entries, nowMs) {
      storageFailure('the quarantine entry', () =>
        db.transaction(() => entries.forEach((e) => quarantineOne(e, nowMs))).immediate(),
      );
    },
    async getRelease(store, releaseId) {
      const row = db.prepare(`${SELECT_RELEASE} WHERE r.store = ? AND r.release_id = ?`).get(store, releaseId) as
        ReleaseRow | undefined;
      return row === undefined ? null : toStoredRelease(row);
    },
    async listReleases(filter: ReleaseFilter = {}) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      const add = (sql: string, value: string | number | undefined): void => {
        if (value === undefined) return;
        where.push(sql);
        params.push(value);
      };
      add('r.store = ?', filter.store);
      add('r.kind = ?', filter.kind);
      add('r.budget_period = ?', filter.budgetPeriod);
      add('r.window_start >= ?', filter.fromUnix);
      add('r.window_start < ?', filter.toUnix);
      const sql = `${SELECT_RELEASE} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY r.store, r.kind, r.window_start, r.release_id ${filter.limit !== undefined ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
      return (db.prepare(sql).all(...params) as ReleaseRow[]).map(toStoredRelease);
    },
    async aggregateCells(query: CellAggregateQuery): Promise<CellAggregateRow[]> {
      const byStore = query.byStore === true;
      const key = `${byStore}|${query.windowUnit !== undefined}|${query.stores !== null}`;
      let statement = aggregateStatements.get(key);
      if (statement === undefined) {
        statement = db
          .prepare(
            `SELECT local_start AS localStart, window_label AS windowLabel, window_unit AS windowUnit,
               ${byStore ? 'store' : 'NULL'} AS store, metric, cell, granularity,
               SUM(value) AS total, SUM(variance) AS variance, COUNT(*) AS n
             FROM cell_values
             WHERE kind = @kind AND local_start >= @from AND local_start < @to
               ${query.windowUnit !== undefined ? 'AND window_unit = @unit' : ''}
               ${query.stores !== null ? 'AND store IN (SELECT value FROM json_each(@stores))' : ''}
             GROUP BY local_start, window_label, window_unit, ${byStore ? 'store, ' : ''}metric, cell, granularity
             ORDER BY local_start, ${byStore ? 'store, ' : ''}metric, cell`,
          )
          .safeIntegers(true);
        aggregateStatements.set(key, statement);
      }
      const rows = statement.all({
        kind: query.kind,
        from: query.fromDate,
        to: query.toDate,
        ...(query.windowUnit !== undefined ? { unit: query.windowUnit } : {}),
        ...(query.stores !== null ? { stores: JSON.stringify(query.stores) } : {}),
      }) as Array<Omit<CellAggregateRow, 'values' | 'variance'> & { variance: number | bigint; n: bigint }>;
      return rows.map((r) => ({ ...r, variance: Number(r.variance), values: Number(r.n), total: BigInt(r.total) }));
    },
    async counts() {
      const keys = db
        .prepare('SELECT COUNT(*) AS releases, COALESCE(SUM(deliveries), 0) AS deliveries FROM release_keys')
        .get() as { releases: number; deliveries: number };
      const quarantined = (db.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as { n: number }).n;
      return { releases: keys.releases, duplicates: keys.deliveries - keys.releases, quarantined };
    },
    async dateRange() {
      const first = db.prepare('SELECT local_start AS d FROM releases ORDER BY window_start LIMIT 1').get() as
        { d: string } | undefined;
      const last = db.prepare('SELECT local_start AS d FROM releases ORDER BY window_start DESC LIMIT 1').get() as
        { d: string } | undefined;
      return { first: first?.d.slice(0, 10) ?? null, last: last?.d.slice(0, 10) ?? null };
    },
    async stores() {
      return db
        .prepare(
          'SELECT store, COUNT(*) AS releases, MAX(received_ms) AS lastReceivedMs FROM release_keys GROUP BY store ORDER BY store',
        )
        .all() as Array<{ store: string; releases: number; lastReceivedMs: number }>;
    },
    async quarantined(options = {}) {
      const rows = db
        .prepare(
          `SELECT id, received_ms AS receivedMs, source, topic, store, release_id AS releaseId, code, reason, body
           FROM quarantine ORDER BY id DESC LIMIT ?`,
        )
        .all(options.limit ?? 100) as QuarantinedRelease[];
      return rows;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
