import type { Database } from 'better-sqlite3';

/**
 * The presence model's zone per shopper-window, as the simulator's scorer reads it (JSONL):
 *   {"windowStart":1790000000,"shopperId":"s-001","zone":"produce"}
 * Ordered by window, then shopper id. `from`/`to` are Unix seconds (window starts, to exclusive).
 */
export interface ZoneWindowRow {
  windowStart: number;
  shopperId: string;
  zone: string;
}

export function* exportZones(db: Database, range: { from?: number; to?: number } = {}): Generator<ZoneWindowRow> {
  const statement = db.prepare(`SELECT z.window_start AS windowStart, s.id AS shopperId, z.zone AS zone
    FROM zone_windows z JOIN shoppers s ON s.pk = z.shopper_pk
    WHERE z.window_start >= ? AND z.window_start < ? ORDER BY z.window_start, s.id`);
  for (const row of statement.iterate(
    range.from ?? 0,
    range.to ?? Number.MAX_SAFE_INTEGER,
  ) as Iterable<ZoneWindowRow>) {
    yield { windowStart: row.windowStart, shopperId: row.shopperId, zone: row.zone };
  }
}
