import type { Database } from 'better-sqlite3';

/**
 * Operational counters, persisted in SQLite so `hushpoint hub stats` can read them from another
 * process. Increments are buffered in memory and written by `flush` — by the ingest inside the
 * same transaction as the batch they count (so the counts and the data agree after a crash),
 * and by a timer for the rest.
 */
export const COUNTER_NAMES = [
  'batches',
  'duplicateBatches',
  'sightings',
  'resolved',
  'unresolved',
  'pausedDiscarded',
  'noConsentDiscarded',
  'lateSightings',
  'quarantined',
  'ingestErrors',
  'statusMessages',
  'commandReplies',
  'refusedConnections',
  'refusedPublishes',
  'refusedSubscriptions',
  'oversizedPackets',
  'rateLimited',
  'windowsFinalized',
  'retentionRuns',
  'retentionDeletedRows',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export class Counters {
  readonly #pending = new Map<CounterName, number>();
  readonly #upsert;

  constructor(db: Database) {
    this.#upsert = db.prepare(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value',
    );
  }

  add(name: CounterName, n = 1): void {
    if (n !== 0) this.#pending.set(name, (this.#pending.get(name) ?? 0) + n);
  }

  /** The buffered increments, to restore if the transaction they belong to rolls back. */
  snapshot(): ReadonlyMap<CounterName, number> {
    return new Map(this.#pending);
  }

  restore(snapshot: ReadonlyMap<CounterName, number>): void {
    this.#pending.clear();
    for (const [name, n] of snapshot) this.#pending.set(name, n);
  }

  /** Writes the buffered increments; call inside a transaction or on its own. */
  flush(): void {
    for (const [name, n] of this.#pending) this.#upsert.run(name, n);
    this.#pending.clear();
  }
}

export function readCounters(db: Database): Record<CounterName, number> {
  const out = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Record<CounterName, number>;
  for (const row of db.prepare('SELECT name, value FROM counters').all() as Array<{ name: string; value: number }>) {
    if ((COUNTER_NAMES as readonly string[]).includes(row.name)) out[row.name as CounterName] = row.value;
  }
  return out;
}
