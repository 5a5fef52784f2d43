import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { openPostgresStore, openSqliteStore, type HqStore } from '../../hq/mod.ts';
import { publishReleases } from '../sim/chain/adapters/mqtt-publisher.ts';
import { simulateChain, type SimulatedChain } from '../sim/chain/chain.ts';
import { startPostgresCluster, type PostgresCluster } from '../dev/postgres-cluster.ts';
import { startTestMosquitto, type TestMosquitto } from '../dev/mosquitto.ts';
import { incomingOf, startTestHq } from '../../test/integration/hq-fixtures.ts';
import { leaveConsumer, startConsumerProcess, writeHqYaml } from '../../test/integration/hq-chain-fixtures.ts';
import { bareBatchedInsert } from './hq-baseline.ts';
import { median } from './stats.ts';

/**
 * `npm run bench -- hq [--json] [--runs N]` (docs/scale.md has the figures and what they mean)
 *
 *   ingestReleasesPerSec     releases stored per second by two HQ consumer processes
 *                            (`hushpoint hq consume`, 64 MQTT connections each, one shared
 *                            subscription) draining Mosquitto (TLS, persistence) into PostgreSQL:
 *                            50 stores × 28 days of simulated releases (≈ 22k), queued in the
 *                            consumers' sessions first so that the figure is HQ's, not the
 *                            publishers' (target ≥ 5,000/s)
 *   bareInsertReleasesPerSec the same rows by one client with multi-row INSERTs, 500 releases per
 *                            transaction, into an empty database of the same schema (baseline)
 *   ingestVsBareInsert       the ratio, per run, then the median (target ≥ 0.5)
 *   liveReleasesPerSec       end to end with the 50 stores publishing at the same time (the stores'
 *                            clients run in this process, on the same two cores)
 *   dashboardRenderMs        chromium: /dashboard for 50 stores × 90 days on PostgreSQL, from
 *                            navigation to every chart drawn (target ≤ 1,000 ms)
 *   dashboardRenderSqliteMs  the same page on SQLite
 *   dashboardApiMs           the seven view requests alone, from Node, on PostgreSQL
 *
 * Medians of `runs` interleaved runs (ingest, baseline, live; then the renders). The consumers
 * run under the development launcher (tsx); their steady state is the same JavaScript.
 */

const SIM = { stores: 50, seed: 'bench-hq', timeZone: 'Europe/Berlin' } as const;
const CONNECTIONS = 64;

async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Stores read through a fresh client, so that the count does not share the consumers' pool. */
async function countReleases(store: HqStore): Promise<number> {
  return (await store.counts()).releases;
}

export async function drainRun(
  cluster: PostgresCluster,
  broker: TestMosquitto,
  chain: SimulatedChain,
  run: number,
  progress: (line: string) => void,
): Promise<{ drain: number; live: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-hq-'));
  try {
    const publish = () =>
      publishReleases(chain.releases, {
        url: broker.url,
        ca: broker.caPem,
        passwordOf: (s) => broker.files.stores.get(s) as string,
        inFlight: 16,
      });
    // Drain: sessions subscribed, consumers away, every release queued, consumers back.
    const url = await cluster.createDatabase(`bench_drain_${run}`);
    const config = writeHqYaml(dir, { chain, broker, postgresUrl: url, connections: CONNECTIONS });
    const ids = [`b${run}-1`, `b${run}-2`];
    let consumers = await Promise.all(ids.map((id) => startConsumerProcess(config, id)));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // connections up, subscriptions in place
    await Promise.all(consumers.map((c) => c.kill('SIGTERM')));
    const sent = await publish();
    progress(`  queued ${sent.sent} releases in the broker in ${sent.seconds.toFixed(1)} s`);
    const store = await openPostgresStore(url, { poolSize: 1 });
    consumers = await Promise.all(ids.map((id) => startConsumerProcess(config, id)));
    await until(async () => (await countReleases(store)) > 0, 30_000, 'the first release');
    const t0 = performance.now();
    const n0 = await countReleases(store);
    await until(async () => (await countReleases(store)) >= chain.releases.length, 120_000, 'every release');
    const drain = (chain.releases.length - n0) / ((performance.now() - t0) / 1000);
    await Promise.all(consumers.map((c) => c.kill('SIGTERM')));
    await Promise.all(ids.map((id) => leaveConsumer(config, id))); // out of the group for the next phase
    await store.close();
    // Live: consumers up, stores publishing at the same time.
    const liveUrl = await cluster.createDatabase(`bench_live_${run}`);
    const liveConfig = writeHqYaml(dir, { chain, broker, postgresUrl: liveUrl, connections: CONNECTIONS });
    const liveIds = [`l${run}-1`, `l${run}-2`];
    const live = await Promise.all(liveIds.map((id) => startConsumerProcess(liveConfig, id)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const liveStore = await openPostgresStore(liveUrl, { poolSize: 1 });
    const started = performance.now();
    await publish();
    await until(async () => (await countReleases(liveStore)) >= chain.releases.length, 120_000, 'every live release');
    const liveRate = chain.releases.length / ((performance.now() - started) / 1000);
    await Promise.all(live.map((c) => c.kill('SIGTERM')));
    await Promise.all(liveIds.map((id) => leaveConsumer(liveConfig, id)));
    await liveStore.close();
    return { drain, live: liveRate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function renderRuns(
  stores: { pg: string; sqliteDir: string },
  chain: SimulatedChain,
  runs: number,
  progress: (line: string) => void,
) {
  const pgHq = await startTestHq({ chain, postgresUrl: stores.pg });
  const sqliteHq = await startTestHq({ chain, dir: stores.sqliteDir });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const pg: number[] = [];
  const sqlite: number[] = [];
  const api: number[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const render = async (base: string): Promise<number> => {
      await page.goto(`${base}/dashboard?from=2026-08-03&to=2026-10-31`);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
      return page.evaluate(() => (globalThis as unknown as { hqRenderedMs: number }).hqRenderedMs);
    };
    await render(pgHq.url); // warm: the first page load compiles the server's and the browser's code
    await render(sqliteHq.url);
    for (let i = 0; i < runs; i++) {
      pg.push(await render(pgHq.url));
      sqlite.push(await render(sqliteHq.url));
      const started = performance.now();
      await Promise.all(
        ['footfall', 'visits-by-hour', 'dwell', 'repeat-share', 'transitions', 'offer-lift', 'conversion'].map((v) =>
          fetch(`${pgHq.url}/v1/views/${v}?from=2026-08-03&to=2026-10-31`).then((r) => r.arrayBuffer()),
        ),
      );
      api.push(performance.now() - started);
      progress(
        `  render ${i + 1}: PostgreSQL ${pg[i]?.toFixed(0)} ms, SQLite ${sqlite[i]?.toFixed(0)} ms, API ${api[i]?.toFixed(0)} ms`,
      );
    }
  } finally {
    await browser.close();
    await pgHq.stop();
    await sqliteHq.stop();
  }
  return { pg: median(pg), sqlite: median(sqlite), api: median(api) };
}

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const cluster = await startPostgresCluster();
  const work = mkdtempSync(join(tmpdir(), 'hp-bench-hq-'));
  let broker: TestMosquitto | null = null;
  try {
    const ingestChain = simulateChain({ ...SIM, days: 28, start: { y: 2026, m: 11, d: 2 } });
    progress(`ingest: ${ingestChain.releases.length} releases from ${SIM.stores} stores over 28 days`);
    broker = await startTestMosquitto({
      stores: ingestChain.stores.map((s) => s.id),
      rng: new SeededRandomSource('bench-broker'),
    });
    const items = incomingOf(ingestChain.releases);
    const drains: number[] = [];
    const bares: number[] = [];
    const ratios: number[] = [];
    const lives: number[] = [];
    for (let run = 0; run < runs; run++) {
      const { drain, live } = await drainRun(cluster, broker, ingestChain, run, progress);
      const bareUrl = await cluster.createDatabase(`bench_bare_${run}`);
      const schema = await openPostgresStore(bareUrl);
      await schema.ingest(items.slice(0, 1), Date.now()); // schema and partitions in place; then empty again
      await schema.close();
      const { default: pgLib } = await import('pg');
      const cleaner = new pgLib.Client({ connectionString: bareUrl });
      await cleaner.connect();
      await cleaner.query('TRUNCATE release_keys, releases, cell_values');
      await cleaner.end();
      const bare = await bareBatchedInsert(bareUrl, items, 500);
      drains.push(drain);
      bares.push(bare);
      ratios.push(drain / bare);
      lives.push(live);
      progress(
        `run ${run + 1}: HQ ${drain.toFixed(0)}/s through the broker, bare INSERT ${bare.toFixed(0)}/s (×${(drain / bare).toFixed(2)}), live ${live.toFixed(0)}/s`,
      );
    }
    await broker.stop();
    broker = null;
    const dashboardChain = simulateChain({ ...SIM, days: 90, start: { y: 2026, m: 8, d: 3 } });
    progress(`dashboard: ${dashboardChain.releases.length} releases from ${SIM.stores} stores over 90 days`);
    const dashboardItems = incomingOf(dashboardChain.releases);
    const pgUrl = await cluster.createDatabase('bench_dashboard');
    const pgStore = await openPostgresStore(pgUrl);
    const sqliteStore = openSqliteStore(join(work, 'hq.db'));
    for (let i = 0; i < dashboardItems.length; i += 2000) {
      await pgStore.ingest(dashboardItems.slice(i, i + 2000), Date.now());
      await sqliteStore.ingest(dashboardItems.slice(i, i + 2000), Date.now());
    }
    await pgStore.close();
    await sqliteStore.close();
    const render = await renderRuns({ pg: pgUrl, sqliteDir: work }, dashboardChain, runs, progress);
    return {
      ingestReleasesPerSec: median(drains),
      bareInsertReleasesPerSec: median(bares),
      ingestVsBareInsert: median(ratios),
      liveReleasesPerSec: median(lives),
      ingestReleases: ingestChain.releases.length,
      dashboardRenderMs: render.pg,
      dashboardRenderSqliteMs: render.sqlite,
      dashboardApiMs: render.api,
      dashboardReleases: dashboardChain.releases.length,
    };
  } finally {
    await broker?.stop();
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
