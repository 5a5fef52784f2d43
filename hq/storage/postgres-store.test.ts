import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateChain } from '../../scripts/sim/chain/chain.ts';
import { testPostgres, type TestPostgres } from '../../test/helpers/postgres.ts';
import { hqStoreContract, incoming } from './hq-store.contract.ts';
import { openPostgresStore } from './postgres-store.ts';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await testPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

hqStoreContract('postgres', async () => openPostgresStore(await postgres.database()));

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL HQ store', () => {
  it('migrates once under concurrent start-up and partitions releases and values by month', async () => {
    const url = await postgres.database();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    const chain = simulateChain({
      stores: 1,
      days: 6,
      seed: 'pg-partitions',
      start: { y: 2026, m: 11, d: 27 },
      timeZone: 'Europe/Berlin',
    });
    const half = Math.floor(chain.releases.length / 2);
    await Promise.all([
      a.ingest(chain.releases.slice(0, half).map(incoming), 1),
      b.ingest(chain.releases.slice(half).map(incoming), 2),
    ]);
    const versions = await query<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual([1]);
    const partitions = await query<{ name: string }>(
      url,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname IN ('releases', 'cell_values') ORDER BY 1`,
    );
    expect(partitions.map((p) => p.name)).toEqual([
      'cell_values_y2026m11',
      'cell_values_y2026m12',
      'releases_y2026m11',
      'releases_y2026m12',
    ]);
    // A view of one month reads one partition (pruning on window_start).
    const plan = await query<{ 'QUERY PLAN': string }>(
      url,
      `EXPLAIN SELECT SUM(value) FROM cell_values WHERE kind = 'footfall' AND window_start >= 1796083200 AND window_start < 1798761600`,
    );
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/cell_values_y2026m12/);
    expect(text).not.toMatch(/cell_values_y2026m11/);
    expect((await a.counts()).releases).toBe(chain.releases.length);
    await Promise.all([a.close(), b.close()]);
  });

  it('two writers racing on the same releases store each once; every copy is counted', async () => {
    const url = await postgres.database();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    const chain = simulateChain({
      stores: 4,
      days: 2,
      seed: 'pg-race',
      start: { y: 2026, m: 11, d: 2 },
      timeZone: 'Europe/Berlin',
    });
    const items = chain.releases.map(incoming);
    const reversed = [...items].reverse();
    const results = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => a.ingest(items.slice(i * 60, i * 60 + 200), 1)),
      ...Array.from({ length: 4 }, (_, i) => b.ingest(reversed.slice(i * 60, i * 60 + 200), 2)),
    ]);
    const outcomes = results.flat();
    const stored = outcomes.filter((o) => o === 'stored').length;
    const counts = await a.counts();
    expect(counts.releases).toBe(stored);
    expect(counts.duplicates).toBe(outcomes.length - stored);
    expect(outcomes).not.toContain('mismatch');
    await Promise.all([a.close(), b.close()]);
  });

  it('fails a write while PostgreSQL is down (STORE_FAILED, nothing kept) and works again after it is back', async () => {
    const own = await testPostgres({ ownCluster: true });
    try {
      const store = await openPostgresStore(await own.database());
      const chain = simulateChain({
        stores: 1,
        days: 1,
        seed: 'pg-down',
        start: { y: 2026, m: 11, d: 2 },
        timeZone: 'UTC',
      });
      const items = chain.releases.map(incoming);
      await store.ingest(items.slice(0, 5), 1);
      await own.cluster!.stopServer();
      await expect(store.ingest(items.slice(5, 10), 2)).rejects.toMatchObject({ code: 'STORE_FAILED' });
      await own.cluster!.startServer();
      expect(await store.ingest(items.slice(5, 10), 3)).toEqual(items.slice(5, 10).map(() => 'stored'));
      expect((await store.counts()).releases).toBe(10);
      await store.close();
    } finally {
      await own.stop();
    }
  });
});
