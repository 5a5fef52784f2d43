import pg from 'pg';
import { cellValueRows, type IncomingRelease } from '../../hq/storage/mod.ts';

/**
 * The benchmark's baseline: the same rows HQ writes for a release (its key, its bytes, its
 * "cells" values), inserted by one client with plain multi-row `INSERT … VALUES` statements, one
 * transaction per batch — no broker, no decoding, no idempotency check. What PostgreSQL itself can
 * take on this machine, measured in the same run as HQ's ingest.
 */

function valuesClause(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < columns; c++) cells.push(`$${r * columns + c + 1}`);
    out.push(`(${cells.join(',')})`);
  }
  return out.join(',');
}

async function insertRows(
  client: pg.Client,
  table: string,
  columns: readonly string[],
  rows: unknown[][],
): Promise<void> {
  const perStatement = Math.floor(60_000 / columns.length);
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    await client.query(
      `INSERT INTO ${table} (${columns.join(',')}) VALUES ${valuesClause(chunk.length, columns.length)}`,
      chunk.flat(),
    );
  }
}

/** Inserts every release's rows in batches of `batch`; returns releases per second. */
export async function bareBatchedInsert(
  url: string,
  items: readonly IncomingRelease[],
  batch: number,
): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < items.length; i += batch) {
      const part = items.slice(i, i + batch);
      const now = Date.now();
      await client.query('BEGIN');
      await insertRows(
        client,
        'release_keys',
        ['store', 'release_id', 'sha256', 'kind', 'window_start', 'received_ms', 'deliveries'],
        part.map((x) => [
          x.normalized.store,
          x.normalized.release,
          x.sha256,
          x.normalized.kind,
          x.normalized.window.startUnix,
          now,
          1,
        ]),
      );
      await insertRows(
        client,
        'releases',
        [
          'window_start',
          'window_end',
          'store',
          'release_id',
          'kind',
          'version',
          'window_unit',
          'window_label',
          'local_start',
          'budget_period',
          'source',
          'received_ms',
          'body',
        ],
        part.map((x) => {
          const r = x.normalized;
          return [
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
            'mqtt',
            now,
            x.body,
          ];
        }),
      );
      await insertRows(
        client,
        'cell_values',
        [
          'window_start',
          'store',
          'release_id',
          'kind',
          'metric',
          'cell',
          'window_unit',
          'window_label',
          'local_start',
          'value',
          'granularity',
          'variance',
        ],
        part
          .flatMap((x) => cellValueRows(x.normalized))
          .map((c) => [
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
          ]),
      );
      await client.query('COMMIT');
    }
    return items.length / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
  }
}
