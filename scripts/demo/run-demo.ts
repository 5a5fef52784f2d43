import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseDocument, stringify } from 'yaml';
import { loadConfig } from '../../shared/config/load-config.ts';
import { createLogger, type Logger } from '../../shared/ports/logger.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { issueServerCertificate } from '../../shared/tls/certificates.ts';
import { exportZones, hubRole } from '../../hub/mod.ts';
import { createHub, type Hub } from '../../hub/app.ts';
import { createHq, hqRole, type Hq } from '../../hq/mod.ts';
import { STATUS_PAGE_PATH } from '../../hub/status/mod.ts';
import { addGatewayToStore, initStore } from '../../provisioning/mod.ts';
import { runDoctor } from '../../provisioning/doctor/run-doctor.ts';
import { createSimulation } from '../sim/core/engine.ts';
import { isDetectable } from '../sim/core/population.ts';
import { scorePairs, type TruthPair } from '../sim/core/score.ts';
import { runLive } from '../sim/live.ts';
import { createLiveGateways, findGatewayConfigs } from '../sim/live-gateways.ts';
import { loadStore } from '../sim/load-store.ts';
import { calibratedBands } from '../sim/calibration.ts';
import { DEMO_BRANDS, demoCatalog } from './catalog.ts';
import { createApiClient } from './https-client.ts';
import { createShopperApp } from './shopper-app.ts';
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

/** Reads a YAML file, applies `edit` to its document (keeping comments) and writes it back. */
function editYaml(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, doc.toString(), { mode: 0o600 });
}

/** Yesterday at 11:00 UTC: inside every example store's opening hours, and in the past. */
function defaultStartMs(nowMs: number): number {
  return Math.floor(nowMs / 86_400_000) * 86_400_000 - 86_400_000 + 11 * 3_600_000;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const wallStart = Date.now();
  const say = options.progress;
  const work = mkdtempSync(join(tmpdir(), 'hushpoint-demo-'));
  const storeDir = join(work, 'store');
  const logFile = join(work, 'demo.log');
  const logger: Logger = createLogger({
    level: 'info',
    destination: pino.destination({ dest: logFile, sync: false, mkdir: true }),
  });
  const store = loadStore(options.storeFile).config;
  const startMs = defaultStartMs(Date.now());
  const durationMs = options.minutes * 60_000;
  const rng = new SeededRandomSource(`demo:${options.seed}`);

  // One simulated clock for everybody; `jumpMs` moves it past the walk for the overnight releases.
  let simulatedNow = (): number => startMs;
  let jumpMs = 0;
  const clock: Clock = { now: () => simulatedNow() + jumpMs };

  let hub: Hub | null = null;
  let collector: Hq | null = null;
  let live: ReturnType<typeof createLiveGateways> | null = null;
  let app: ReturnType<typeof createShopperApp> | null = null;
  const cleanup = async (): Promise<void> => {
    app?.close();
    await live?.stop().catch(() => undefined);
    await hub?.stop().catch(() => undefined);
    await collector?.stop().catch(() => undefined);
    logger.flush();
    rmSync(work, { recursive: true, force: true });
  };

  try {
    // 1. Provision the store as a technician would: CA, hub certificate, hub.yaml, tokens, keys.
    const [mqttPort, apiPort, collectorPort] = [await freePort(), await freePort(), await freePort()];
    say(`provisioning store "${store.store}" in ${storeDir}`);
    const init = await initStore({
      store: store.store,
      out: storeDir,
      hostnames: ['localhost'],
      ips: ['127.0.0.1'],
      mqttPort,
      apiPort,
    });
    for (const g of store.gateways) {
      await addGatewayToStore({ storeDir, gateway: g.id, zone: g.zone, hubUrl: `mqtts://localhost:${mqttPort}` });
      // Calibration (docs/field-guide.md): band thresholds follow each receiver's gain, measured
      // on site with a reference tag; the simulator knows each gateway's offset exactly.
      const bands = calibratedBands(g);
      editYaml(join(storeDir, 'gateways', g.id, 'gateway.yaml'), (doc) => {
        doc.setIn(['window', 'nearDbm'], bands.nearDbm);
        doc.setIn(['window', 'midDbm'], bands.midDbm);
      });
    }

    // 2. The local HQ collector, with its own certificate from the store CA for the demo.
    const caPem = readFileSync(join(storeDir, 'ca.pem'), 'utf8');
    const collectorDir = join(work, 'collector');
    const collectorCert = issueServerCertificate(
      { certPem: caPem, keyPem: readFileSync(join(storeDir, 'ca-key.pem'), 'utf8') },
      { hostnames: ['localhost'], ips: ['127.0.0.1'] },
    );
    mkdirSync(collectorDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(collectorDir, 'collector-cert.pem'), collectorCert.certPem);
    writeFileSync(join(collectorDir, 'collector-key.pem'), collectorCert.keyPem, { mode: 0o600 });
    writeFileSync(
      join(collectorDir, 'collector.yaml'),
      stringify({
        role: 'hq',
        database: 'hq.db',
        listen: {
          host: '127.0.0.1',
          port: collectorPort,
          certFile: 'collector-cert.pem',
          keyFile: 'collector-key.pem',
        },
        stores: [{ id: store.store, signingKeyFile: join(storeDir, 'upstream-signing.key') }],
        log: { level: 'warn' },
      }),
    );
    const collectorConfig = loadConfig(hqRole, join(collectorDir, 'collector.yaml'));
    collector = createHq({
      config: collectorConfig.config,
      resolvePath: collectorConfig.resolvePath,
      clock,
      logger: logger.child({ component: 'collector' }),
    });
    await collector.start();

    // 3. The hub: the provisioned hub.yaml plus the demo's catalog and the upstream collector.
    writeFileSync(join(storeDir, 'catalog.yaml'), stringify(demoCatalog(store, startMs)));
    editYaml(init.hubConfig, (doc) => {
      doc.setIn(['upstream', 'enabled'], true);
      doc.setIn(['upstream', 'url'], `https://localhost:${collectorPort}/v1/releases`);
      doc.setIn(['upstream', 'caFile'], 'ca.pem');
      doc.setIn(['offers', 'catalogFile'], 'catalog.yaml');
      // A demo hour holds several visits per shopper; let more than one offer through.
      doc.setIn(['offers', 'caps', 'perDay'], 4);
      doc.setIn(['offers', 'caps', 'minGapSeconds'], 600);
    });
    const hubConfig = loadConfig(hubRole, init.hubConfig);
    hub = createHub({
      config: hubConfig.config,
      resolvePath: hubConfig.resolvePath,
      clock,
      logger: logger.child({ component: 'hub' }),
    });
    await hub.start();
    const apiUrl = `https://localhost:${hub.ports.api ?? apiPort}`;
    const api = createApiClient({ baseUrl: apiUrl, caPem });
    const adminToken = readFileSync(join(storeDir, 'admin.token'), 'utf8').trim();
    say(`hub up: MQTT over TLS on ${hub.ports.mqtts}, API on ${hub.ports.api}; collector on ${collectorPort}`);

    // 4. The simulated store and the shopper app: every opted-in shopper already uses the app.
    const sim = createSimulation({ store, seed: options.seed, startMs, durationMs, windowSeconds: 10 });
    const categories = [...new Set(store.zones.map((z) => z.id)), 'sale'];
    app = createShopperApp({
      api,
      categories,
      brands: DEMO_BRANDS,
      preferenceShare: 0.6,
      redeemChance: 0.3,
      rng: rng.fork('app'),
      actDelayMs: 200,
    });
    const optedIn = sim.shoppers.filter((s) => s.shopperId !== null && s.identityKey !== null);
    const hubIdOf = new Map<string, string>();
    const keys: Array<{ id: string; identityKey: string; exponent: number }> = [];
    for (const plan of optedIn) {
      const shopper = await app.enroll(plan.shopperId as string);
      hubIdOf.set(shopper.hubId, shopper.simId);
      // The phone in the simulator already has its key: the app hands it to the hub (admin import),
      // as a migration from an existing app install would.
      keys.push({
        id: shopper.hubId,
        identityKey: Buffer.from(plan.identityKey as Uint8Array).toString('hex'),
        exponent: plan.exponent,
      });
    }
    const imported = await api.call('POST', '/v1/admin/shoppers/import', {
      token: adminToken,
      body: { shoppers: keys },
    });
    if (imported.status !== 200)
      throw new Error(`shopper import failed with ${imported.status}: ${JSON.stringify(imported.body)}`);
    app.listen();
    const detectable = optedIn.filter((s) => isDetectable(s.kind)).length;
    say(
      `${optedIn.length} app shoppers enrolled (${detectable} with a phone or tag that can carry an EID; iOS in the background cannot)`,
    );

    // 5. The gateways from their provisioned bundles, fed live by the simulator.
    const { setups, missing } = findGatewayConfigs(
      join(storeDir, 'gateways'),
      store.gateways.map((g) => g.id),
      join(work, 'gateway-state'),
    );
    if (missing.length > 0) throw new Error(`no bundle for gateways ${missing.join(', ')}`);
    live = createLiveGateways(setups, { clock, logger: logger.child({ component: 'gateways' }) });
    await live.start();
    say(
      `${setups.length} gateways connected; walking ${options.minutes} store minutes at ${options.speed}× (about ${Math.ceil(durationMs / options.speed / 1000)} s)`,
    );

    const truth: TruthPair[] = [];
    const run = runLive(
      sim,
      {
        report: live.sink,
        truth: (record) =>
          truth.push({
            windowStart: record.windowStart,
            shopperId: record.shopperId,
            zone: record.zone,
            heardBy: record.heardBy,
          }),
      },
      { speed: options.speed },
    );
    simulatedNow = () => run.simulatedNow();
    const ticker = setInterval(() => {
      const s = hub?.stats();
      const received = app?.shoppers.reduce((n, shopper) => n + shopper.offersReceived, 0) ?? 0;
      say(
        `  store time ${new Date(clock.now()).toISOString().slice(11, 19)}  sightings ${s?.sightings ?? 0} (resolved ${s?.resolved ?? 0})  offers received by the apps ${received}`,
      );
    }, 5000);
    try {
      await run.done;
    } finally {
      clearInterval(ticker);
    }
    await live.drain(30_000);
    await hub.finalizePresence({ all: true });
    await app.settle();

    // 6. Overnight: the clock jumps past midnight and the releases' settle time (to when the
    // release job runs); every due release is computed and synced.
    const endMs = clock.now();
    const nextMidnight = Math.floor(endMs / 86_400_000) * 86_400_000 + 86_400_000;
    jumpMs = nextMidnight + hub.config.privacy.settleSeconds * 1000 + 20 * 60_000 - endMs;
    say("store closed; overnight: computing the day's DP releases and sending them upstream");
    await hub.finalizePresence({ all: true });
    const released = await hub.privacy.runDue(clock.now());
    await hub.privacy.syncUpstream(clock.now());

    // 7. The summary.
    const observed = [
      ...exportZones(hub.db, { from: Math.floor(startMs / 1000), to: Math.floor(endMs / 1000) + 1 }),
    ].map((row) => ({
      windowStart: row.windowStart,
      shopperId: hubIdOf.get(row.shopperId) ?? row.shopperId,
      zone: row.zone,
    }));
    const score = scorePairs(truth, observed);
    const doctor = await runDoctor(init.hubConfig);
    const summary = summarise({
      store: store.store,
      seed: options.seed,
      minutes: options.minutes,
      speed: options.speed,
      wallSeconds: (Date.now() - wallStart) / 1000,
      hub,
      collector,
      score,
      simStats: sim.stats,
      released: released.computed.length,
      shoppers: app.shoppers,
      detectable,
      statusPageUrl: `${apiUrl}${STATUS_PAGE_PATH}`,
      doctor,
      nowMs: clock.now(),
      startMs,
    });
    if (options.keepRunning && options.untilStopped) {
      say(
        `keeping the store running: status page ${summary.statusPageUrl} (technician token in ${join(storeDir, 'technician.token')}); Ctrl-C to stop`,
      );
      const stopped = options.untilStopped;
      return {
        ...summary,
        keepRunning: async () => {
          await stopped();
          await cleanup();
        },
      };
    }
    await cleanup();
    return summary;
  } catch (error) {
    await cleanup();
    throw error;
  }
}
