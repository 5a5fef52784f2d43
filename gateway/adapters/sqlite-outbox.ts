import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';

/**
 * The durable outbox (docs/architecture.md#durability): every closed window is written here, with its `seq`, before
 * it is published, and deleted only when the hub's PUBACK arrives. The next `seq` and the last
 * stored window live in the same database, so both survive restarts and crashes. Bounded by age
 * and bytes: the oldest batches go first, and every drop is counted (for ever, in `meta`) and
 * reported to the caller. WAL with synchronous=NORMAL: a committed batch survives a process
 * crash (SIGKILL); a power cut may lose the last few.
 */

export interface OutboxBounds {
  maxAgeMs: number;
  maxBytes: number;
}

export interface OutboxEntry {
  seq: number;
  windowStart: number;
  payload: Buffer;
}

export interface DropReport {
  reason: 'age' | 'bytes';
  count: number;
  firstSeq: number;
  lastSeq: number;
}

const SCHEMA_VERSION = 1;

function storeError(path: string, what: string, error: unknown): AppError {
  return new AppError('STORE_FAILED', `outbox ${path}: ${what} failed (${(error as Error).message})`, {
    cause: error,
    details: { path },
  });
}

export class SqliteOutbox {
  readonly path: string;
  readonly #db: Database.Database;
  #bounds: OutboxBounds;
  #depth: number;
  #bytes: number;
  #nextSeq: number;
  #droppedTotal: number;
  #lastWindowStart: number;
  readonly #statements;

  private constructor(path: string, db: Database.Database, bounds: OutboxBounds) {
    this.path = path;
    this.#db = db;
    this.#bounds = bounds;
    this.#statements = {
      meta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE key = ?'),
      insert: db.prepare<[number, number, number, Buffer]>(
        'INSERT INTO batches (seq, window_start, created_ms, payload) VALUES (?, ?, ?, ?)',
      ),
      pending: db.prepare<[number, number], { seq: number; window_start: number; payload: Buffer }>(
        'SELECT seq, window_start, payload FROM batches WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      ack: db.prepare<[number], { size: number }>(
        'DELETE FROM batches WHERE seq = ? RETURNING length(payload) AS size',
      ),
      dropOld: db.prepare<[number], { seq: number; size: number }>(
        'DELETE FROM batches WHERE created_ms < ? RETURNING seq, length(payload) AS size',
      ),
      dropOldest: db.prepare<[], { seq: number; size: number }>(
        'DELETE FROM batches WHERE seq = (SELECT MIN(seq) FROM batches) RETURNING seq, length(payload) AS size',
      ),
      totals: db.prepare<[], { depth: number; bytes: number }>(
        'SELECT count(*) AS depth, COALESCE(SUM(length(payload)), 0) AS bytes FROM batches',
      ),
    };
    const totals = this.#statements.totals.get() as { depth: number; bytes: number };
    this.#depth = totals.depth;
    this.#bytes = totals.bytes;
    this.#nextSeq = this.#meta('next_seq');
    this.#droppedTotal = this.#meta('dropped_total');
    this.#lastWindowStart = this.#meta('last_window_start');
  }

  static open(path: string, bounds: OutboxBounds): SqliteOutbox {
    let db: Database.Database;
    try {
      if (path !== ':memory:') {
        mkdirSync(dirname(path), { recursive: true });
        // The outbox holds the windows not yet delivered: readable by the gateway's user only.
        closeSync(openSync(path, 'a', 0o600));
        chmodSync(path, 0o600);
      }
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // A delivered window is overwritten, not left in a free page: a stolen SD card holds only
      // what is still waiting (docs/security.md), and the WAL is cut back after each checkpoint.
      db.pragma('secure_delete = ON');
      db.pragma('journal_size_limit = 0');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 0) {
        db.exec(`
          CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
          CREATE TABLE batches (
            seq INTEGER PRIMARY KEY,
            window_start INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            payload BLOB NOT NULL
          ) STRICT;
          INSERT INTO meta (key, value) VALUES ('next_seq', 0), ('dropped_total', 0), ('last_window_start', -1);
          PRAGMA user_version = ${SCHEMA_VERSION};
        `);
      } else if (version !== SCHEMA_VERSION) {
        db.close();
        throw new AppError(
          'STORE_FAILED',
          `outbox ${path} has schema version ${version}, expected ${SCHEMA_VERSION} (written by a newer gateway?)`,
        );
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw storeError(path, 'open', error);
    }
    return new SqliteOutbox(path, db, bounds);
  }

  setBounds(bounds: OutboxBounds): void {
    this.#bounds = bounds;
  }

  /** Batches waiting for a PUBACK. */
  get depth(): number {
    return this.#depth;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Batches dropped by the bounds over the outbox's whole life. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Unix seconds of the newest window ever stored, or null for a new outbox. */
  get lastWindowStart(): number | null {
    return this.#lastWindowStart < 0 ? null : this.#lastWindowStart;
  }

  /**
   * Stores the next batch in one transaction: takes the next seq, builds the payload with it,
   * advances the seq and applies the bounds. Returns the seq and anything dropped.
   */
  append(windowStart: number, build: (seq: number) => Buffer, nowMs: number): { seq: number; drops: DropReport[] } {
    try {
      const result = this.#db.transaction(() => {
        const seq = this.#meta('next_seq');
        const payload = build(seq);
        this.#statements.insert.run(seq, windowStart, nowMs, payload);
        this.#statements.setMeta.run(seq + 1, 'next_seq');
        this.#statements.setMeta.run(windowStart, 'last_window_start');
        this.#depth++;
        this.#bytes += payload.length;
        return { seq, drops: this.#enforce(nowMs) };
      })();
      this.#nextSeq = result.seq + 1;
      this.#lastWindowStart = windowStart;
      return result;
    } catch (error) {
      this.#resync();
      throw storeError(this.path, 'append', error);
    }
  }

  /** Up to `limit` batches with seq > afterSeq, oldest first. */
  pending(afterSeq: number, limit: number): OutboxEntry[] {
    return this.#statements.pending
      .all(afterSeq, limit)
      .map((row) => ({ seq: row.seq, windowStart: row.window_start, payload: row.payload }));
  }

  /** Deletes an acknowledged batch; false if it was already gone (dropped or acked before). */
  ack(seq: number): boolean {
    const row = this.#statements.ack.get(seq);
    if (row === undefined) return false;
    this.#depth--;
    this.#bytes -= row.size;
    return true;
  }

  /** Applies the age and size bounds now (also done on every append). */
  enforceBounds(nowMs: number): DropReport[] {
    try {
      return this.#db.transaction(() => this.#enforce(nowMs))();
    } catch (error) {
      this.#resync();
      throw storeError(this.path, 'enforcing the bounds', error);
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** After a failed (rolled back) transaction, the counters are read back from the database. */
  #resync(): void {
    const totals = this.#statements.totals.get() as { depth: number; bytes: number };
    this.#depth = totals.depth;
    this.#bytes = totals.bytes;
    this.#droppedTotal = this.#meta('dropped_total');
  }

  #meta(key: string): number {
    return (this.#statements.meta.get(key) as { value: number }).value;
  }

  #enforce(nowMs: number): DropReport[] {
    const drops: DropReport[] = [];
    const old = this.#statements.dropOld.all(nowMs - this.#bounds.maxAgeMs);
    if (old.length > 0) drops.push(this.#account('age', old));
    const oversize: Array<{ seq: number; size: number }> = [];
    while (this.#bytes > this.#bounds.maxBytes) {
      const row = this.#statements.dropOldest.get();
      if (row === undefined) break;
      this.#depth--;
      this.#bytes -= row.size;
      oversize.push(row);
    }
    if (oversize.length > 0)
      drops.push({
        reason: 'bytes',
        count: oversize.length,
        firstSeq: (oversize[0] as { seq: number }).seq,
        lastSeq: (oversize.at(-1) as { seq: number }).seq,
      });
    if (drops.length > 0) {
      const total = drops.reduce((sum, d) => sum + d.count, 0);
      this.#droppedTotal = this.#meta('dropped_total') + total;
      this.#statements.setMeta.run(this.#droppedTotal, 'dropped_total');
    }
    return drops;
  }

  #account(reason: 'age', rows: Array<{ seq: number; size: number }>): DropReport {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      this.#depth--;
      this.#bytes -= row.size;
      first = Math.min(first, row.seq);
      last = Math.max(last, row.seq);
    }
    return { reason, count: rows.length, firstSeq: first, lastSeq: last };
  }
}
