import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, isAppError } from '../shared/errors.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../shared/ports/logger.ts';
import { CryptoRandomSource, type RandomSource } from '../shared/ports/random.ts';
import { decodePayload, encodePayload } from '../shared/protocol/codec.ts';
import type { GatewayStatus } from '../shared/protocol/messages.ts';
import {
  clockTopic,
  filters,
  parseTopic,
  presenceTopic,
  PROTOCOL_VERSION,
  replyTopic,
  statusTopic,
} from '../shared/protocol/topics.ts';
import { packageVersion } from '../shared/version.ts';
import type { GatewayConfig } from './config.schema.ts';
import { applyLiveSettings, changedSettings, splitReload } from './core/config-reload.ts';
import { parseCommand, replyError, replyOk } from './core/commands.ts';
import { activeFaults, ledPattern, type LedInputs } from './core/led-state.ts';
import {
  initialMark,
  offlineStatus,
  onlineStatus,
  type AdapterState,
  type HeartbeatMark,
  type StatusIdentity,
} from './core/status-report.ts';
import { initialWatchdogState, watchdogCheck, type WatchdogState } from './core/watchdog.ts';
import { WindowCoarsener, type ClosedWindow } from './core/window-coarsener.ts';
import { HubLink } from './adapters/hub-link.ts';
import { JohnnyFiveLeds } from './adapters/johnny-five-leds.ts';
import { NobleSource } from './adapters/noble-source.ts';
import { ReplaySource } from './adapters/replay-source.ts';
import { SqliteOutbox, type DropReport } from './adapters/sqlite-outbox.ts';
import type { BleSink, BleSource, StatusLeds } from './ports.ts';
import { Delivery } from './services/delivery.ts';

/**
 * The gateway's composition root: BLE source → opt-in filter (in the source's callback) →
 * window coarsener → SQLite outbox → MQTT delivery, plus heartbeat, watchdog, commands and
 * LEDs. `createGateway(deps)` is also the programmatic API the simulator and the demo use.
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

export interface GatewayStats {
  running: boolean;
  /** Every advertising report heard (opt-in or not). */
  adverts: number;
  /** Opt-in frames that passed the filter. */
  optInAdverts: number;
  /** Opt-in adverts not counted because a window held maxEids EIDs. */
  overflowAdverts: number;
  /** Opt-in adverts older than the open window. */
  lateAdverts: number;
  windowsClosed: number;
  windowsLost: number;
  lastWindow: { windowStart: number; sightings: number; dropped: number } | null;
  openWindowEids: number;
  nextSeq: number;
  outboxDepth: number;
  outboxBytes: number;
  outboxDropped: number;
  acked: number;
  inFlight: number;
  hubConnected: boolean;
  reconnects: number;
  adapterState: AdapterState;
  scanning: boolean;
  scanRestarts: number;
  resets: number;
  clockOffsetMs: number | null;
  bleCacheEntries: number;
  commands: number;
  rejectedMessages: number;
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
}

const TICK_MS = 250;
const WATCHDOG_TICK_MS = 1000;
const LED_TICK_MS = 500;
const BOUNDS_EVERY_MS = 60_000;

function readSecret(path: string, pointer: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError(
      'CFG_INVALID',
      `${pointer} "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
  const secret = text.trim();
  if (secret.length === 0)
    throw new AppError('CFG_INVALID', `${pointer} "${path}" is empty, expected the gateway's credential`);
  return secret;
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new AppError(
      'CFG_INVALID',
      `/hub/caFile "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
}

/** The BLE source a config asks for. */
export function bleSourceFromConfig(
  config: GatewayConfig,
  options: { resolvePath: (path: string) => string; clock: Clock; logger: Logger },
): BleSource {
  if (config.ble.source === 'noble')
    return new NobleSource({ adapterIndex: config.ble.adapterIndex, clock: options.clock, logger: options.logger });
  const file = options.resolvePath(config.ble.source.slice('replay:'.length));
  return new ReplaySource({ file, speed: config.ble.replaySpeed, clock: options.clock, logger: options.logger });
}

export function createGateway(deps: GatewayDeps): Gateway {
  let config = deps.config;
  const { store, gateway: gatewayId } = config;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? silentLogger();
  const rng = deps.rng ?? new CryptoRandomSource();
  const resolvePath = deps.resolvePath ?? ((path: string) => resolve(path));
  const rss = deps.rss ?? (() => process.memoryUsage.rss());
  const ble = deps.ble ?? bleSourceFromConfig(config, { resolvePath, clock, logger: log.child({ component: 'ble' }) });
  const windowClock = ble.clock ?? clock;
  const identity: StatusIdentity = {
    gateway: gatewayId,
    zone: config.zone,
    version: packageVersion(),
    startedMs: clock.now(),
  };
  const topics = {
    presence: presenceTopic(store, gatewayId),
    status: statusTopic(store, gatewayId),
    clock: clockTopic(store),
    commands: filters.gatewayCommands(store, gatewayId),
  };

  let outbox: SqliteOutbox | undefined;
  let link: HubLink | undefined;
  let delivery: Delivery | undefined;
  let leds: StatusLeds | null = null;
  let coarsener: WindowCoarsener | undefined;
  let notBeforeMs = 0;
  let running = false;
  let stopping = false;
  let bleStarted = false;
  let replayEnded = false;
  const timers: NodeJS.Timeout[] = [];
  let heartbeatTimer: NodeJS.Timeout | undefined;

  const counters = {
    adverts: 0,
    optInAdverts: 0,
    overflowAdverts: 0,
    windowsClosed: 0,
    windowsLost: 0,
    sightingsTotal: 0,
    scanRestarts: 0,
    resets: 0,
    commands: 0,
    rejectedMessages: 0,
  };
  let lastWindow: GatewayStats['lastWindow'] = null;
  let lastAdvertWallMs = clock.now();
  let lastOutboxDropMs: number | null = null;
  let clockOffsetMs: number | null = null;
  let identifyUntilMs = 0;
  let mark: HeartbeatMark = initialMark(clock.now());
  let watchdog: WatchdogState = initialWatchdogState(clock.now());
  let lastBoundsMs = clock.now();
  let replayFinishedResolve: (() => void) | undefined;
  let replayFinishedReject: ((error: unknown) => void) | undefined;
  const replayFinished =
    ble.finished === undefined
      ? undefined
      : new Promise<void>((resolvePromise, rejectPromise) => {
          replayFinishedResolve = resolvePromise;
          replayFinishedReject = rejectPromise;
        });
  replayFinished?.catch(() => undefined);

  const windowSettings = (): ConstructorParameters<typeof WindowCoarsener>[0] => ({
    windowSeconds: config.window.seconds,
    minHits: config.window.minHits,
    maxHits: config.window.maxHits,
    maxEids: config.window.maxEids,
    nearDbm: config.window.nearDbm,
    midDbm: config.window.midDbm,
  });

  function ensureCoarsener(nowMs: number): WindowCoarsener {
    coarsener ??= new WindowCoarsener(windowSettings(), { startMs: Math.max(nowMs, notBeforeMs) });
    return coarsener;
  }

  function reportDrops(drops: DropReport[]): void {
    for (const drop of drops) {
      lastOutboxDropMs = clock.now();
      log.warn(
        { reason: drop.reason, count: drop.count, firstSeq: drop.firstSeq, lastSeq: drop.lastSeq },
        'outbox dropped batches',
      );
    }
  }

  function storeWindows(windows: ClosedWindow[]): void {
    if (windows.length === 0 || outbox === undefined) return;
    for (const w of windows) {
      counters.windowsClosed++;
      counters.sightingsTotal += w.sightings.length;
      counters.overflowAdverts += w.dropped;
      lastWindow = { windowStart: w.windowStart, sightings: w.sightings.length, dropped: w.dropped };
      if (w.dropped > 0)
        log.warn({ windowStart: w.windowStart, dropped: w.dropped, maxEids: config.window.maxEids }, 'window overflow');
      try {
        const { seq, drops } = outbox.append(
          w.windowStart,
          (seq) =>
            encodePayload('PresenceBatch', {
              v: PROTOCOL_VERSION,
              gateway: gatewayId,
              seq,
              windowStart: w.windowStart,
              windowSeconds: w.windowSeconds,
              sightings: w.sightings,
              dropped: w.dropped,
            }),
          clock.now(),
        );
        log.debug(
          {
            seq,
            windowStart: w.windowStart,
            sightings: w.sightings.length,
            dropped: w.dropped,
            belowMinHits: w.belowMinHits,
          },
          'window stored',
        );
        reportDrops(drops);
      } catch (error) {
        counters.windowsLost++;
        log.error(
          {
            windowStart: w.windowStart,
            code: isAppError(error) ? error.code : 'INTERNAL',
            detail: (error as Error).message,
          },
          'window not stored',
        );
      }
    }
    delivery?.kick();
  }

  const sink: BleSink = {
    advert() {
      counters.adverts++;
      lastAdvertWallMs = clock.now();
    },
    sighting(eid, rssi, tMs) {
      counters.optInAdverts++;
      const c = ensureCoarsener(tMs);
      c.add(eid, rssi, tMs);
      storeWindows(c.takeClosed());
    },
  };

  function currentStatus(): GatewayStatus {
    return onlineStatus(identity, statusCounters(), mark, clock.now()).status;
  }

  function statusCounters(): Parameters<typeof onlineStatus>[1] {
    return {
      advertsTotal: counters.adverts,
      windowsClosed: counters.windowsClosed,
      sightingsTotal: counters.sightingsTotal,
      outboxDepth: outbox?.depth ?? 0,
      outboxDropped: outbox?.droppedTotal ?? 0,
      adapterState: ble.adapterState(),
      resets: counters.resets,
      reconnects: link?.reconnects ?? 0,
      clockOffsetMs,
      rssBytes: rss(),
    };
  }

  function publishStatus(): void {
    if (link === undefined || !link.connected) return;
    const next = onlineStatus(identity, statusCounters(), mark, clock.now());
    mark = next.mark;
    link
      .publish(topics.status, encodePayload('GatewayStatus', next.status), { qos: 1, retain: true })
      .catch(() => undefined);
    log.debug({ advertsPerSecond: next.status.advertsPerSecond, outboxDepth: next.status.outboxDepth }, 'heartbeat');
  }

  function startHeartbeat(): void {
    clearInterval(heartbeatTimer);
    heartbeatTimer = setInterval(publishStatus, config.heartbeatSeconds * 1000);
  }

  function tick(): void {
    if (!bleStarted || stopping) return;
    const now = windowClock.now();
    const c = ensureCoarsener(now);
    c.advance(now);
    storeWindows(c.takeClosed());
    const wall = clock.now();
    if (outbox !== undefined && wall - lastBoundsMs >= BOUNDS_EVERY_MS) {
      lastBoundsMs = wall;
      reportDrops(outbox.enforceBounds(wall));
    }
  }

  function watchdogTick(): void {
    if (!bleStarted || stopping || replayEnded) return;
    const decision = watchdogCheck(
      watchdog,
      { nowMs: clock.now(), lastAdvertMs: lastAdvertWallMs },
      { silenceMs: config.ble.watchdogSeconds * 1000, resetAfterRestarts: config.ble.resetAfterRestarts },
    );
    watchdog = decision.state;
    if (decision.action === 'none') return;
    if (decision.action === 'recovered') {
      log.info({}, 'adverts resumed');
      return;
    }
    const silentSeconds = Math.round((clock.now() - lastAdvertWallMs) / 1000);
    if (decision.action === 'restart-scan') {
      counters.scanRestarts++;
      if (decision.log) log.warn({ silentSeconds, restarts: counters.scanRestarts }, 'watchdog restarted scanning');
      ble
        .restartScan()
        .catch((error: unknown) =>
          log.error(
            { code: isAppError(error) ? error.code : 'error', detail: (error as Error).message },
            'watchdog step failed',
          ),
        );
    } else {
      counters.resets++;
      if (decision.log) log.warn({ silentSeconds, resets: counters.resets }, 'watchdog reset adapter');
      ble
        .resetAdapter()
        .catch((error: unknown) =>
          log.error(
            { code: isAppError(error) ? error.code : 'error', detail: (error as Error).message },
            'watchdog step failed',
          ),
        );
    }
  }

  function ledInputs(): LedInputs {
    const state = ble.adapterState();
    return {
      nowMs: clock.now(),
      scanning: ble.scanning(),
      bleSilent: watchdog.silent,
      adapterOk: state === 'poweredOn' || state === 'replay',
      hubConnected: link?.connected ?? false,
      outboxDepth: outbox?.depth ?? 0,
      maxInFlight: config.outbox.maxInFlight,
      lastOutboxDropMs,
      clockOffsetMs,
      identifyUntilMs,
    };
  }

  function updateLeds(): void {
    if (leds !== null && !stopping) leds.apply(ledPattern(ledInputs()));
  }

  function reply(name: string, payload: Parameters<typeof encodePayload<'CommandReply'>>[1]): void {
    if (link === undefined || !link.connected) return;
    link
      .publish(replyTopic(store, gatewayId, name), encodePayload('CommandReply', payload), { qos: 1 })
      .catch(() => undefined);
  }

  function reload(): { ok: true; data: Record<string, unknown> } | { ok: false; code: string; message: string } {
    if (deps.reloadConfig === undefined)
      return { ok: false, code: 'CFG_UNREADABLE', message: 'this gateway was started without a config file to reload' };
    let next: GatewayConfig;
    try {
      next = deps.reloadConfig();
    } catch (error) {
      return { ok: false, code: isAppError(error) ? error.code : 'CFG_INVALID', message: (error as Error).message };
    }
    const { live, restartRequired } = splitReload(changedSettings(config, next));
    config = applyLiveSettings(config, next, live);
    coarsener?.adjust(config.window);
    outbox?.setBounds({ maxAgeMs: config.outbox.maxAgeHours * 3_600_000, maxBytes: config.outbox.maxBytes });
    delivery?.setMaxInFlight(config.outbox.maxInFlight);
    log.level = config.log.level;
    if (live.includes('/heartbeatSeconds') && running) startHeartbeat();
    log.info({ applied: live, restartRequired }, 'config reloaded');
    return { ok: true, data: { applied: live, restartRequired } };
  }

  async function runCommand(name: string, payload: Buffer): Promise<void> {
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) {
      counters.rejectedMessages++;
      log.warn(
        { code: parsed.code, command: name.slice(0, 64), answered: parsed.transaction !== null },
        'command rejected',
      );
      if (parsed.transaction !== null) reply(name, replyError(parsed.transaction, parsed.code, parsed.message));
      return;
    }
    counters.commands++;
    log.info({ command: parsed.name, transaction: parsed.transaction }, 'command received');
    switch (parsed.name) {
      case 'identify':
        identifyUntilMs = clock.now() + parsed.seconds * 1000;
        updateLeds();
        reply(parsed.name, replyOk(parsed.transaction, { seconds: parsed.seconds }));
        return;
      case 'rescan':
        try {
          await ble.restartScan();
          counters.scanRestarts++;
          reply(
            parsed.name,
            replyOk(parsed.transaction, { adapterState: ble.adapterState(), scanning: ble.scanning() }),
          );
        } catch (error) {
          reply(
            parsed.name,
            replyError(
              parsed.transaction,
              isAppError(error) ? error.code : 'BLE_ADAPTER_UNAVAILABLE',
              (error as Error).message,
            ),
          );
        }
        return;
      case 'status':
        reply(parsed.name, replyOk(parsed.transaction, { ...currentStatus(), faults: activeFaults(ledInputs()) }));
        return;
      case 'reload': {
        const result = reload();
        reply(
          parsed.name,
          result.ok
            ? replyOk(parsed.transaction, result.data)
            : replyError(parsed.transaction, result.code, result.message),
        );
        return;
      }
    }
  }

  function onMessage(topic: string, payload: Buffer): void {
    if (topic === topics.clock) {
      const decoded = decodePayload('HubClock', payload);
      if (!decoded.ok) {
        counters.rejectedMessages++;
        log.warn({ code: 'PROTO_BAD_PAYLOAD', topic, problems: decoded.problems.slice(0, 5) }, 'hub clock rejected');
        return;
      }
      const previous = clockOffsetMs;
      clockOffsetMs = decoded.value.hubTimeMs - clock.now();
      const large = Math.abs(clockOffsetMs) > 30_000;
      if (previous === null || large !== Math.abs(previous) > 30_000) {
        (large ? log.warn.bind(log) : log.info.bind(log))(
          { clockOffsetMs: Math.round(clockOffsetMs) },
          large ? 'clock offset large' : 'clock offset',
        );
      }
      return;
    }
    const parsed = parseTopic(topic);
    if (parsed?.kind === 'cmd' && parsed.store === store && parsed.gateway === gatewayId) {
      void runCommand(parsed.command, payload);
      return;
    }
    counters.rejectedMessages++;
    log.warn({ code: 'PROTO_BAD_TOPIC', topic: topic.slice(0, 200) }, 'unexpected message');
  }

  async function cleanup(): Promise<void> {
    for (const timer of timers) clearInterval(timer);
    timers.length = 0;
    clearInterval(heartbeatTimer);
    if (bleStarted)
      await ble.stop().catch((error: unknown) => log.warn({ detail: (error as Error).message }, 'ble stop failed'));
    bleStarted = false;
    // The partial window heard so far is kept (the next start continues after it); a finished
    // replay has already closed its last window.
    if (coarsener !== undefined && !replayEnded) {
      coarsener.flush();
      storeWindows(coarsener.takeClosed());
    }
    await link?.stop({
      topic: topics.status,
      payload: encodePayload('GatewayStatus', offlineStatus(identity, clock.now())),
    });
    await leds?.close();
    outbox?.close();
  }

  return {
    replayFinished,

    async start(): Promise<void> {
      if (running) return;
      running = true;
      stopping = false;
      log.info(
        { store, gateway: gatewayId, zone: config.zone, version: identity.version, source: ble.kind },
        'gateway starting',
      );
      try {
        const credential = readSecret(resolvePath(config.hub.credentialFile), '/hub/credentialFile');
        const ca = config.hub.caFile === undefined ? undefined : readCa(resolvePath(config.hub.caFile));
        outbox = SqliteOutbox.open(resolvePath(config.outbox.path), {
          maxAgeMs: config.outbox.maxAgeHours * 3_600_000,
          maxBytes: config.outbox.maxBytes,
        });
        const last = outbox.lastWindowStart;
        notBeforeMs = last === null ? 0 : (last + config.window.seconds) * 1000;
        reportDrops(outbox.enforceBounds(clock.now()));
        if (outbox.depth > 0) log.info({ depth: outbox.depth, nextSeq: outbox.nextSeq }, 'outbox resumed');
        leds =
          deps.leds !== undefined
            ? deps.leds
            : await JohnnyFiveLeds.open({
                io: config.leds.io,
                pins: config.leds,
                logger: log.child({ component: 'leds' }),
              }).catch((error: unknown) => {
                log.warn({ detail: (error as Error).message }, 'status leds unavailable');
                return null;
              });
        leds?.onButton(() => {
          identifyUntilMs = clock.now() + 10_000;
          log.info({}, 'identify button pressed');
          updateLeds();
          publishStatus();
        });
        link = new HubLink(
          {
            url: config.hub.url,
            gatewayId,
            password: credential,
            ...(ca !== undefined ? { ca } : {}),
            ...(config.hub.serverName !== undefined ? { serverName: config.hub.serverName } : {}),
            keepaliveSeconds: config.hub.keepaliveSeconds,
            backoff: { minMs: config.hub.reconnectMinMs, maxMs: config.hub.reconnectMaxMs },
            will: { topic: topics.status, payload: encodePayload('GatewayStatus', offlineStatus(identity)) },
            subscriptions: [
              { filter: topics.commands, qos: 1 },
              { filter: topics.clock, qos: 0 },
            ],
            rng,
            logger: log.child({ component: 'hub' }),
          },
          {
            connected: () => {
              delivery?.connected();
              publishStatus();
              updateLeds();
            },
            disconnected: () => {
              delivery?.disconnected();
              updateLeds();
            },
            message: onMessage,
          },
        );
        delivery = new Delivery({
          outbox,
          link,
          topic: topics.presence,
          maxInFlight: config.outbox.maxInFlight,
          logger: log.child({ component: 'delivery' }),
        });
        await ble.start(sink);
        bleStarted = true;
        lastAdvertWallMs = clock.now();
        watchdog = initialWatchdogState(clock.now());
        log.info({ source: ble.kind, adapterState: ble.adapterState() }, 'ble scanning');
        if (ble.finished !== undefined) {
          ble.finished.then(
            () => {
              replayEnded = true;
              if (!stopping) {
                if (coarsener !== undefined) {
                  coarsener.flush();
                  storeWindows(coarsener.takeClosed());
                }
                const summary = ble instanceof ReplaySource ? ble.summary : undefined;
                log.info({ records: summary?.records, windowsClosed: counters.windowsClosed }, 'replay finished');
              }
              replayFinishedResolve?.();
            },
            (error: unknown) => {
              replayEnded = true;
              log.error(
                { code: isAppError(error) ? error.code : 'error', detail: (error as Error).message },
                'replay failed',
              );
              replayFinishedReject?.(error);
            },
          );
        }
        link.start();
        timers.push(setInterval(tick, TICK_MS), setInterval(watchdogTick, WATCHDOG_TICK_MS));
        if (leds !== null) timers.push(setInterval(updateLeds, LED_TICK_MS));
        startHeartbeat();
        updateLeds();
      } catch (error) {
        stopping = true;
        await cleanup().catch(() => undefined);
        running = false;
        throw error;
      }
    },

    async stop(): Promise<void> {
      if (!running || stopping) return;
      stopping = true;
      await cleanup();
      running = false;
      log.info({ windowsClosed: counters.windowsClosed, outboxDepth: outbox?.depth ?? 0 }, 'gateway stopped');
    },

    tick,

    status: currentStatus,

    stats(): GatewayStats {
      return {
        running: running && !stopping,
        adverts: counters.adverts,
        optInAdverts: counters.optInAdverts,
        overflowAdverts: counters.overflowAdverts,
        lateAdverts: coarsener?.counters.late ?? 0,
        windowsClosed: counters.windowsClosed,
        windowsLost: counters.windowsLost,
        lastWindow,
        openWindowEids: coarsener?.openEids ?? 0,
        nextSeq: outbox?.nextSeq ?? 0,
        outboxDepth: outbox?.depth ?? 0,
        outboxBytes: outbox?.bytes ?? 0,
        outboxDropped: outbox?.droppedTotal ?? 0,
        acked: delivery?.acked ?? 0,
        inFlight: delivery?.inFlight ?? 0,
        hubConnected: link?.connected ?? false,
        reconnects: link?.reconnects ?? 0,
        adapterState: ble.adapterState(),
        scanning: ble.scanning(),
        scanRestarts: counters.scanRestarts,
        resets: counters.resets,
        clockOffsetMs,
        bleCacheEntries: ble.cacheEntries(),
        commands: counters.commands,
        rejectedMessages: counters.rejectedMessages,
      };
    },
  };
}
