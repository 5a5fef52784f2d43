import type { Database } from 'better-sqlite3';
/** The unit of a release's window (v1: hour or day; v2: day, week or the whole budget period). */
export type ReleaseWindowUnit = 'hour' | 'day' | 'week' | 'period';

/**
 * DP releases and the upstream outbox in SQLite (migrations 010, 012). `insert` runs inside the
 * caller's release transaction; the release id is the primary key, so a second insert for the
 * same key fails instead of storing a second noise draw.
 */

export interface ReleaseRecord {
  readonly id: string;
  readonly kind: string;
  /** 1: the v1 contract (shopper-day); 2: one shopper over one budget period. */
  readonly version: 1 | 2;
  /** The release's window (named "period" in v1). */
  readonly periodUnit: ReleaseWindowUnit;
  readonly periodStartMs: number;
  readonly periodEndMs: number;
  /** The window's first local day. */
  readonly day: number;
  /** v2: the budget period the window lies in ("2026-Q4"); null for v1. */
  readonly budgetPeriod: string | null;
  readonly computedMs: number;
  readonly privacyUnit: string;
  readonly mechanism: string;
  readonly rho: string;
  readonly rhoMicro: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly contributors: number;
  readonly excludedBudget: number;
  readonly excludedFiltered: number;
  readonly excludedCellCap: number;
  readonly chargedMicro: number;
  readonly body: Buffer;
}

export interface ReleaseValue {
  readonly metric: string;
  readonly cell: string;
  readonly value: number;
}

export type OutboxState = 'pending' | 'sent' | 'rejected';

export interface OutboxItem {
  readonly releaseId: string;
  readonly kind: string;
  readonly body: Buffer;
  readonly attempts: number;
}

export interface OutboxSummary {
  readonly pending: number;
  readonly sent: number;
  readonly rejected: number;
  /** created_ms of the oldest pending release, or null. */
  readonly oldestPendingMs: number | null;
  readonly lastError: string | null;
  readonly lastSentMs: number | null;
}

export interface ReleaseSummary {
  readonly kind: string;
  readonly releases: number;
  readonly lastPeriodEndMs: number | null;
  readonly lastComputedMs: number | null;
}

export interface SqliteReleases {
  has(id: string): boolean;
  insert(record: ReleaseRecord, values: readonly ReleaseValue[], nowMs: number): void;
  get(id: string): ReleaseRecord | null;
  values(id: string): ReleaseValue[];
  list(options?: { kind?: string; fromMs?: number; toMs?: number; limit?: number }): ReleaseRecord[];
  summary(): ReleaseSummary[];
  /** The body of the newest v2 release of a kind (by window end), or null. */
  latestBody(kind: string): Buffer | null;
  sinceOf(kind: string): number | null;
  setSince(kind: string, sinceMs: number): void;
  duePending(nowMs: number, limit: number): OutboxItem[];
  markSent(id: string, nowMs: number, transport: string): void;
  markRetry(id: string, nowMs: number, nextAttemptMs: number, error: string): void;
  markRejected(id: string, nowMs: number, error: string): void;
  outbox(): OutboxSummary;
  outboxState(
    id: string,
  ): { state: OutboxState; attempts: number; nextAttemptMs: number; lastError: string | null } | null;
}

interface ReleaseRow {
  id: string;
  kind: string;
  version: 1 | 2;
  period_unit: ReleaseWindowUnit;
  period_start_ms: number;
  period_end_ms: number;
  day: number;
  budget_period: string | null;
  computed_ms: number;
  privacy_unit: string;
  mechanism: string;
  rho: string;
  rho_micro: number;
  epsilon: number;
  delta: number;
  contributors: number;
  excluded_budget: number;
  excluded_filtered: number;
  excluded_cell_cap: number;
  charged_micro: number;
  body: Buffer;
}

const COLUMNS =
  'id, kind, version, period_unit, period_start_ms, period_end_ms, day, budget_period, computed_ms, privacy_unit, mechanism, rho, rho_micro, epsilon, delta, contributors, excluded_budget, excluded_filtered, excluded_cell_cap, charged_micro, body';

function toRecord(r: ReleaseRow): ReleaseRecord {
  return {
    id: r.id,
    kind: r.kind,
    version: r.version,
    periodUnit: r.period_unit,
    periodStartMs: r.period_start_ms,
    periodEndMs: r.period_end_ms,
    day: r.day,
    budgetPeriod: r.budget_period,
    computedMs: r.computed_ms,
    privacyUnit: r.privacy_unit,
    mechanism: r.mechanism,
    rho: r.rho,
    rhoMicro: r.rho_micro,
    epsilon: r.epsilon,
    delta: r.delta,
    contributors: r.contributors,
    excludedBudget: r.excluded_budget,
    excludedFiltered: r.excluded_filtered,
    excludedCellCap: r.excluded_cell_cap,
    chargedMicro: r.charged_micro,
    body: r.body,
  };
}

// Longer than a screen: the store's prepared statements and its methods, each a few lines (splitting would pass the statements around).
export function createSqliteReleases(db: Database): SqliteReleases {
  const exists = db.prepare('SELECT 1 FROM privacy_releases WHERE id = ?').pluck();
  const insertRelease =
    db.prepare(`INSERT INTO privacy_releases (${COLUMNS}) VALUES (@id, @kind, @version, @periodUnit, @periodStartMs, @periodEndMs, @day, @budgetPeriod, @computedMs,
    @privacyUnit, @mechanism, @rho, @rhoMicro, @epsilon, @delta, @contributors, @excludedBudget, @excludedFiltered, @excludedCellCap, @chargedMicro, @body)`);
  const insertValue = db.prepare(
    'INSERT INTO privacy_release_values (release_id, metric, cell, value) VALUES (?, ?, ?, ?)',
  );
  const enqueue = db.prepare(
    "INSERT INTO upstream_outbox (release_id, created_ms, state, next_attempt_ms) VALUES (?, ?, 'pending', ?)",
  );
  const getRelease = db.prepare(`SELECT ${COLUMNS} FROM privacy_releases WHERE id = ?`);
  const getValues = db.prepare(
    'SELECT metric, cell, value FROM privacy_release_values WHERE release_id = ? ORDER BY metric, cell',
  );
  // v2 kinds keep their own start (privacy_windows_since): a kind named like a v1 one starts afresh.
  const since = db.prepare('SELECT since_ms FROM privacy_windows_since WHERE kind = ?').pluck();
  const setSince = db.prepare(
    'INSERT INTO privacy_windows_since (kind, since_ms) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET since_ms = excluded.since_ms',
  );
  const pending = db.prepare(`SELECT o.release_id AS releaseId, r.kind AS kind, r.body AS body, o.attempts AS attempts
    FROM upstream_outbox o JOIN privacy_releases r ON r.id = o.release_id
    WHERE o.state = 'pending' AND o.next_attempt_ms <= ? ORDER BY r.period_end_ms, o.created_ms, o.release_id LIMIT ?`);
  const sent = db.prepare(
    "UPDATE upstream_outbox SET state = 'sent', attempts = attempts + 1, last_attempt_ms = @now, sent_ms = @now, transport = @transport, last_error = NULL WHERE release_id = @id",
  );
  const retry = db.prepare(
    'UPDATE upstream_outbox SET attempts = attempts + 1, last_attempt_ms = @now, next_attempt_ms = @next, last_error = @error WHERE release_id = @id',
  );
  const rejected = db.prepare(
    "UPDATE upstream_outbox SET state = 'rejected', attempts = attempts + 1, last_attempt_ms = @now, last_error = @error WHERE release_id = @id",
  );
  const outboxCounts = db.prepare(
    'SELECT state, COUNT(*) AS n, MIN(created_ms) AS oldest, MAX(sent_ms) AS lastSent FROM upstream_outbox GROUP BY state',
  );
  const lastError = db
    .prepare(
      'SELECT last_error FROM upstream_outbox WHERE last_error IS NOT NULL ORDER BY last_attempt_ms DESC LIMIT 1',
    )
    .pluck();
  const outboxRow = db.prepare(
    'SELECT state, attempts, next_attempt_ms AS nextAttemptMs, last_error AS lastError FROM upstream_outbox WHERE release_id = ?',
  );
  const summary = db.prepare(
    'SELECT kind, COUNT(*) AS releases, MAX(period_end_ms) AS lastPeriodEndMs, MAX(computed_ms) AS lastComputedMs FROM privacy_releases GROUP BY kind ORDER BY kind',
  );

  const latest = db
    .prepare('SELECT body FROM privacy_releases WHERE kind = ? AND version = 2 ORDER BY period_end_ms DESC LIMIT 1')
    .pluck();

  return {
    has: (id) => exists.get(id) !== undefined,
    latestBody: (kind) => (latest.get(kind) as Buffer | undefined) ?? null,
    insert(record, values, nowMs) {
      insertRelease.run(record);
      for (const v of values) insertValue.run(record.id, v.metric, v.cell, v.value);
      enqueue.run(record.id, nowMs, nowMs);
    },
    get(id) {
      const row = getRelease.get(id) as ReleaseRow | undefined;
      return row === undefined ? null : toRecord(row);
    },
    values: (id) => getValues.all(id) as ReleaseValue[],
    list(options = {}) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (options.kind !== undefined) {
        where.push('kind = ?');
        params.push(options.kind);
      }
      if (options.fromMs !== undefined) {
        where.push('period_start_ms >= ?');
        params.push(options.fromMs);
      }
      if (options.toMs !== undefined) {
        where.push('period_start_ms < ?');
        params.push(options.toMs);
      }
      const sql = `SELECT ${COLUMNS} FROM privacy_releases ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY period_start_ms, kind LIMIT ?`;
      return (db.prepare(sql).all(...params, options.limit ?? 10_000) as ReleaseRow[]).map(toRecord);
    },
    summary: () => summary.all() as ReleaseSummary[],
    sinceOf: (kind) => (since.get(kind) as number | undefined) ?? null,
    setSince(kind, sinceMs) {
      setSince.run(kind, sinceMs);
    },
    duePending: (nowMs, limit) => pending.all(nowMs, limit) as OutboxItem[],
    markSent(id, nowMs, transport) {
      sent.run({ id, now: nowMs, transport });
    },
    markRetry(id, nowMs, nextAttemptMs, error) {
      retry.run({ id, now: nowMs, next: nextAttemptMs, error });
    },
    markRejected(id, nowMs, error) {
      rejected.run({ id, now: nowMs, error });
    },
    outbox() {
      const rows = outboxCounts.all() as Array<{
        state: OutboxState;
        n: number;
        oldest: number | null;
        lastSent: number | null;
      }>;
      const of = (state: OutboxState) => rows.find((r) => r.state === state);
      return {
        pending: of('pending')?.n ?? 0,
        sent: of('sent')?.n ?? 0,
        rejected: of('rejected')?.n ?? 0,
        oldestPendingMs: of('pending')?.oldest ?? null,
        lastError: (lastError.get() as string | undefined) ?? null,
        lastSentMs: of('sent')?.lastSent ?? null,
      };
    },
    outboxState(id) {
      return (
        (outboxRow.get(id) as
          { state: OutboxState; attempts: number; nextAttemptMs: number; lastError: string | null } | undefined) ?? null
      );
    },
  };
}
