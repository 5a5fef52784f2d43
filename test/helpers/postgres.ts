import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresCluster, type PostgresCluster } from '../../scripts/dev/postgres-cluster.ts';

/**
 * PostgreSQL for tests. CI (.ci/run) starts one throw-away cluster and exports its URL as
 * HUSHPOINT_TEST_PG_URL; each test file then gets its own fresh database on it. Without that
 * variable (a developer machine) the test file starts its own throw-away cluster with Debian's
 * binaries (scripts/dev/postgres-cluster.ts) — or fails saying what is missing. Never skipped.
 */

export interface TestPostgres {
  /** A fresh, empty database; its URL. */
  database(): Promise<string>;
  /** The cluster this file started (null when CI's shared one is used: it must not be restarted). */
  readonly cluster: PostgresCluster | null;
  stop(): Promise<void>;
}

export async function testPostgres(options: { ownCluster?: boolean } = {}): Promise<TestPostgres> {
  const shared = process.env.HUSHPOINT_TEST_PG_URL;
  let cluster: PostgresCluster | null = null;
  let adminUrl: string;
  if (shared !== undefined && shared !== '' && options.ownCluster !== true) {
    adminUrl = shared;
  } else {
    try {
      cluster = await startPostgresCluster();
    } catch (error) {
      throw new Error(
        `No PostgreSQL for the tests: HUSHPOINT_TEST_PG_URL is unset and a throw-away cluster could not start (${(error as Error).message}). Install Debian's postgresql package or export HUSHPOINT_TEST_PG_URL (.ci/run does).`,
        { cause: error },
      );
    }
    adminUrl = cluster.url;
  }
  const created: string[] = [];
  return {
    cluster,
    async database() {
      const name = `hq_test_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (cluster !== null) {
        await cluster.stop();
        return;
      }
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
