import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger, type Logger } from '../../shared/ports/logger.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { exportZones } from '../../hub/mod.ts';
import type { Hub } from '../../hub/app.ts';
import type { Hq } from '../../hq/mod.ts';
import { STATUS_PAGE_PATH } from '../../hub/status/mod.ts';
import { runDoctor } from '../../provisioning/doctor/run-doctor.ts';
import { createSimulation } from '../sim/core/engine.ts';
import { scoreFlapping, scorePairs, type FlappingScore, type Score, type TruthPair } from '../sim/core/score.ts';
import { createLiveGateways, findGatewayConfigs, type LiveGatewaySet } from '../sim/live-gateways.ts';
import { loadStore } from '../sim/load-store.ts';
import type { StoreConfig } from '../sim/store-schema.ts';
import { DEMO_BRANDS } from './catalog.ts';
import { enrollDemoShoppers } from './demo-shoppers.ts';
import { provisionDemoStore, startDemoHq, startDemoHub } from './demo-store.ts';
import { walkStore } from './demo-walk.ts';
import { createApiClient } from './https-client.ts';
import { createShopperApp, type ShopperApp } from './shopper-app.ts';
import { summarise, type DemoSummary } from './summary.ts';

/**
 * `hushpoint demo`: the whole system on one machine. It provisions a temporary store (CA, hub
 * certificate, hub.yaml, one bundle per gateway), starts the hub and a local HQ collector, runs
 * the store's gateways in this process fed live by the simulator through noble's real parser,
 * and a simulated shopper app that enrolls shoppers, declares preferences and receives offers.
 *
 * Time: the store runs on simulated time (one store hour in about two minutes by default); the
 * hub, the gateways and the collector all read the same simulated clock. After the walk the
 * clock jumps to the night's release time, so the day's DP releases (footfall, store visits by
 * hour) fall due, are computed and synced upstream, exactly as the schedule would do it.
 */

export interface DemoOptions {
  storeFile: string;
  minutes: number;
  speed: number;
  seed: string;
  keepRunning: boolean;
  /** Progress lines (stderr with --json). */
  progress: (line: string) => void;
  /** Resolves when a --keep-running demo should stop (SIGINT/SIGTERM). */
  untilStopped?: () => Promise<void>;
  /**
   * Keep the hub's sightings and the simulator's truth in DIR/<seed>/ (the layout
   * `scripts/zone-accuracy.ts --from DIR` replays), to try presence-model settings on demo runs.
   */
  saveZones?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Yesterday at 11:00 UTC: inside every example store's opening hours, and in the past. */
function defaultStartMs(nowMs: number): number {
  return Math.floor(nowMs / 86_400_000) * 86_400_000 - 86_400_000 + 11 * 3_600_000;
}

/** One simulated clock for everybody: it follows the live run, and `jump` moves it past the walk for the overnight releases. */
function demoClock(startMs: number): { clock: Clock; follow(now: () => number): void; jump(ms: number): void } {
  let simulatedNow = (): number => startMs;
  let jumpMs = 0;
  return {
    clock: { now: () => simulatedNow() + jumpMs },
    follow(now) {
      simulatedNow = now;
    },
    jump(ms) {
      jumpMs = ms;
    },
  };
}

/** What runs while the demo does, stopped (in this order) by `cleanup`. */
interface Running {
  app: ShopperApp | null;
  live: LiveGatewaySet | null;
  hub: Hub | null;
  hq: Hq | null;
}

/** Stops what is running, newest first, then removes the demo's folder. */
async function stopAll(running: Running, options: { logger: Logger; work: string }): Promise<void> {
  running.app?.close();
  await running.live?.stop().catch(() => undefined);
  await running.hub?.stop().catch(() => undefined);
  await running.hq?.stop().catch(() => undefined);
  options.logger.flush();
  rmSync(options.work, { recursive: true, force: true });
}

/** The store's gateways from their provisioned bundles, to be fed live by the simulator (not started). */
function demoGateways(options: {
  storeDir: string;
  store: StoreConfig;
  stateDir: string;
  clock: Clock;
  logger: Logger;
}): LiveGatewaySet {
  const { setups, missing } = findGatewayConfigs(
    join(options.storeDir, 'gateways'),
    options.store.gateways.map((g) => g.id),
    options.stateDir,
  );
  if (missing.length > 0) throw new Error(`no bundle for gateways ${missing.join(', ')}`);
  return createLiveGateways(setups, { clock: options.clock, logger: options.logger.child({ component: 'gateways' }) });
}

/** After the walk: midnight has passed; the day's due releases are computed and sent upstream. Returns how many. */
async function releaseOvernight(hub: Hub, time: ReturnType<typeof demoClock>): Promise<number> {
  const endMs = time.clock.now();
  const nextMidnight = Math.floor(endMs / 86_400_000) * 86_400_000 + 86_400_000;
  // Past midnight and the releases' settle time, to when the release job runs (docs/privacy.md).
  time.jump(nextMidnight + hub.config.privacy.settleSeconds * 1000 + 20 * 60_000 - endMs);
  await hub.finalizePresence({ all: true });
  const released = await hub.privacy.runDue(time.clock.now());
  await hub.privacy.syncUpstream(time.clock.now());
  return released.computed.length;
}

/** The gateways' window (the provisioned default) and the simulator's truth windows. */
const DEMO_WINDOW_SECONDS = 10;

/** The hub's zone windows of the walk, in the simulator's shopper ids, scored against its truth. */
function scoreZones(
  hub: Hub,
  truth: TruthPair[],
  simIdOf: ReadonlyMap<string, string>,
  span: { startMs: number; endMs: number },
): Score & { flapping: FlappingScore } {
  const observed = [
    ...exportZones(hub.db, { from: Math.floor(span.startMs / 1000), to: Math.floor(span.endMs / 1000) + 1 }),
  ].map((row) => ({
    windowStart: row.windowStart,
    shopperId: simIdOf.get(row.shopperId) ?? row.shopperId,
    zone: row.zone,
  }));
  return { ...scorePairs(truth, observed), flapping: scoreFlapping(truth, observed, DEMO_WINDOW_SECONDS) };
}

/** Writes DIR/<seed>/{sightings,truth}.jsonl in simulator shopper ids and adds the seed to DIR/index.json. */
function saveZoneData(
  dir: string,
  options: {
    seed: string;
    minutes: number;
    hub: Hub;
    truth: readonly TruthPair[];
    simIdOf: ReadonlyMap<string, string>;
  },
): void {
  const seedDir = join(dir, options.seed);
  mkdirSync(seedDir, { recursive: true });
  const rows = options.hub.db
    .prepare(
      `SELECT s.window_start AS windowStart, s.window_seconds AS windowSeconds, p.id AS shopperId, s.gateway, s.zone, s.band, s.hits
      FROM sightings s JOIN shoppers p ON p.pk = s.shopper_pk ORDER BY s.window_start, p.id, s.gateway`,
    )
    .all() as Array<{ shopperId: string }>;
  const jsonl = (items: readonly object[]): string => items.map((item) => `${JSON.stringify(item)}\n`).join('');
  writeFileSync(
    join(seedDir, 'sightings.jsonl'),
    jsonl(rows.map((row) => ({ ...row, shopperId: options.simIdOf.get(row.shopperId) ?? row.shopperId }))),
  );
  writeFileSync(join(seedDir, 'truth.jsonl'), jsonl(options.truth));
  const indexFile = join(dir, 'index.json');
  const index = existsSync(indexFile)
    ? (JSON.parse(readFileSync(indexFile, 'utf8')) as { seeds: string[]; minutes: number })
    : { seeds: [], minutes: options.minutes };
  if (!index.seeds.includes(options.seed)) index.seeds.push(options.seed);
  writeFileSync(indexFile, JSON.stringify(index));
}

/** Cleans up and returns the summary, or with --keep-running returns it with the wait that stops and cleans up. */
async function finish(
  summary: DemoSummary,
  options: DemoOptions,
  store: { cleanup(): Promise<void>; technicianToken: string },
): Promise<DemoSummary> {
  const stopped = options.untilStopped;
  if (!options.keepRunning || stopped === undefined) {
    await store.cleanup();
    return summary;
  }
  options.progress(
    `keeping the store running: status page ${summary.statusPageUrl} (technician token in ${store.technicianToken}); Ctrl-C to stop`,
  );
  return {
    ...summary,
    keepRunning: async () => {
      await stopped();
      await store.cleanup();
    },
  };
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const wallStart = Date.now();
  const say = options.progress;
  const work = mkdtempSync(join(tmpdir(), 'hushpoint-demo-'));
  const storeDir = join(work, 'store');
  const logger: Logger = createLogger({
    level: 'info',
    destination: pino.destination({ dest: join(work, 'demo.log'), sync: false, mkdir: true }),
  });
  const store = loadStore(options.storeFile).config;
  const startMs = defaultStartMs(Date.now());
  const durationMs = options.minutes * 60_000;
  const rng = new SeededRandomSource(`demo:${options.seed}`);
  const time = demoClock(startMs);
  const { clock } = time;
  const running: Running = { app: null, live: null, hub: null, hq: null };
  const cleanup = (): Promise<void> => stopAll(running, { logger, work });

  try {
    // 1–3. The store as a technician provisions it, the local HQ, the hub.
    const ports = { mqtt: await freePort(), api: await freePort(), hq: await freePort() };
    say(`provisioning store "${store.store}" in ${storeDir}`);
    const init = await provisionDemoStore(store, storeDir, ports);
    const hq = await startDemoHq({
      dir: join(work, 'collector'),
      storeDir,
      store: store.store,
      port: ports.hq,
      clock,
      logger: logger.child({ component: 'collector' }),
    });
    running.hq = hq;
    const hub = await startDemoHub({
      init,
      storeDir,
      store,
      hqPort: ports.hq,
      startMs,
      clock,
      logger: logger.child({ component: 'hub' }),
    });
    running.hub = hub;
    const apiUrl = `https://localhost:${hub.ports.api ?? ports.api}`;
    const api = createApiClient({ baseUrl: apiUrl, caPem: readFileSync(join(storeDir, 'ca.pem'), 'utf8') });
    say(`hub up: MQTT over TLS on ${hub.ports.mqtts}, API on ${hub.ports.api}; collector on ${ports.hq}`);

    // 4. The simulated store and the shopper app: every opted-in shopper already uses the app.
    const sim = createSimulation({
      store,
      seed: options.seed,
      startMs,
      durationMs,
      windowSeconds: DEMO_WINDOW_SECONDS,
    });
    const app = createShopperApp({
      api,
      categories: [...new Set(store.zones.map((z) => z.id)), 'sale'],
      brands: DEMO_BRANDS,
      preferenceShare: 0.6,
      redeemChance: 0.3,
      rng: rng.fork('app'),
      actDelayMs: 200,
    });
    running.app = app;
    const adminToken = readFileSync(join(storeDir, 'admin.token'), 'utf8').trim();
    const shoppers = await enrollDemoShoppers({ sim, app, api, adminToken });
    say(
      `${shoppers.enrolled} app shoppers enrolled (${shoppers.detectable} with a phone or tag that can carry an EID; iOS in the background cannot)`,
    );

    // 5. The gateways from their provisioned bundles, fed live by the simulator.
    const live = demoGateways({ storeDir, store, stateDir: join(work, 'gateway-state'), clock, logger });
    running.live = live;
    await live.start();
    say(
      `${live.gateways.length} gateways connected; walking ${options.minutes} store minutes at ${options.speed}× (about ${Math.ceil(durationMs / options.speed / 1000)} s)`,
    );
    const truth = await walkStore({ sim, live, hub, app, speed: options.speed, clock, follow: time.follow, say });

    // 6. Overnight: the clock jumps past midnight and the releases' settle time (to when the
    // release job runs); every due release is computed and synced.
    const endMs = clock.now();
    say("store closed; overnight: computing the day's DP releases and sending them upstream");
    const released = await releaseOvernight(hub, time);

    // 7. The summary.
    const score = scoreZones(hub, truth, shoppers.simIdOf, { startMs, endMs });
    if (options.saveZones !== undefined)
      saveZoneData(options.saveZones, {
        seed: options.seed,
        minutes: options.minutes,
        hub,
        truth,
        simIdOf: shoppers.simIdOf,
      });
    const doctor = await runDoctor(init.hubConfig);
    const summary = await summarise({
      store: store.store,
      seed: options.seed,
      minutes: options.minutes,
      speed: options.speed,
      wallSeconds: (Date.now() - wallStart) / 1000,
      hub,
      collector: hq,
      score,
      simStats: sim.stats,
      released,
      shoppers: app.shoppers,
      detectable: shoppers.detectable,
      statusPageUrl: `${apiUrl}${STATUS_PAGE_PATH}`,
      doctor,
      nowMs: clock.now(),
      startMs,
    });
    return await finish(summary, options, { cleanup, technicianToken: join(storeDir, 'technician.token') });
  } catch (error) {
    await cleanup();
    throw error;
  }
}
