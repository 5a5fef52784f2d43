import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A throw-away PostgreSQL cluster for tests and benchmarks, the way .ci/run starts one: Debian's
 * `postgresql` binaries (/usr/lib/postgresql/<version>/bin), initdb into a temporary directory,
 * a unix socket in that directory and TCP on 127.0.0.1 at a free port, trust authentication
 * (nothing else can reach it). As root (CI) the server runs as the `postgres` user via runuser,
 * since PostgreSQL refuses to run as root. `stop()` removes everything.
 *
 *   const pg = await startPostgresCluster();   // pg.url = postgres://postgres@127.0.0.1:PORT/postgres
 *   …; await pg.restart(); …; await pg.stop();
 */

const run = promisify(execFile);

export interface PostgresCluster {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** A new empty database on the cluster; its URL. */
  createDatabase(name: string): Promise<string>;
  /** pg_ctl restart -m fast: every connection is cut, as when an operator restarts the service. */
  restart(): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPostgresCluster(options: { fsync?: boolean } = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (bin === null) {
    throw new Error(
      "PostgreSQL is not installed: expected Debian's postgresql package (/usr/lib/postgresql/<version>/bin); apt-get install postgresql, or set HUSHPOINT_TEST_PG_URL",
    );
  }
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'hp-pg-'));
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), 0);
  const dataDir = join(dir, 'data');
  const exec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  await exec('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const serverOptions = [
    `-k ${dir}`,
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=100',
    ...(options.fsync === false ? ['-c fsync=off'] : []),
  ].join(' ');
  const start = () =>
    exec('pg_ctl', ['-D', dataDir, '-o', serverOptions, '-l', join(dir, 'server.log'), '-w', 'start']);
  const stopServer = async () => {
    await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
        throw new RangeError(`database name "${name}" is not a plain identifier`);
      await exec('psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-qc', `CREATE DATABASE ${name}`]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart() {
      await exec('pg_ctl', [
        '-D',
        dataDir,
        '-m',
        'fast',
        '-o',
        serverOptions,
        '-l',
        join(dir, 'server.log'),
        '-w',
        'restart',
      ]);
    },
    stopServer,
    async startServer() {
      await start();
    },
    async stop() {
      await stopServer().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
