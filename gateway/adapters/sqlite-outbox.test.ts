import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.ts';
import { SqliteOutbox } from './sqlite-outbox.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hp-outbox-'));
  dirs.push(dir);
  return join(dir, 'sub', 'outbox.db');
}

const BIG = { maxAgeMs: 3_600_000, maxBytes: 1_000_000 };
const payload = (seq: number, size = 10): Buffer => Buffer.from(`${seq}:`.padEnd(size, 'x'));

describe('SQLite outbox', () => {
  it('hands out seqs that survive closing and reopening, in WAL mode', () => {
    const path = dbPath();
    const a = SqliteOutbox.open(path, BIG);
    expect(a.lastWindowStart).toBeNull();
    expect([0, 1, 2].map((i) => a.append(100 + i * 10, payload, 1000).seq)).toEqual([0, 1, 2]);
    expect(a.ack(1)).toBe(true);
    expect(a.ack(1)).toBe(false);
    a.close();
    const b = SqliteOutbox.open(path, BIG);
    expect(b.nextSeq).toBe(3);
    expect(b.depth).toBe(2);
    expect(b.lastWindowStart).toBe(120);
    expect(b.pending(-1, 10).map((e) => [e.seq, e.windowStart, e.payload.toString()])).toEqual([
      [0, 100, '0:xxxxxxxx'],
      [2, 120, '2:xxxxxxxx'],
    ]);
    expect(b.pending(0, 10).map((e) => e.seq)).toEqual([2]);
    expect(b.append(130, payload, 1000).seq).toBe(3);
    b.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('drops the oldest batches past the byte bound, reports them and counts them for ever', () => {
    const path = dbPath();
    const outbox = SqliteOutbox.open(path, { maxAgeMs: 3_600_000, maxBytes: 100 });
    const drops = [];
    for (let i = 0; i < 12; i++) drops.push(...outbox.append(i, (seq) => payload(seq, 20), 1000).drops);
    expect(outbox.depth).toBe(5);
    expect(outbox.bytes).toBe(100);
    expect(drops).toEqual(
      Array.from({ length: 7 }, (_, i) => ({ reason: 'bytes', count: 1, firstSeq: i, lastSeq: i })),
    );
    expect(outbox.pending(-1, 100).map((e) => e.seq)).toEqual([7, 8, 9, 10, 11]);
    outbox.close();
    expect(SqliteOutbox.open(path, BIG).droppedTotal).toBe(7);
  });

  it('drops batches older than the age bound', () => {
    const outbox = SqliteOutbox.open(dbPath(), { maxAgeMs: 60_000, maxBytes: 1_000_000 });
    outbox.append(0, payload, 0);
    outbox.append(10, payload, 30_000);
    outbox.append(20, payload, 70_000);
    expect(outbox.depth).toBe(2);
    expect(outbox.enforceBounds(95_000)).toEqual([{ reason: 'age', count: 1, firstSeq: 1, lastSeq: 1 }]);
    expect(outbox.pending(-1, 10).map((e) => e.seq)).toEqual([2]);
    expect(outbox.droppedTotal).toBe(2);
  });

  it('keeps the seq when building the payload fails, and says which file failed', () => {
    const outbox = SqliteOutbox.open(dbPath(), BIG);
    expect(() =>
      outbox.append(
        0,
        () => {
          throw new Error('boom');
        },
        0,
      ),
    ).toThrow(/outbox .*outbox\.db: append failed \(boom\)/);
    expect(outbox.nextSeq).toBe(0);
    expect(outbox.append(0, payload, 0).seq).toBe(0);
  });

  it('refuses a database written by a newer schema', () => {
    const path = dbPath();
    SqliteOutbox.open(path, BIG).close();
    const raw = new Database(path);
    raw.pragma('user_version = 7');
    raw.close();
    const error = (() => {
      try {
        SqliteOutbox.open(path, BIG);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isAppError(error, 'STORE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/has schema version 7, expected 1/);
  });
});
