import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../../gateway/app.ts';
import { gatewayWorkspace, type GatewayWorkspace } from '../../gateway/testing/harness.ts';
import { exportZones, parseShopperImport, type HubConfig } from '../../hub/mod.ts';
import { startTestHub, type TestHub } from '../../test/helpers/hub-fixtures.ts';
import { generate } from '../sim/generate.ts';
import { loadStore } from '../sim/load-store.ts';
import { BASE_BANDS, calibratedBands } from '../sim/calibration.ts';
import type { StoreConfig } from '../sim/store-schema.ts';
import { scorePairs, type ObservedPair, type Score, type TruthPair } from '../sim/core/score.ts';

/**
 * The zone-accuracy pipeline, end to end: the simulator's store → one real gateway per trace
 * (noble's parser, opt-in filter, window coarsener, SQLite outbox, mqtt.js over TLS) → a real hub
 * (auth, durable ingest, EID resolution, presence model) → exported zones scored against the
 * simulator's truth. test/integration/hub-sim-accuracy.test.ts and scripts/zone-accuracy.ts
 * both run exactly this.
 *
 * Besides the score it returns what the hub received (one row per gateway sighting, by shopper
 * id) and the truth, so the presence model alone can be re-run on them (replay.ts) — the
 * gateways' output does not depend on the hub's model.
 */

export const SMALL_STORE = join(import.meta.dirname, '../stores/fashion-small.yaml');
/** The gateways' base band thresholds (calibrated per receiver: scripts/sim/calibration.ts). */
export const NEAR_DBM = BASE_BANDS.nearDbm;
export const MID_DBM = BASE_BANDS.midDbm;

export interface SightingRow {
  windowStart: number;
  windowSeconds: number;
  shopperId: string;
  gateway: string;
  zone: string;
  /** 0 near, 1 mid, 2 far. */
  band: number;
  hits: number;
}

export interface PipelineRun {
  seed: string;
  minutes: number;
  score: Score;
  hubStats: { batches: number; resolved: number; unresolved: number; quarantined: number };
  sightings: SightingRow[];
  truth: TruthPair[];
  observed: ObservedPair[];
}

export interface PipelineOptions {
  seed: string;
  minutes: number;
  storeFile?: string;
  /** Hub presence settings (the hub's defaults otherwise). */
  presence?: Partial<HubConfig['presence']>;
  /** The gateways' band thresholds before each receiver's offset (NEAR_DBM, MID_DBM by default). */
  nearDbm?: number;
  midDbm?: number;
  /** Keep the simulator's output, observed.jsonl and the hub database in this folder. */
  keepDir?: string;
}

export async function runZoneAccuracyPipeline(options: PipelineOptions): Promise<PipelineRun> {
  const simDir = mkdtempSync(join(tmpdir(), 'hp-sim-'));
  let hub: TestHub | null = null;
  let replay: ReplayedGateways | null = null;
  try {
    // Yesterday's lunchtime (UTC): the same time of day on every run, and never in the future.
    const startMs = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000 + 12 * 3_600_000;
    const store = loadStore(options.storeFile ?? SMALL_STORE).config;
    generate({ store, seed: options.seed, minutes: options.minutes, startMs, windowSeconds: 10 }, simDir);

    hub = await startTestHub({
      gateways: store.gateways.map((g) => ({ id: g.id, zone: g.zone })),
      // Only the explicit final pass closes windows, so the replay's pace does not matter.
      config: { presence: { ...options.presence, finalizeIntervalMs: 600_000 } },
    });
    hub.hub.shoppers.import(parseShopperImport(JSON.parse(readFileSync(join(simDir, 'shoppers.json'), 'utf8')), 9));
    replay = await replayTracesIntoHub(hub, store, simDir, {
      nearDbm: options.nearDbm ?? NEAR_DBM,
      midDbm: options.midDbm ?? MID_DBM,
    });

    await hub.hub.finalizePresence({ all: true });
    const observed: ObservedPair[] = [...exportZones(hub.hub.db)];
    const truth = readFileSync(join(simDir, 'truth.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as TruthPair);
    const sightings = hub.hub.db
      .prepare(
        `SELECT s.window_start AS windowStart, s.window_seconds AS windowSeconds, p.id AS shopperId, s.gateway, s.zone, s.band, s.hits
      FROM sightings s JOIN shoppers p ON p.pk = s.shopper_pk ORDER BY s.window_start, p.id, s.gateway`,
      )
      .all() as SightingRow[];
    if (options.keepDir !== undefined) {
      writeFileSync(
        join(options.keepDir, 'observed.jsonl'),
        observed.map((row) => `${JSON.stringify(row)}\n`).join(''),
      );
      writeFileSync(join(options.keepDir, 'truth.jsonl'), readFileSync(join(simDir, 'truth.jsonl')));
      writeFileSync(
        join(options.keepDir, 'sightings.jsonl'),
        sightings.map((row) => `${JSON.stringify(row)}\n`).join(''),
      );
      hub.hub.db.exec(`VACUUM INTO '${join(options.keepDir, 'hub.db')}'`);
    }
    const stats = hub.hub.stats();
    return {
      seed: options.seed,
      minutes: options.minutes,
      score: scorePairs(truth, observed),
      hubStats: {
        batches: stats.batches,
        resolved: stats.resolved,
        unresolved: stats.unresolved,
        quarantined: stats.quarantined,
      },
      sightings,
      truth,
      observed,
    };
  } finally {
    await replay?.stop();
    await hub?.stop();
    rmSync(simDir, { recursive: true, force: true });
  }
}

export interface ReplayedGateways {
  readonly gateways: readonly Gateway[];
  /** Stops the gateways and removes their workspaces. */
  stop(): Promise<void>;
}

/**
 * One real gateway per simulated trace in `simDir/traces` (noble's parser, opt-in filter, window
 * coarsener, SQLite outbox, mqtt.js over TLS to `hub`), with band thresholds calibrated per
 * receiver; resolves once every trace is replayed and every window is delivered.
 */
export async function replayTracesIntoHub(
  hub: TestHub,
  store: StoreConfig,
  simDir: string,
  bands: { nearDbm: number; midDbm: number } = BASE_BANDS,
): Promise<ReplayedGateways> {
  const caFile = join(simDir, 'ca.pem');
  writeFileSync(caFile, hub.caPem);
  const gateways: Gateway[] = [];
  const workspaces: GatewayWorkspace[] = [];
  const stop = async (): Promise<void> => {
    for (const gw of gateways) await gw.stop().catch(() => undefined);
    for (const ws of workspaces) ws.remove();
  };
  try {
    for (const g of store.gateways) {
      const ws = gatewayWorkspace(
        {
          gateway: g.id,
          zone: g.zone,
          hub: { url: hub.mqttsUrl(), caFile, serverName: 'localhost' },
          ble: { source: `replay:${join(simDir, 'traces', `${g.id}.jsonl`)}`, replaySpeed: 0 },
          window: { seconds: 10, ...calibratedBands(g, bands) },
        },
        { credential: hub.credentials.get(g.id) as string },
      );
      workspaces.push(ws);
      gateways.push(createGateway({ config: ws.config, resolvePath: ws.resolvePath, leds: null }));
    }
    await Promise.all(gateways.map((gw) => gw.start()));
    await Promise.all(gateways.map((gw) => gw.replayFinished));
    for (const gw of gateways) gw.tick();
    const deadline = Date.now() + 60_000;
    while (!gateways.every((gw) => gw.stats().outboxDepth === 0 && gw.stats().inFlight === 0)) {
      if (Date.now() > deadline) throw new Error('gateways did not deliver their outboxes within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { gateways, stop };
}
