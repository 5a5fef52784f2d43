import type { Database } from 'better-sqlite3';
import type { QuarantineInput } from '../core/status-view.ts';
import { EXCERPT_BYTES } from '../core/payload-excerpt.ts';

/**
 * Reads the hub's quarantine table for the status page: the count and the latest rows with
 * only the first bytes of each payload (SQLite's substr on a BLOB), never the whole payload.
 */
export interface QuarantineReader {
  total(): number;
  latest(limit: number): QuarantineInput[];
}

interface Row {
  received_ms: number;
  gateway: string;
  topic: string;
  problems: string;
  bytes: number;
  head: Buffer | string | null;
}

function parseProblems(text: string): QuarantineInput['problems'] {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value
      .filter((p): p is { path: unknown; message: unknown } => p !== null && typeof p === 'object')
      .map((p) => ({
        path: typeof p.path === 'string' ? p.path : '',
        message: typeof p.message === 'string' ? p.message : 'is invalid',
      }));
  } catch {
    return [{ path: '', message: 'reason not readable' }];
  }
}

export function createQuarantineReader(db: Database): QuarantineReader {
  const count = db.prepare('SELECT COUNT(*) AS n FROM quarantine');
  const latest = db.prepare(
    `SELECT received_ms, gateway, topic, problems, length(payload) AS bytes, substr(payload, 1, ${EXCERPT_BYTES + 1}) AS head FROM quarantine ORDER BY pk DESC LIMIT ?`,
  );
  return {
    total: () => (count.get() as { n: number }).n,
    latest: (limit) =>
      (latest.all(limit) as Row[]).map((row) => ({
        receivedMs: row.received_ms,
        gateway: row.gateway,
        topic: row.topic,
        problems: parseProblems(row.problems),
        bytes: row.bytes,
        head:
          row.head === null
            ? new Uint8Array(0)
            : typeof row.head === 'string'
              ? Buffer.from(row.head, 'utf8')
              : row.head,
      })),
  };
}
