import type { Database } from 'better-sqlite3';
import { readCounters, type CounterName } from '../storage/mod.ts';
import { gatewaysOnline } from '../broker/mod.ts';

/** What `hushpoint hub stats` prints: the persisted counters plus a few live numbers from the tables. */
export type HubStats = Record<CounterName, number> & {
  gatewaysOnline: number;
  gatewaysRegistered: number;
};

export function readStats(db: Database): HubStats {
  const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  return {
    ...readCounters(db),
    gatewaysOnline: gatewaysOnline(db),
    gatewaysRegistered: count('SELECT COUNT(*) AS n FROM gateways WHERE revoked_ms IS NULL'),
  };
}
