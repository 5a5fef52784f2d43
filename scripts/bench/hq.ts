import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { openPostgresStore, openSqliteStore, type HqStore } from '../../hq/mod.ts';
import { publishReleases } from '../sim/chain/adapters/mqtt-publisher.ts';
import { simulateChain, type SimulatedChain } from '../sim/chain/chain.ts';
import { startPostgresCluster, type PostgresCluster } from '../dev/postgres-cluster.ts';
import { startTestMosquitto } from '../dev/mosquitto.ts';
import { incomingOf, startTestHq } from '../../test/integration/hq-fixtures.ts';
import { startConsumerProcess, writeHqYaml } from '../../test/integration/hq-chain-fixtures.ts';
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
 *                            publishers'; timed from the first 10 % stored to the last, so that the
 *                            restarted processes' start-up and JIT warm-up are not counted
 *                            (target ≥ 5,000/s)
 *   bareInsertReleasesPerSec the same rows by one client with multi-row INSERTs, 500 releases per
 *                            transaction, into an empty database of the same schema (baseline)
 *   ingestVsBareInsert       the ratio, per run, then the median (target ≥ 0.5)
 *   liveReleasesPerSec       end to end: the next four weeks published by the 50 stores while the
 *                            same consumers run (the stores' clients run in this process, on the
 *                            same two cores)
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

/**
 * One interleaved run on a fresh broker and database: two consumer processes subscribe and stop;
 * chain A is queued in their sessions; they come back and drain it (the ingest figure); then,
 * with them running, the stores publish chain B (the next four weeks) live.
 */
export async function ingestRun(
  cluster: PostgresCluster,
  chains: { queued: SimulatedChain; live: SimulatedChain },
  run: number,
  progress: (line: string) => void,
): Promise<{ drain: number; live: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-hq-'));
  const broker = await startTestMosquitto({
    stores: chains.queued.stores.map((s) => s.id),
    rng: new SeededRandomSource(`bench-broker-${run}`),
  });
  const consumers: Array<Awaited<ReturnType<typeof startConsumerProcess>>> = [];
  try {
    const publish = (chain: SimulatedChain) =>
      publishReleases(chain.releases, {
        url: broker.url,
        ca: broker.caPem,
        passwordOf: (s) => broker.files.stores.get(s) as string,
        inFlight: 16,
      });
    const url = await cluster.createDatabase(`bench_ingest_${run}`);
    const config = writeHqYaml(dir, { chain: chains.queued, broker, postgresUrl: url, connections: CONNECTIONS });
    const ids = ['c1', 'c2'];
    const first = await Promise.all(ids.map((id) => startConsumerProcess(config, id)));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // connections up, subscriptions in place
    await Promise.all(first.map((c) => c.kill('SIGTERM')));
    const sent = await publish(chains.queued);
    progress(`  queued ${sent.sent} releases in the broker in ${sent.seconds.toFixed(1)} s`);
    const store = await openPostgresStore(url, { poolSize: 1 });
    try {
      consumers.push(...(await Promise.all(ids.map((id) => startConsumerProcess(config, id)))));
      const total = chains.queued.releases.length;
      // Steady state: from the first 10 % stored (the restarted processes have compiled their hot
      // paths by then) to the last.
      await until(async () => (await countReleases(store)) >= total / 10, 30_000, 'the first tenth');
      const t0 = performance.now();
      const n0 = await countReleases(store);
      await until(async () => (await countReleases(store)) >= total, 120_000, 'every queued release');
      const drain = (total - n0) / ((performance.now() - t0) / 1000);
      const started = performance.now();
      await publish(chains.live);
      const all = total + chains.live.releases.length;
      await until(async () => (await countReleases(store)) >= all, 120_000, 'every live release');
      const live = chains.live.releases.length / ((performance.now() - started) / 1000);
      return { drain, live };
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all(consumers.map((c) => c.kill('SIGTERM')));
    await broker.stop();
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
  try {
    const ingestChain = simulateChain({ ...SIM, days: 28, start: { y: 2026, m: 11, d: 2 } });
    const liveChain = simulateChain({ ...SIM, days: 28, start: { y: 2026, m: 11, d: 30 } });
    progress(
      `ingest: ${ingestChain.releases.length} + ${liveChain.releases.length} releases from ${SIM.stores} stores over 4 + 4 weeks`,
    );
    const items = incomingOf(ingestChain.releases);
    const drains: number[] = [];
    const bares: number[] = [];
    const ratios: number[] = [];
    const lives: number[] = [];
    for (let run = 0; run < runs; run++) {
      const { drain, live } = await ingestRun(cluster, { queued: ingestChain, live: liveChain }, run, progress);
      const bareUrl = await cluster.createDatabase(`bench_bare_${run}`);
      const schema = await openPostgresStore(bareUrl);
      await schema.ingest(items.slice(0, 1), Date.now()); // schema and partitions in place; then empty again
      await schema.close();
      const cleaner = new pg.Client({ connectionString: bareUrl });
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
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
