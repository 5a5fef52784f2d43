import pg from 'pg';
import { AppError, isAppError } from '../../shared/errors.ts';
import { silentLogger, type Logger } from '../../shared/ports/logger.ts';
import { groupBatch, resolveGroup, type ReleaseGroup } from './core/dedupe-batch.ts';
import { cellValueRows } from './core/normalize.ts';
import { monthPartition } from './core/partitions.ts';
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
import { mismatchEntry } from './mismatch.ts';
import { toStoredRelease } from './sqlite-store.ts';

/**
 * HQ on PostgreSQL (node-postgres): numbered migrations under an advisory lock (several HQ
 * processes may start at once), releases and values partitioned by month (created on demand,
 * also under a lock), batches written with one `INSERT … SELECT FROM unnest(…)` per table in one
 * transaction. Idempotency: `INSERT … ON CONFLICT DO UPDATE … WHERE sha256 = EXCLUDED.sha256
 * RETURNING (xmax = 0)` tells, per release, stored (inserted), duplicate (updated: same bytes) or
 * mismatch (not returned: other bytes) — atomic under concurrent consumers; rows are written in
 * (store, release id) order so two batches never deadlock.
 * A database error is an AppError STORE_FAILED (nothing of the batch is kept); the caller retries.
 */

const MIGRATION_LOCK = 727_001;
const PARTITION_LOCK = 727_002;

export interface PostgresStoreOptions {
  readonly poolSize?: number;
  readonly logger?: Logger;
  readonly applicationName?: string;
}

function storeFailed(error: unknown, what: string): AppError {
  if (isAppError(error)) return error;
  const e = error as Error & { code?: string };
  return new AppError('STORE_FAILED', `PostgreSQL ${what} failed: ${e.message}${e.code ? ` (${e.code})` : ''}`, {
    cause: error,
  });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable PostgreSQL URL)';
  }
}

async function migrate(client: pg.PoolClient, where: string): Promise<void> {
  const migrations = loadMigrations('postgres');
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    checkNotNewer(current, migrations, where);
    for (const migration of migrations.slice(current)) {
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw storeFailed(error, `migration ${migration.version}-${migration.name}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

const SELECT_RELEASE = `SELECT r.*, k.deliveries FROM releases r JOIN release_keys k ON k.store = r.store AND k.release_id = r.release_id`;

// Longer than a screen: the store's prepared statements and its methods, each a few lines (splitting would pass the statements around).
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<HqStore> {
  const logger = options.logger ?? silentLogger();
  const where = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 4,
    connectionTimeoutMillis: 5000,
    application_name: options.applicationName ?? 'hushpoint-hq',
  });
  // An idle connection dies when PostgreSQL restarts: log it once per state, never crash.
  let poolBroken = false;
  pool.on('error', (error) => {
    if (!poolBroken) logger.warn({ err: error, database: where }, 'postgres connection lost');
    poolBroken = true;
  });
  const partitions = new Set<string>();

  async function withClient<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw storeFailed(error, `connection to ${where}`);
    }
    poolBroken = false;
    // A checked-out client whose server goes away emits 'error' besides failing its query: without
    // a listener that event would end the process (node-postgres leaves it to the caller).
    const onError = (error: Error): void => logger.debug({ err: error, database: where }, 'postgres connection error');
    client.on('error', onError);
    try {
      const result = await fn(client);
      client.off('error', onError);
      client.release();
      return result;
    } catch (error) {
      client.off('error', onError);
      client.release(true);
      throw storeFailed(error, what);
    }
  }

  await withClient('start-up', async (client) => {
    await migrate(client, where);
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'releases'`,
    );
    for (const row of rows) partitions.add(row.name.replace(/^releases_/, ''));
  });

  async function ensurePartitions(client: pg.PoolClient, windowStarts: readonly number[]): Promise<void> {
    const missing = new Map<string, ReturnType<typeof monthPartition>>();
    for (const start of windowStarts) {
      const month = monthPartition(start);
      if (!partitions.has(month.suffix)) missing.set(month.suffix, month);
    }
    if (missing.size === 0) return;
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      for (const month of missing.values()) {
        for (const table of ['releases', 'cell_values']) {
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${table}_${month.suffix} PARTITION OF ${table} FOR VALUES FROM (${month.fromUnix}) TO (${month.toUnix})`,
          );
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    for (const suffix of missing.keys()) partitions.add(suffix);
  }

  async function insertQuarantine(client: pg.PoolClient, entries: readonly QuarantineEntry[], nowMs: number) {
    if (entries.length === 0) return;
    await client.query(
      `INSERT INTO quarantine (received_ms, source, topic, store, release_id, code, reason, body)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[])`,
      [
        nowMs,
        entries.map((e) => e.source),
        entries.map((e) => e.topic),
        entries.map((e) => e.store),
        entries.map((e) => e.releaseId),
        entries.map((e) => e.code),
        entries.map((e) => e.reason),
        entries.map((e) => (e.body === null ? null : e.body.subarray(0, QUARANTINE_BODY_BYTES))),
      ],
    );
  }

  async function insertNew(client: pg.PoolClient, items: readonly IncomingRelease[], nowMs: number): Promise<void> {
    if (items.length === 0) return;
    const r = items.map((i) => i.normalized);
    await client.query(
      `INSERT INTO releases (window_start, window_end, store, release_id, kind, version, window_unit, window_label,
         local_start, budget_period, source, received_ms, body)
       SELECT a, b, c, d, e, f, g, h, i, j, k, $12, l FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],
         $5::text[], $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $13::bytea[])
         AS t(a, b, c, d, e, f, g, h, i, j, k, l)`,
      [
        r.map((x) => x.window.startUnix),
        r.map((x) => x.window.endUnix),
        r.map((x) => x.store),
        r.map((x) => x.release),
        r.map((x) => x.kind),
        r.map((x) => x.version),
        r.map((x) => x.window.unit),
        r.map((x) => x.window.label),
        r.map((x) => x.window.localStart),
        r.map((x) => x.budgetPeriod),
        items.map((x) => x.source),
        nowMs,
        items.map((x) => x.body),
      ],
    );
    const cells = r.flatMap(cellValueRows);
    if (cells.length === 0) return;
    await client.query(
      `INSERT INTO cell_values (window_start, store, release_id, kind, metric, cell, window_unit, window_label,
         local_start, value, granularity, variance)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::bigint[], $11::text[], $12::float8[])`,
      [
        cells.map((c) => c.windowStart),
        cells.map((c) => c.store),
        cells.map((c) => c.releaseId),
        cells.map((c) => c.kind),
        cells.map((c) => c.metric),
        cells.map((c) => c.cell),
        cells.map((c) => c.windowUnit),
        cells.map((c) => c.windowLabel),
        cells.map((c) => c.localStart),
        cells.map((c) => c.value),
        cells.map((c) => c.granularity),
        cells.map((c) => c.variance),
      ],
    );
  }

  /** Stored bytes of the groups whose first version was refused by the upsert (a rare replay mix). */
  async function storedShas(client: pg.PoolClient, groups: readonly ReleaseGroup[]): Promise<Map<string, Buffer>> {
    if (groups.length === 0) return new Map();
    const { rows } = await client.query<{ store: string; release_id: string; sha256: Buffer }>(
      `SELECT k.store, k.release_id, k.sha256 FROM release_keys k
       JOIN unnest($1::text[], $2::text[]) AS t(store, release_id) USING (store, release_id)`,
      [groups.map((g) => g.store), groups.map((g) => g.releaseId)],
    );
    return new Map(rows.map((r) => [`${r.store}\u0000${r.release_id}`, r.sha256]));
  }

  /**
   * The general path, in a transaction: a batch where one release id comes with different bytes
   * (a replay mixed with a changed release) needs the stored bytes to resolve its copies.
   */
  async function ingestInTransaction(
    batch: readonly IncomingRelease[],
    groups: readonly ReleaseGroup[],
    nowMs: number,
  ): Promise<IngestOutcome[]> {
    const firsts = groups.map((g) => batch[g.versions[0]!.indices[0]!]!);
    return withClient('ingest', async (client) => {
      await ensurePartitions(
        client,
        firsts.map((f) => f.normalized.window.startUnix),
      );
      await client.query('BEGIN');
      try {
        const { rows } = await client.query<{ store: string; release_id: string; inserted: boolean }>(
          `INSERT INTO release_keys (store, release_id, sha256, kind, window_start, received_ms, deliveries)
           SELECT a, b, c, d, e, $6, f FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bigint[],
             $7::int[]) AS t(a, b, c, d, e, f)
           ON CONFLICT (store, release_id) DO UPDATE SET deliveries = release_keys.deliveries + EXCLUDED.deliveries
             WHERE release_keys.sha256 = EXCLUDED.sha256
           RETURNING store, release_id, (xmax = 0) AS inserted`,
          [
            firsts.map((f) => f.normalized.store),
            firsts.map((f) => f.normalized.release),
            firsts.map((f) => f.sha256),
            firsts.map((f) => f.normalized.kind),
            firsts.map((f) => f.normalized.window.startUnix),
            nowMs,
            groups.map((g) => g.versions[0]!.indices.length),
          ],
        );
        const returned = new Map(rows.map((row) => [`${row.store}\u0000${row.release_id}`, row.inserted]));
        const key = (g: ReleaseGroup): string => `${g.store}\u0000${g.releaseId}`;
        const refused = await storedShas(
          client,
          groups.filter((g) => !returned.has(key(g))),
        );
        const outcomes: IngestOutcome[] = batch.map(() => 'duplicate');
        const toStore: IncomingRelease[] = [];
        const bumps: Array<{ store: string; releaseId: string; copies: number }> = [];
        for (const group of groups) {
          const inserted = returned.get(key(group));
          // The upsert stored or counted the first version; otherwise resolve against the stored bytes.
          const stored =
            inserted === undefined ? (refused.get(key(group)) ?? null) : inserted ? null : group.versions[0]!.sha256;
          const resolution = resolveGroup(group, stored);
          if (resolution.store !== null) toStore.push(batch[group.versions[resolution.store]!.indices[0]!]!);
          if (inserted === undefined && resolution.duplicate !== null)
            bumps.push({
              store: group.store,
              releaseId: group.releaseId,
              copies: group.versions[resolution.duplicate]!.indices.length,
            });
          for (const [index, outcome] of resolution.outcomes) outcomes[index] = outcome;
        }
        for (const b of bumps)
          await client.query(
            'UPDATE release_keys SET deliveries = deliveries + $1 WHERE store = $2 AND release_id = $3',
            [b.copies, b.store, b.releaseId],
          );
        await insertNew(client, toStore, nowMs);
        await insertQuarantine(client, batch.filter((_, i) => outcomes[i] === 'mismatch').map(mismatchEntry), nowMs);
        await client.query('COMMIT');
        return outcomes;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * The common path, one statement (atomic by itself, one round trip): every release id of the
   * batch comes with one version of its bytes. The key upsert decides, per release, stored /
   * duplicate / mismatch; the releases' bytes and values are inserted only for the keys it
   * inserted, and mismatching copies go to the quarantine — all inside the same statement.
   */
  async function ingestOneStatement(
    client: pg.PoolClient,
    batch: readonly IncomingRelease[],
    groups: readonly ReleaseGroup[],
    nowMs: number,
  ): Promise<IngestOutcome[]> {
    const firsts = groups.map((g) => batch[g.versions[0]!.indices[0]!]!);
    const r = firsts.map((f) => f.normalized);
    const cells = r.flatMap(cellValueRows);
    // Bodies and digests travel as one binary parameter each (node-postgres sends a Buffer in
    // binary), cut by offset in SQL: no hex-escaped bytea[] literal to build and parse.
    const offsets: number[] = [];
    let offset = 0;
    for (const f of firsts) {
      offsets.push(offset);
      offset += f.body.length;
    }
    const { rows } = await client.query<{ store: string; release_id: string; inserted: boolean }>(
      `WITH input AS (
         SELECT store, release_id, substring($3::bytea FROM ord * 32 + 1 FOR 32) AS sha256, kind, window_start,
           copies, ord
         FROM unnest($1::text[], $2::text[], $4::text[], $5::bigint[], $6::int[], $7::int[])
           AS t(store, release_id, kind, window_start, copies, ord)
       ), keys AS (
         INSERT INTO release_keys (store, release_id, sha256, kind, window_start, received_ms, deliveries)
         SELECT store, release_id, sha256, kind, window_start, $8, copies FROM input ORDER BY ord
         ON CONFLICT (store, release_id) DO UPDATE SET deliveries = release_keys.deliveries + EXCLUDED.deliveries
           WHERE release_keys.sha256 = EXCLUDED.sha256
         RETURNING store, release_id, (xmax = 0) AS inserted
       ), new_releases AS (
         INSERT INTO releases (window_start, window_end, store, release_id, kind, version, window_unit, window_label,
           local_start, budget_period, source, received_ms, body)
         SELECT b.window_start, b.window_end, b.store, b.release_id, b.kind, b.version, b.window_unit, b.window_label,
           b.local_start, b.budget_period, b.source, $8, substring($17::bytea FROM b.off + 1 FOR b.len)
         FROM unnest($9::bigint[], $10::bigint[], $1::text[], $2::text[], $4::text[], $11::smallint[], $12::text[],
           $13::text[], $14::text[], $15::text[], $16::text[], $31::int[], $32::int[])
           AS b(window_start, window_end, store, release_id, kind, version, window_unit, window_label, local_start,
             budget_period, source, off, len)
         JOIN keys k ON k.store = b.store AND k.release_id = b.release_id AND k.inserted
       ), new_values AS (
         INSERT INTO cell_values (window_start, store, release_id, kind, metric, cell, window_unit, window_label,
           local_start, value, granularity, variance)
         SELECT c.* FROM unnest($18::bigint[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
           $24::text[], $25::text[], $26::text[], $27::bigint[], $28::text[], $29::float8[])
           AS c(window_start, store, release_id, kind, metric, cell, window_unit, window_label, local_start, value,
             granularity, variance)
         JOIN keys k ON k.store = c.store AND k.release_id = c.release_id AND k.inserted
       ), refused AS (
         INSERT INTO quarantine (received_ms, source, topic, store, release_id, code, reason, body)
         SELECT $8, q.source, q.topic, q.store, q.release_id, 'UPSTREAM_REPLAY_MISMATCH',
           format('Release "%s" of store "%s" was already received with different bytes (this copy sha256 %s…); a release is computed once and must be re-sent verbatim',
             q.release_id, q.store, left(encode(substring($3::bytea FROM q.ord * 32 + 1 FOR 32), 'hex'), 16)),
           substring($17::bytea FROM q.off + 1 FOR least(q.len, ${QUARANTINE_BODY_BYTES}))
         FROM unnest($1::text[], $2::text[], $16::text[], $30::text[], $6::int[], $7::int[], $31::int[], $32::int[])
           AS q(store, release_id, source, topic, copies, ord, off, len)
         CROSS JOIN LATERAL generate_series(1, q.copies)
         WHERE NOT EXISTS (SELECT 1 FROM keys k WHERE k.store = q.store AND k.release_id = q.release_id)
       )
       SELECT store, release_id, inserted FROM keys`,
      [
        r.map((x) => x.store),
        r.map((x) => x.release),
        Buffer.concat(firsts.map((f) => f.sha256)),
        r.map((x) => x.kind),
        r.map((x) => x.window.startUnix),
        groups.map((g) => g.versions[0]!.indices.length),
        groups.map((_, i) => i),
        nowMs,
        r.map((x) => x.window.startUnix),
        r.map((x) => x.window.endUnix),
        r.map((x) => x.version),
        r.map((x) => x.window.unit),
        r.map((x) => x.window.label),
        r.map((x) => x.window.localStart),
        r.map((x) => x.budgetPeriod),
        firsts.map((f) => f.source),
        Buffer.concat(firsts.map((f) => f.body)),
        cells.map((c) => c.windowStart),
        cells.map((c) => c.store),
        cells.map((c) => c.releaseId),
        cells.map((c) => c.kind),
        cells.map((c) => c.metric),
        cells.map((c) => c.cell),
        cells.map((c) => c.windowUnit),
        cells.map((c) => c.windowLabel),
        cells.map((c) => c.localStart),
        cells.map((c) => c.value),
        cells.map((c) => c.granularity),
        cells.map((c) => c.variance),
        firsts.map((f) => f.topic ?? null),
        offsets,
        firsts.map((f) => f.body.length),
      ],
    );
    const returned = new Map(rows.map((row) => [`${row.store}\u0000${row.release_id}`, row.inserted]));
    const outcomes: IngestOutcome[] = batch.map(() => 'duplicate');
    for (const group of groups) {
      const inserted = returned.get(`${group.store}\u0000${group.releaseId}`);
      const resolution = resolveGroup(
        group,
        inserted === undefined ? Buffer.alloc(0) : inserted ? null : group.versions[0]!.sha256,
      );
      for (const [index, outcome] of resolution.outcomes) outcomes[index] = outcome;
    }
    return outcomes;
  }

  async function ingest(batch: readonly IncomingRelease[], nowMs: number): Promise<IngestOutcome[]> {
    if (batch.length === 0) return [];
    const groups = groupBatch(
      batch.map((b) => ({ store: b.normalized.store, releaseId: b.normalized.release, sha256: b.sha256 })),
    );
    if (groups.some((g) => g.versions.length > 1)) return ingestInTransaction(batch, groups, nowMs);
    return withClient('ingest', async (client) => {
      await ensurePartitions(
        client,
        groups.map((g) => batch[g.versions[0]!.indices[0]!]!.normalized.window.startUnix),
      );
      return ingestOneStatement(client, batch, groups, nowMs);
    });
  }

  return {
    engine: 'postgres',
    ingest,
    async quarantine(entries, nowMs) {
      await withClient('quarantine', (client) => insertQuarantine(client, entries, nowMs));
    },
    async getRelease(store, releaseId) {
      const { rows } = await withClient('read', (c) =>
        c.query(`${SELECT_RELEASE} WHERE r.store = $1 AND r.release_id = $2`, [store, releaseId]),
      );
      return rows[0] === undefined ? null : toStoredRelease(rows[0]);
    },
    async listReleases(filter: ReleaseFilter = {}): Promise<StoredRelease[]> {
      const where: string[] = [];
      const params: Array<string | number> = [];
      const add = (column: string, op: string, value: string | number | undefined): void => {
        if (value === undefined) return;
        params.push(value);
        where.push(`${column} ${op} $${params.length}`);
      };
      add('r.store', '=', filter.store);
      add('r.kind', '=', filter.kind);
      add('r.budget_period', '=', filter.budgetPeriod);
      add('r.window_start', '>=', filter.fromUnix);
      add('r.window_start', '<', filter.toUnix);
      const sql = `${SELECT_RELEASE} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY r.store, r.kind, r.window_start, r.release_id ${filter.limit !== undefined ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
      const { rows } = await withClient('read', (c) => c.query(sql, params));
      return rows.map(toStoredRelease);
    },
    async aggregateCells(query: CellAggregateQuery): Promise<CellAggregateRow[]> {
      const byStore = query.byStore === true;
      const params: unknown[] = [query.kind, query.fromDate, query.toDate];
      // Partition pruning: local dates are within ±14 h of UTC, so a day either side suffices.
      params.push(Date.parse(`${query.fromDate}T00:00:00Z`) / 1000 - 86_400);
      params.push(Date.parse(`${query.toDate}T00:00:00Z`) / 1000 + 86_400);
      let extra = '';
      if (query.windowUnit !== undefined) {
        params.push(query.windowUnit);
        extra += ` AND window_unit = $${params.length}`;
      }
      if (query.stores !== null) {
        params.push(query.stores);
        extra += ` AND store = ANY($${params.length}::text[])`;
      }
      const { rows } = await withClient('read', (c) =>
        c.query<{
          local_start: string;
          window_label: string;
          window_unit: string;
          store: string | null;
          metric: string;
          cell: string;
          granularity: string;
          total: string;
          variance: number;
          n: string;
        }>(
          `SELECT local_start, window_label, window_unit, ${byStore ? 'store' : 'NULL::text AS store'}, metric, cell,
             granularity, SUM(value)::text AS total, SUM(variance) AS variance, COUNT(*) AS n
           FROM cell_values
           WHERE kind = $1 AND local_start >= $2 AND local_start < $3 AND window_start >= $4 AND window_start < $5${extra}
           GROUP BY local_start, window_label, window_unit, ${byStore ? 'store, ' : ''}metric, cell, granularity
           ORDER BY local_start, ${byStore ? 'store, ' : ''}metric, cell`,
          params,
        ),
      );
      return rows.map((r) => ({
        localStart: r.local_start,
        windowLabel: r.window_label,
        windowUnit: r.window_unit,
        store: r.store,
        metric: r.metric,
        cell: r.cell,
        granularity: r.granularity,
        total: BigInt(r.total),
        variance: Number(r.variance),
        values: Number(r.n),
      }));
    },
    async counts() {
      const { rows } = await withClient('read', (c) =>
        c.query<{ releases: string; deliveries: string; quarantined: string }>(
          `SELECT (SELECT COUNT(*) FROM release_keys) AS releases,
                  (SELECT COALESCE(SUM(deliveries), 0) FROM release_keys) AS deliveries,
                  (SELECT COUNT(*) FROM quarantine) AS quarantined`,
        ),
      );
      const row = rows[0] as { releases: string; deliveries: string; quarantined: string };
      return {
        releases: Number(row.releases),
        duplicates: Number(row.deliveries) - Number(row.releases),
        quarantined: Number(row.quarantined),
      };
    },
    async dateRange() {
      const { rows } = await withClient('read', (c) =>
        c.query<{ first: string | null; last: string | null }>(
          `SELECT (SELECT local_start FROM releases ORDER BY window_start LIMIT 1) AS first,
                  (SELECT local_start FROM releases ORDER BY window_start DESC LIMIT 1) AS last`,
        ),
      );
      return { first: rows[0]?.first?.slice(0, 10) ?? null, last: rows[0]?.last?.slice(0, 10) ?? null };
    },
    async stores() {
      const { rows } = await withClient('read', (c) =>
        c.query<{ store: string; releases: string; last: string }>(
          'SELECT store, COUNT(*) AS releases, MAX(received_ms) AS last FROM release_keys GROUP BY store ORDER BY store',
        ),
      );
      return rows.map((r) => ({ store: r.store, releases: Number(r.releases), lastReceivedMs: Number(r.last) }));
    },
    async quarantined(options = {}): Promise<QuarantinedRelease[]> {
      const { rows } = await withClient('read', (c) =>
        c.query(
          `SELECT id, received_ms, source, topic, store, release_id, code, reason, body FROM quarantine
           ORDER BY id DESC LIMIT $1`,
          [options.limit ?? 100],
        ),
      );
      return rows.map((r) => ({
        id: Number(r.id),
        receivedMs: Number(r.received_ms),
        source: r.source,
        topic: r.topic,
        store: r.store,
        releaseId: r.release_id,
        code: r.code,
        reason: r.reason,
        body: r.body,
      }));
    },
    async close() {
      await pool.end();
    },
  };
}
