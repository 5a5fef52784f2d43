import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { AppError } from '../shared/errors.ts';
import { systemClock, unixSeconds, type Clock } from '../shared/ports/clock.ts';
import { CryptoRandomSource, randomHex, type RandomSource } from '../shared/ports/random.ts';
import { silentLogger, type Logger } from '../shared/ports/logger.ts';
import { encodePayload } from '../shared/protocol/codec.ts';
import { clockTopic, commandTopic, type CommandName } from '../shared/protocol/topics.ts';
import type { CommandReply, GatewayCommand } from '../shared/protocol/messages.ts';
import type { HubConfig } from './config.schema.ts';
import { openHubDatabase, type Database } from './adapters/sqlite-database.ts';
import { startBroker, type RunningBroker } from './adapters/aedes-broker.ts';
import { createApiServer, type ApiServer } from './adapters/http-api.ts';
import { Counters } from './adapters/counters.ts';
import { scheduleJob, type ScheduledJob } from './adapters/cron-scheduler.ts';
import {
  addGateway,
  credentialOf,
  getGateway,
  listGateways,
  revokeGateway,
  rotateGatewayCredential,
  type GatewayRecord,
} from './adapters/gateway-registry.ts';
import {
  deleteShopper,
  enrollShopper,
  getShopper,
  importShoppers,
  updateConsent,
  type Consent,
  type EnrolledShopper,
  type EnrollInput,
  type ImportedShopper,
} from './adapters/shopper-store.ts';
import { ShopperDirectory } from './shopper-directory.ts';
import { createIngest, type Ingest } from './ingest.ts';
import { createBrokerPolicy } from './broker-policy.ts';
import {
  createPresenceService,
  type PresenceService,
  type VisitEndEvent,
  type ZoneEnterEvent,
} from './presence-service.ts';
import { runRetention } from './retention.ts';
import { readStats, type HubStats } from './stats.ts';
import { registerShopperRoutes } from './shopper-routes.ts';
import { hubStatusProviders, registerStatusPage } from './status-page/mod.ts';
import { createReleaseService, upstreamSenderFromConfig, type ReleaseService } from './privacy/mod.ts';
import { createOfferService, wireOffers, type OfferService } from './offers/mod.ts';

/**
 * The hub's composition root: createHub(deps) → {start, stop, ...}. It opens the database (and
 * migrates it) at once, so callers may use `db` and the registry functions before `start()`;
 * `start()` loads the resolver and opens the broker listeners, the API and the timers.
 */

/** How often the hub checks live sessions against the registry for revoked or rotated credentials. */
const CREDENTIAL_WATCH_MS = 2000;

export interface HubEventMap {
  /** A shopper was placed in a zone (a visit's first zone, or a change of zone). */
  zoneEnter: [ZoneEnterEvent];
  visitEnd: [VisitEndEvent];
}

export interface HubDeps {
  config: Readonly<HubConfig>;
  /** Resolves paths in the config (relative to the config file); identity when omitted. */
  resolvePath?: (path: string) => string;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface HubPorts {
  mqtts: number | null;
  mqtt: number | null;
  api: number | null;
}

export interface Hub {
  readonly config: Readonly<HubConfig>;
  readonly db: Database;
  /** Register HTTP routes here (before or after start). */
  readonly api: ApiServer;
  readonly events: EventEmitter<HubEventMap>;
  readonly directory: ShopperDirectory;
  readonly ports: HubPorts;
  /** DP releases, their ledger and the upstream sync (hub/privacy). */
  readonly privacy: ReleaseService;
  /** Offers: catalog, decisions on zone entry, audit trail, shopper API (hub/offers). */
  readonly offers: OfferService;
  start(): Promise<void>;
  stop(): Promise<void>;
  gateways: {
    add(gateway: { id: string; zone: string; credential?: string }): Promise<{ id: string; credential: string }>;
    rotate(id: string, credential?: string): Promise<{ id: string; credential: string }>;
    /** Revokes and disconnects the gateway's sessions. */
    revoke(id: string): boolean;
    get(id: string): GatewayRecord | null;
    list(): GatewayRecord[];
  };
  shoppers: {
    enroll(input: EnrollInput): { shopper: EnrolledShopper; token: string };
    import(shoppers: ImportedShopper[]): { imported: number };
    get(id: string): EnrolledShopper | null;
    updateConsent(id: string, patch: Partial<Consent>): EnrolledShopper | null;
    delete(id: string): boolean;
  };
  /** Sends a command to a gateway and waits for its reply (rejects after `timeoutMs`). */
  sendCommand(
    gateway: string,
    name: CommandName,
    args?: GatewayCommand['args'],
    options?: { timeoutMs?: number },
  ): Promise<CommandReply>;
  /** Finalises windows now (all received ones with `all`); returns windows finalised. */
  finalizePresence(options?: { all?: boolean }): Promise<number>;
  /** Runs the retention job now. */
  runRetention(): Record<string, number>;
  stats(): HubStats;
  /** The admin and technician tokens (null when not configured). */
  readonly tokens: { admin: string | null; technician: string | null };
}

function readToken(path: string | undefined, resolvePath: (p: string) => string, what: string): string | null {
  if (path === undefined) return null;
  try {
    const token = readFileSync(resolvePath(path), 'utf8').trim();
    if (token.length < 16)
      throw new AppError(
        'CFG_INVALID',
        `The ${what} token file "${path}" holds ${token.length} characters, expected at least 16`,
      );
    return token;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'CFG_UNREADABLE',
      `The ${what} token file "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function readPem(path: string, resolvePath: (p: string) => string, what: string): Buffer {
  try {
    return readFileSync(resolvePath(path));
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The ${what} "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

export function createHub(deps: HubDeps): Hub {
  const { config } = deps;
  const resolvePath = deps.resolvePath ?? ((p: string) => p);
  const logger = deps.logger ?? silentLogger();
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? new CryptoRandomSource();
  const db = openHubDatabase(resolvePath(config.database));
  const counters = new Counters(db);
  const events = new EventEmitter<HubEventMap>();
  const directory = new ShopperDirectory(db, { cachedPeriods: config.eid.cachedPeriods });
  const ports: HubPorts = { mqtts: null, mqtt: null, api: null };
  const tokens = { admin: null as string | null, technician: null as string | null };
  const zones = new Map<string, string>();
  const pending = new Map<
    string,
    { resolve: (reply: CommandReply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();

  const zoneOf = (gateway: string): string | undefined => {
    let zone = zones.get(gateway);
    if (zone === undefined) {
      zone = getGateway(db, gateway)?.zone;
      if (zone !== undefined) zones.set(gateway, zone);
    }
    return zone;
  };

  const presence: PresenceService = createPresenceService({
    db,
    counters,
    clock,
    logger: logger.child({ component: 'presence' }),
    params: config.presence,
    shopperIdOf: (pk) => directory.info(pk)?.id,
    onZoneEnter: (event) => events.emit('zoneEnter', event),
    onVisitEnd: (event) => events.emit('visitEnd', event),
  });

  const ingest: Ingest = createIngest({
    db,
    directory,
    counters,
    clock,
    logger: logger.child({ component: 'ingest' }),
    zoneOf,
    presenceCursor: () => presence.cursor(),
    hooks: {
      batchCommitted: (gateway, batch, nowMs) =>
        presence.noteBatch(gateway, batch.windowStart + batch.windowSeconds, nowMs),
      replyCommitted: (_gateway, _command, reply) => {
        const waiter = pending.get(reply.transaction);
        if (waiter === undefined) return;
        pending.delete(reply.transaction);
        clearTimeout(waiter.timer);
        waiter.resolve(reply);
      },
    },
  });

  let tlsMaterial: { cert: Buffer; key: Buffer } | undefined;
  const apiCert = config.api.certFile ?? config.broker.tls?.certFile;
  const apiKey = config.api.keyFile ?? config.broker.tls?.keyFile;
  const api = createApiServer({
    ...(apiCert !== undefined && apiKey !== undefined
      ? {
          tls: {
            get cert() {
              return readPem(apiCert, resolvePath, 'API certificate');
            },
            get key() {
              return readPem(apiKey, resolvePath, 'API key');
            },
          },
        }
      : {}),
    host: config.api.host,
    port: config.api.port,
    maxBodyBytes: config.api.maxBodyBytes,
    logger: logger.child({ component: 'api' }),
  });

  let broker: RunningBroker | null = null;
  const timers: NodeJS.Timeout[] = [];
  let boundaryTimer: NodeJS.Timeout | null = null;
  let retentionJob: ScheduledJob | null = null;
  let started = false;

  const privacy = createReleaseService({
    db,
    store: config.store,
    privacy: config.privacy,
    upstream: config.upstream,
    visitGapSeconds: config.presence.visitGapSeconds,
    clock,
    random,
    logger: logger.child({ component: 'privacy' }),
    sender: upstreamSenderFromConfig(config.upstream, {
      store: config.store,
      resolvePath,
      logger: logger.child({ component: 'upstream' }),
    }),
    beforeRelease: () => hub.finalizePresence(),
  });

  const offers = createOfferService({
    db,
    config: config.offers,
    timeZone: config.privacy.timeZone,
    clock,
    random,
    logger: logger.child({ component: 'offers' }),
    resolvePath,
  });

  const clockPayload = (): Buffer =>
    encodePayload('HubClock', { v: 1, hubTimeMs: Math.max(0, Math.round(clock.now())) });

  function scheduleBoundary(): void {
    const seconds = directory.resolver.secondsToNextBoundary(unixSeconds(clock.now()));
    const delay = Number.isFinite(seconds) ? Math.min(seconds * 1000 + 50, 3_600_000) : 60_000;
    boundaryTimer = setTimeout(() => {
      const started = performance.now();
      directory.resolver.prepare(unixSeconds(clock.now()));
      logger.debug(
        { ms: Math.round(performance.now() - started), ...directory.resolver.stats() },
        'resolver tables prepared',
      );
      scheduleBoundary();
    }, delay);
    boundaryTimer.unref();
  }

  const hub: Hub = {
    config,
    db,
    api,
    events,
    directory,
    ports,
    tokens,
    privacy,
    offers,

    async start() {
      if (started) throw new AppError('INTERNAL', 'hub already started');
      started = true;
      tokens.admin = readToken(config.api.adminTokenFile, resolvePath, 'admin');
      tokens.technician = readToken(config.api.technicianTokenFile, resolvePath, 'technician');
      if (config.broker.tls !== undefined) {
        tlsMaterial = {
          cert: readPem(config.broker.tls.certFile, resolvePath, 'broker certificate'),
          key: readPem(config.broker.tls.keyFile, resolvePath, 'broker key'),
        };
      }
      const loadStart = performance.now();
      directory.load(unixSeconds(clock.now()));
      logger.info({ shoppers: directory.size, ms: Math.round(performance.now() - loadStart) }, 'resolver loaded');
      scheduleBoundary();
      offers.start();

      broker = await startBroker({
        ...(config.broker.tls !== undefined && tlsMaterial !== undefined
          ? { tls: { host: config.broker.tls.host, port: config.broker.tls.port, ...tlsMaterial } }
          : {}),
        ...(config.broker.plain.enabled ? { plain: { port: config.broker.plain.port } } : {}),
        maxPacketBytes: config.broker.maxPacketBytes,
        policy: createBrokerPolicy({
          db,
          store: config.store,
          ingest,
          counters,
          clock,
          logger: logger.child({ component: 'broker' }),
          maxClients: config.broker.maxClients,
          connectedClients: () => broker?.connectedClients ?? 0,
          rate: { ratePerSecond: config.broker.publishRatePerSecond, burst: config.broker.publishBurst },
          maxPacketBytes: config.broker.maxPacketBytes,
          clockPayload,
        }),
      });
      ports.mqtts = broker.ports.tls;
      ports.mqtt = broker.ports.plain;
      if (config.api.enabled) {
        if (!api.secure) logger.warn({ host: '127.0.0.1' }, 'api without TLS certificate: plain HTTP on loopback only');
        ports.api = await api.listen();
      }

      const running = broker;
      timers.push(
        setInterval(() => {
          running
            .publish(clockTopic(config.store), clockPayload())
            .catch((error: unknown) => logger.warn({ err: error }, 'clock publish failed'));
        }, config.broker.clockIntervalSeconds * 1000),
      );
      timers.push(
        setInterval(() => {
          try {
            if (directory.refreshIfChanged(unixSeconds(clock.now())))
              logger.info({ shoppers: directory.size }, 'shoppers reloaded');
            presence.finalize();
            counters.flush();
          } catch (error) {
            logger.error({ err: error }, 'periodic work failed');
          }
        }, config.presence.finalizeIntervalMs),
      );
      // Credentials revoked or rotated by another process (provisioning writes this database while
      // the hub runs): a session whose credential is no longer current is closed, so the old
      // credential stops working at once, not at the gateway's next reconnect.
      timers.push(
        setInterval(() => {
          const stale = running.closeStaleSessions((session) => {
            const current = credentialOf(db, session.gateway);
            return current !== null && !current.revoked && current.hash === session.credentialHash;
          });
          for (const session of stale)
            logger.info(
              { gateway: session.gateway, clientId: session.clientId },
              'gateway credential revoked or rotated: session closed',
            );
        }, CREDENTIAL_WATCH_MS),
      );
      for (const t of timers) t.unref();
      retentionJob = scheduleJob(
        'retention',
        config.retention.cron,
        () => {
          hub.runRetention();
        },
        config.retention.timezone !== undefined ? { timezone: config.retention.timezone } : {},
      );
      await privacy.start();
      logger.info({ store: config.store, ports }, 'hub started');
    },

    async stop() {
      if (!started) return;
      started = false;
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      if (boundaryTimer !== null) clearTimeout(boundaryTimer);
      await retentionJob?.stop();
      await privacy.stop();
      offers.stop();
      await api.close();
      await broker?.close();
      broker = null;
      await ingest.drain();
      for (const [id, waiter] of pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new AppError('MQTT_UNREACHABLE', 'hub stopped before the gateway replied'));
        pending.delete(id);
      }
      counters.flush();
      db.close();
      logger.info({ store: config.store }, 'hub stopped');
    },

    gateways: {
      add: (gateway) => addGateway(db, gateway, { random, nowMs: clock.now() }),
      async rotate(id, credential) {
        const rotated = await rotateGatewayCredential(db, id, {
          random,
          nowMs: clock.now(),
          ...(credential !== undefined ? { credential } : {}),
        });
        broker?.disconnectGateway(id);
        return rotated;
      },
      revoke(id) {
        const known = revokeGateway(db, id, clock.now());
        if (known) broker?.disconnectGateway(id);
        return known;
      },
      get: (id) => getGateway(db, id),
      list: () => listGateways(db),
    },

    shoppers: {
      enroll(input) {
        const result = enrollShopper(db, input, { random, nowMs: clock.now() });
        directory.upsert(result.shopper);
        return result;
      },
      import(shoppers) {
        const result = importShoppers(db, shoppers, clock.now());
        directory.load(unixSeconds(clock.now()));
        return result;
      },
      get: (id) => getShopper(db, id),
      updateConsent(id, patch) {
        const updated = updateConsent(db, id, patch);
        if (updated !== null) directory.upsert(updated);
        return updated;
      },
      delete(id) {
        const shopper = getShopper(db, id);
        if (shopper === null) return false;
        deleteShopper(db, id);
        directory.remove(shopper.pk);
        presence.forget(shopper.pk);
        offers.forget(shopper.pk);
        // Copy the WAL's pages (which still hold the deleted rows' old versions) back into the
        // zeroed database file and truncate it, so the erased bytes leave the disk now.
        db.pragma('wal_checkpoint(TRUNCATE)');
        return true;
      },
    },

    sendCommand(gateway, name, args, options = {}) {
      if (broker === null) return Promise.reject(new AppError('MQTT_UNREACHABLE', 'the hub is not running'));
      const transaction = randomHex(random, 8);
      const command: GatewayCommand = { v: 1, transaction, ...(args !== undefined ? { args } : {}) };
      const running = broker;
      return new Promise<CommandReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(transaction);
          reject(
            new AppError(
              'MQTT_UNREACHABLE',
              `gateway "${gateway}" did not reply to "${name}" within ${options.timeoutMs ?? 10_000} ms`,
            ),
          );
        }, options.timeoutMs ?? 10_000);
        pending.set(transaction, { resolve, reject, timer });
        running
          .publish(commandTopic(config.store, gateway, name), encodePayload('Command', command), { qos: 1 })
          .catch((error: unknown) => {
            clearTimeout(timer);
            pending.delete(transaction);
            reject(error as Error);
          });
      });
    },

    async finalizePresence(options = {}) {
      await ingest.drain();
      return presence.finalize(options);
    },

    runRetention() {
      const deleted = runRetention(db, config.retention, clock.now());
      const total = Object.values(deleted).reduce((a, b) => a + b, 0);
      counters.add('retentionRuns');
      counters.add('retentionDeletedRows', total);
      counters.flush();
      logger.info({ deleted }, 'retention ran');
      return deleted;
    },

    stats() {
      counters.flush();
      return readStats(db);
    },
  };

  registerShopperRoutes(hub);
  wireOffers(hub, { random, clock });
  registerStatusPage(hub, {
    clock,
    random,
    logger: logger.child({ component: 'status-page' }),
    providers: hubStatusProviders(hub),
  });
  return hub;
}
