import { resolve } from 'node:path';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../shared/ports/logger.ts';
import { CryptoRandomSource, type RandomSource } from '../shared/ports/random.ts';
import { encodePayload } from '../shared/protocol/codec.ts';
import type { GatewayStatus } from '../shared/protocol/messages.ts';
import { packageVersion } from '../shared/version.ts';
import type { GatewayConfig } from './config.schema.ts';
import { activeFaults } from './core/led-state.ts';
import { offlineStatus, type StatusIdentity } from './core/status-report.ts';
import { collectStats, newCounters, type GatewayCounters, type GatewayStats } from './gateway-stats.ts';
import type { BleSource, StatusLeds } from './ports.ts';
import {
  bleSourceFromConfig,
  createBleIntake,
  createBleWatchdog,
  createReplayEnd,
  type BleIntake,
  type BleWatchdog,
  type ReplayEnd,
} from './ble/mod.ts';
import { createOutboxHolder, createWindowStore, type OutboxHolder, type WindowStore } from './windows/mod.ts';
import {
  createHubConnection,
  createHubMessages,
  gatewayTopics,
  readHubSecrets,
  type GatewayTopics,
  type HubConnection,
  type HubMessages,
} from './link/mod.ts';
import { createHeartbeat, type Heartbeat } from './status/mod.ts';
import { createCommandHandler, createLiveReload } from './commands/mod.ts';
import { createStatusLights, type StatusLights } from './leds/mod.ts';
import { createMetricsServer, type MetricsServer } from './metrics/mod.ts';

/**
 * The gateway's composition root: BLE source → opt-in filter (in the source's callback) →
 * window coarsener → SQLite outbox → MQTT delivery, plus heartbeat, watchdog, commands and
 * LEDs. `wireGateway` hands each feature (ble/, windows/, link/, status/, commands/, leds/) the
 * typed deps it uses; the features never import this file. `createGateway(deps)` is also the
 * programmatic API the simulator and the demo use.
 */

export interface GatewayDeps {
  config: GatewayConfig;
  /** Resolves relative paths in the config (credential, CA, outbox, replay trace); default: from the working directory. */
  resolvePath?: (path: string) => string;
  /** Default: from `config.ble.source` (the real adapter or a replay). */
  ble?: BleSource;
  /** Wall clock: windows (unless the BLE source has its own timeline), heartbeats, watchdog. Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** Reconnect jitter. Default: CryptoRandomSource. */
  rng?: RandomSource;
  /** Default: johnny-five with the IO from `config.leds`; null for none. */
  leds?: StatusLeds | null;
  /** Re-reads the config file for the `reload` command; without it, `reload` answers "not available". */
  reloadConfig?: () => GatewayConfig;
  /** Resident set size in bytes, for the heartbeat. Default: process.memoryUsage.rss(). */
  rss?: () => number;
}

export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): GatewayStats;
  /** Closes every window that has ended by the clock now (the gateway also does this on a 250 ms timer). */
  tick(): void;
  /** The current status payload (what the next heartbeat would publish). */
  status(): GatewayStatus;
  /** For a replay source: settles after the last advert of the trace has been windowed and stored. */
  readonly replayFinished: Promise<void> | undefined;
  /** Where the Prometheus endpoint listens (null when `metrics.enabled` is false or before start). */
  metricsAddress(): { host: string; port: number } | null;
}

const TICK_MS = 250;
const WATCHDOG_TICK_MS = 1000;
const LED_TICK_MS = 500;

/** Where the gateway is in its life; the timers and the features' guards read it. */
interface Lifecycle {
  running: boolean;
  stopping: boolean;
  bleStarted: boolean;
  timers: NodeJS.Timeout[];
}

/** What every feature may be handed: the resolved deps, the identity, the counters, the lifecycle. */
interface Base {
  deps: GatewayDeps;
  /** The config, replaced by a reload (the features read it through `config()`). */
  settings: { config: GatewayConfig };
  config: () => GatewayConfig;
  clock: Clock;
  log: Logger;
  resolvePath: (path: string) => string;
  rss: () => number;
  ble: BleSource;
  identity: StatusIdentity;
  topics: GatewayTopics;
  counters: GatewayCounters;
  life: Lifecycle;
}

/** Everything wireGateway builds: what start, stop and stats use. */
interface Wiring extends Base {
  hub: HubConnection;
  outbox: OutboxHolder;
  windows: WindowStore;
  intake: BleIntake;
  watchdog: BleWatchdog;
  replay: ReplayEnd;
  messages: HubMessages;
  heartbeat: Heartbeat;
  lights: StatusLights;
  metrics: MetricsServer | null;
}

function baseOf(deps: GatewayDeps): Base {
  const settings = { config: deps.config };
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? silentLogger();
  const resolvePath = deps.resolvePath ?? ((path: string) => resolve(path));
  return {
    deps,
    settings,
    config: () => settings.config,
    clock,
    log,
    resolvePath,
    rss: deps.rss ?? (() => process.memoryUsage.rss()),
    ble: deps.ble ?? bleSourceFromConfig(deps.config, { resolvePath, clock, logger: log.child({ component: 'ble' }) }),
    identity: {
      gateway: deps.config.gateway,
      zone: deps.config.zone,
      version: packageVersion(),
      startedMs: clock.now(),
    },
    topics: gatewayTopics(deps.config.store, deps.config.gateway),
    counters: newCounters(),
    life: { running: false, stopping: false, bleStarted: false, timers: [] },
  };
}

function wireGateway(deps: GatewayDeps): Wiring {
  const base = baseOf(deps);
  const { config, clock, log, ble, identity, topics, counters, life } = base;
  const { store, gateway: gatewayId } = deps.config;

  // Built first, as the features below send through it; its callbacks run only once start has
  // opened and connected it, when everything here exists.
  const hub = createHubConnection({
    topics,
    gatewayId,
    will: encodePayload('GatewayStatus', offlineStatus(identity)),
    rng: deps.rng ?? new CryptoRandomSource(),
    logger: log,
    connected: () => {
      heartbeat.publish();
      lights.update();
    },
    disconnected: () => lights.update(),
    message: (topic, payload) => messages.onMessage(topic, payload),
  });
  const outbox = createOutboxHolder({ resolvePath: base.resolvePath, clock, logger: log });
  const windowClock = ble.clock ?? clock;
  const windows = createWindowStore({
    config,
    gatewayId,
    clock,
    windowClock,
    logger: log,
    counters,
    outbox,
    stored: () => hub.kick(),
  });
  const intake = createBleIntake({ clock, counters, sighting: windows.sighting });
  const watchdog = createBleWatchdog({ ble, clock, logger: log, counters, config, lastAdvertMs: intake.lastAdvertMs });
  const replay = createReplayEnd(ble, log);
  const messages = createHubMessages({
    topics,
    store,
    gatewayId,
    clock,
    logger: log,
    counters,
    command: (name, payload) => void command(name, payload),
  });
  const heartbeat = createHeartbeat({
    identity,
    clock,
    logger: log,
    topic: topics.status,
    hub,
    intervalSeconds: () => config().heartbeatSeconds,
    counters: () => ({
      advertsTotal: counters.adverts,
      windowsClosed: counters.windowsClosed,
      sightingsTotal: counters.sightingsTotal,
      outboxDepth: outbox.current?.depth ?? 0,
      outboxDropped: outbox.current?.droppedTotal ?? 0,
      adapterState: ble.adapterState(),
      resets: counters.resets,
      reconnects: hub.reconnects,
      clockOffsetMs: messages.clockOffsetMs(),
      rssBytes: base.rss(),
    }),
  });
  const lights = createStatusLights({
    clock,
    logger: log,
    stopping: () => life.stopping,
    state: () => {
      const adapterState = ble.adapterState();
      return {
        scanning: ble.scanning(),
        bleSilent: watchdog.silent,
        adapterOk: adapterState === 'poweredOn' || adapterState === 'replay',
        hubConnected: hub.connected,
        outboxDepth: outbox.current?.depth ?? 0,
        maxInFlight: config().outbox.maxInFlight,
        lastOutboxDropMs: outbox.lastDropMs(),
        clockOffsetMs: messages.clockOffsetMs(),
      };
    },
  });
  const reload = createLiveReload({
    read: deps.reloadConfig,
    current: config,
    logger: log,
    apply(next, live) {
      base.settings.config = next;
      windows.adjust(next.window);
      outbox.setBounds(next);
      hub.setMaxInFlight(next.outbox.maxInFlight);
      log.level = next.log.level;
      if (live.includes('/heartbeatSeconds') && life.running) heartbeat.start();
    },
  });
  const command = createCommandHandler({
    store,
    gatewayId,
    ble,
    clock,
    logger: log,
    counters,
    hub,
    reload,
    identify: (untilMs) => lights.identify(untilMs),
    status: () => ({ ...heartbeat.current(), faults: activeFaults(lights.inputs()) }),
  });
  return { ...base, hub, outbox, windows, intake, watchdog, replay, messages, heartbeat, lights, metrics: null };
}

/** Opens the outbox, the LEDs and the hub link, starts the BLE source, then the timers. */
async function startGateway(w: Wiring): Promise<void> {
  const { settings, log, ble, life } = w;
  const config = settings.config;
  const secrets = readHubSecrets(config, w.resolvePath);
  const outbox = w.outbox.open(config);
  w.windows.resumeAfter(outbox.lastWindowStart);
  await w.lights.open(w.deps.leds, config);
  w.lights.onButton(() => w.heartbeat.publish());
  w.hub.open(config, secrets, outbox);
  await ble.start(w.intake.sink);
  life.bleStarted = true;
  w.intake.restartSilenceClock();
  w.watchdog.reset();
  log.info({ source: ble.kind, adapterState: ble.adapterState() }, 'ble scanning');
  w.replay.follow({
    stopping: () => life.stopping,
    closeLastWindow: () => w.windows.flush(),
    windowsClosed: () => w.counters.windowsClosed,
  });
  w.hub.start();
  life.timers.push(
    setInterval(() => tick(w), TICK_MS),
    setInterval(() => {
      if (life.bleStarted && !life.stopping && !w.replay.ended) w.watchdog.check();
    }, WATCHDOG_TICK_MS),
  );
  if (w.lights.present) life.timers.push(setInterval(() => w.lights.update(), LED_TICK_MS));
  w.heartbeat.start();
  w.lights.update();
  await w.metrics?.start();
}

/** Stops the timers and the source, stores the partial window, says goodbye, closes the rest. */
async function cleanup(w: Wiring): Promise<void> {
  const { life, log } = w;
  await w.metrics?.stop();
  for (const timer of life.timers) clearInterval(timer);
  life.timers.length = 0;
  w.heartbeat.stop();
  if (life.bleStarted)
    await w.ble.stop().catch((error: unknown) => log.warn({ detail: (error as Error).message }, 'ble stop failed'));
  life.bleStarted = false;
  // The partial window heard so far is kept (the next start continues after it); a finished
  // replay has already closed its last window.
  if (!w.replay.ended) w.windows.flush();
  await w.hub.stop({
    topic: w.topics.status,
    payload: encodePayload('GatewayStatus', offlineStatus(w.identity, w.clock.now())),
  });
  await w.lights.close();
  w.outbox.close();
}

function tick(w: Wiring): void {
  if (!w.life.bleStarted || w.life.stopping) return;
  w.windows.closeEnded();
  w.outbox.enforceBoundsEveryMinute();
}

export function createGateway(deps: GatewayDeps): Gateway {
  const w = wireGateway(deps);
  const { life, log } = w;
  const stats = (): GatewayStats =>
    collectStats({
      running: life.running && !life.stopping,
      counters: w.counters,
      windows: w.windows,
      outbox: w.outbox.current,
      hub: w.hub,
      ble: w.ble,
      clockOffsetMs: w.messages.clockOffsetMs(),
    });
  const metrics = deps.config.metrics;
  if (metrics.enabled)
    w.metrics = createMetricsServer({
      host: metrics.host,
      port: metrics.port,
      stats,
      status: () => w.heartbeat.current(),
      logger: log.child({ component: 'metrics' }),
    });
  return {
    replayFinished: w.replay.finished,

    async start(): Promise<void> {
      if (life.running) return;
      life.running = true;
      life.stopping = false;
      const { store, gateway, zone } = w.settings.config;
      log.info({ store, gateway, zone, version: w.identity.version, source: w.ble.kind }, 'gateway starting');
      try {
        await startGateway(w);
      } catch (error) {
        life.stopping = true;
        await cleanup(w).catch(() => undefined);
        life.running = false;
        throw error;
      }
    },

    async stop(): Promise<void> {
      if (!life.running || life.stopping) return;
      life.stopping = true;
      await cleanup(w);
      life.running = false;
      log.info(
        { windowsClosed: w.counters.windowsClosed, outboxDepth: w.outbox.current?.depth ?? 0 },
        'gateway stopped',
      );
    },

    tick: () => tick(w),

    status: () => w.heartbeat.current(),

    stats,

    metricsAddress: () => w.metrics?.address() ?? null,
  };
}
